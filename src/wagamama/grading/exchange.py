"""Collecting from the exchange without trusting anything a learner put there.

The exchange's ``inbound/`` folder can be written by every learner of the course. nbgrader's collect
copies a submission with ``shutil.copytree``, which follows a symbolic link left there: as root (or the
grader), it would copy whatever the link points to (the gradebook, another learner's work) into the
course, and from there into feedback. :class:`SafeCollect` (nbgrader's ``ExchangeCollect``, selected by
``ExchangeFactory.collect`` in the cohort's config) copies instead:

- only folders and regular files with one link, walking with file descriptors (``O_NOFOLLOW``, relative
  to the folder already opened) so that nothing can be swapped for a link during the copy;
- on a hub (``check_owner``), only what belongs to the learner the folder name claims;
- into folders and files that only the course's owner may write (0750 / 0640).

A submission with anything else is refused as a whole, with a Japanese reason in nbgrader's log
(``REFUSED`` lines, which ``wagamama collect`` shows), and the rest of the cohort is collected.
"""

from __future__ import annotations

import os
import pwd
import stat

from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.utils import ignore_patterns

REFUSED = "提出を受け付けませんでした"
MAX_ENTRIES = 2000


class Refused(Exception):
    """Why a submission cannot be collected (Japanese)."""


def _what(mode: int) -> str:
    if stat.S_ISLNK(mode):
        return "シンボリックリンク"
    if stat.S_ISFIFO(mode):
        return "FIFO（名前つきパイプ）"
    if stat.S_ISSOCK(mode):
        return "ソケット"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "デバイスファイル"
    return "ふつうでないファイル"


class SafeCollect(ExchangeCollect):
    def init_src(self):
        """nbgrader's choice of submissions, without the refused ones: their earlier collected copy stays."""
        super().init_src()
        kept = []
        for record in self.src_records:
            student = record["username"]
            try:
                self._scan(os.path.join(self.inbound_path, record["filename"]), self._owner_uid(student))
                kept.append(record)
            except (Refused, OSError) as why:
                self.log.error(f"{REFUSED}: {student} / {self.coursedir.assignment_id}: {why}")
        self.src_records = kept

    def do_copy(self, src, dest, log=None):
        student = os.path.basename(src).split("+")[0]
        try:
            owner = self._owner_uid(student)
            entries = self._scan(src, owner)
            self._copy(src, dest, entries)
        except (Refused, OSError) as why:
            self.log.error(f"{REFUSED}: {student} / {self.coursedir.assignment_id}: {why}")
            if os.path.isdir(dest):
                import shutil

                shutil.rmtree(dest, ignore_errors=True)

    def _owner_uid(self, student: str) -> int | None:
        if not self.check_owner:
            return None
        try:
            return pwd.getpwnam(student).pw_uid
        except KeyError:
            raise Refused(f"{student} という Linux ユーザーがいません。ほかの人の名前で提出された可能性があります。") from None

    def _scan(self, src: str, owner: int | None) -> list[tuple[str, bool]]:
        """(relative path, is a folder) of everything to copy, checked without following anything."""
        top = os.lstat(src)
        if not stat.S_ISDIR(top.st_mode):
            raise Refused(f"提出のフォルダが{_what(top.st_mode)}になっています。")
        ignore = ignore_patterns(exclude=self.coursedir.ignore, include=self.coursedir.include,
                                 max_file_size=self.coursedir.max_file_size, log=self.log)
        found: list[tuple[str, bool]] = []
        size = 0
        todo = [""]
        while todo:
            rel = todo.pop()
            folder = os.path.join(src, rel)
            names = sorted(os.listdir(folder))
            skipped = set(ignore(folder, [n for n in names if stat.S_ISREG(os.lstat(os.path.join(folder, n)).st_mode)]))
            for name in names:
                path = os.path.join(folder, name)
                st = os.lstat(path)
                where = os.path.join(rel, name)
                if owner is not None and st.st_uid != owner:
                    raise Refused(f"{where} が、提出した人のものではありません（ほかの人のファイルを入れた可能性があります）。")
                if stat.S_ISDIR(st.st_mode):
                    found.append((where, True))
                    todo.append(where)
                elif stat.S_ISREG(st.st_mode):
                    if st.st_nlink != 1:
                        raise Refused(f"{where} は、ほかのファイルとつながったハードリンクです。")
                    if name not in skipped:
                        found.append((where, False))
                        size += st.st_size
                else:
                    raise Refused(f"{where} が{_what(st.st_mode)}です。ふつうのファイルだけを提出できます。")
                if len(found) > MAX_ENTRIES:
                    raise Refused(f"ファイルが多すぎます（{MAX_ENTRIES} より多い）。")
        if size > 1000 * self.coursedir.max_dir_size:
            raise Refused(f"提出が大きすぎます（{size // 1000} KB、上限 {self.coursedir.max_dir_size} KB）。")
        return found

    def _copy(self, src: str, dest: str, entries: list[tuple[str, bool]]) -> None:
        os.makedirs(dest, mode=0o750)
        os.chmod(dest, 0o750)
        for rel, folder in sorted(entries, key=lambda e: e[0].count(os.sep)):
            target = os.path.join(dest, rel)
            if folder:
                os.mkdir(target, 0o750)
                continue
            fd = _open_beneath(src, rel)
            try:
                st = os.fstat(fd)
                if not stat.S_ISREG(st.st_mode) or st.st_nlink != 1:
                    raise Refused(f"{rel} が、確かめたあとで変わりました。")
                out = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o640)
                try:
                    while chunk := os.read(fd, 1 << 20):
                        os.write(out, chunk)
                finally:
                    os.close(out)
            finally:
                os.close(fd)


def _open_beneath(root: str, rel: str) -> int:
    """Open root/rel for reading, refusing a link at any step (each step relative to the folder opened)."""
    try:
        fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    except OSError as exc:
        raise Refused(f"提出のフォルダを開けません（{exc.strerror}）。") from None
    try:
        parts = rel.split(os.sep)
        for part in parts[:-1]:
            nxt = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
            os.close(fd)
            fd = nxt
        return os.open(parts[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=fd)
    except OSError as exc:
        raise Refused(f"{rel} を開けません（{exc.strerror}）。") from None
    finally:
        os.close(fd)
