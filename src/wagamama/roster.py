"""The roster of a cohort: import a town's file (CSV or Excel), list it, take learners off it.

Import validates everything first, then changes; a file that looks like a mistake (row numbers as IDs,
every ID different from the last roster) changes nothing unless confirmed. Learners are stored in the
gradebook (roster_store.py); IDs follow the one rule of learner_ids.py.

Accepted: .csv in UTF-8, UTF-8 with BOM, Shift_JIS/CP932 or UTF-16 (Excel's "Unicode text", tab
separated); .xlsx (first sheet). Header names may be Japanese or English.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import learner_ids
from .cohort import Cohort
from .errors import ConfirmationNeeded, WagamamaError
from .roster_store import Entry, Roster

# Header spellings a town's export uses, after normalising (NFKC, lower case, no spaces). For the ID, the
# first spelling found wins, so a real ID column beats a "No." column that only numbers the rows.
COLUMNS = {
    "id": ("受講者id", "id", "ユーザーid", "ユーザー名", "username", "studentid", "student_id", "アカウント",
           "受講者番号", "受講番号", "学籍番号", "番号", "no.", "no"),
    "name": ("氏名", "名前", "なまえ", "おなまえ", "name", "fullname", "氏名(漢字)"),
    "family": ("姓", "苗字", "lastname", "familyname"),
    "given": ("名", "firstname", "givenname"),
    "kana": ("ふりがな", "フリガナ", "よみがな", "ヨミガナ", "かな", "カナ", "氏名(ふりがな)", "氏名(フリガナ)", "kana", "furigana"),
    "email": ("email", "e-mail", "mail", "メール", "メールアドレス", "eメール", "emailaddress"),
}
COLUMN_LABEL = {"id": "ID", "name": "氏名", "family": "姓", "given": "名", "kana": "ふりがな", "email": "メール"}


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    kana: str
    email: str
    row: int
    written: str = ""  # the ID as the file wrote it (before it was made a valid learner ID)

    @property
    def mapped(self) -> bool:
        return learner_ids.mapped(self.written, self.id)


@dataclass
class ImportResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    not_in_file: list[str] = field(default_factory=list)
    mapped: list[Learner] = field(default_factory=list)  # learners whose ID was changed into a valid one
    warnings: list[str] = field(default_factory=list)  # what looked like a mistake (imported only when confirmed)

    def mapping_text(self) -> str:
        """The changed IDs, for the instructor to pass on to the learners (their hub user names)."""
        if not self.mapped:
            return ""
        lines = [f"  {x.row}行目 {x.name}: {x.written} → {x.id}" for x in self.mapped]
        return (f"名簿の ID のうち {len(self.mapped)} 件は Linux のユーザー名にできないため、次の ID にします。\n"
                "ハブにログインするときの名前になります。受講者に伝えてください。\n") + "\n".join(lines)


def _norm(text) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()


def _header_key(text) -> str:
    return re.sub(r"\s+", "", _norm(text).lower())


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # cp932 maps stray bytes to private-use characters: that is a wrong guess, not a roster.
        if not any("\ue000" <= ch <= "\uf8ff" for ch in text):
            return text
    raise WagamamaError(
        f"{path.name}: 文字コードが読めません。Excel で「CSV UTF-8（コンマ区切り）」を選んで保存し直してください。",
        "roster: unknown encoding (use UTF-8, UTF-8 with BOM, Shift_JIS/CP932 or UTF-16)",
    )


def _xlsx_text(value) -> str:
    """A cell as text; a number typed into Excel (2026001, stored as 2026001.0) keeps its digits only."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_rows(path: Path) -> list[list[str]]:
    """The file's rows as lists of strings (the first row is the header)."""
    if not path.exists():
        raise WagamamaError(f"名簿ファイル {path} がありません。ファイルの場所を確かめてください。", f"no such file {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise WagamamaError(
                f"{path.name}: Excel ファイルとして開けません（{exc.__class__.__name__}）。"
                "Excel で開いて「Excel ブック (*.xlsx)」で保存し直してください。",
                f"cannot open xlsx: {exc}",
            ) from None
        ws = wb.worksheets[0]
        rows = [[_xlsx_text(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if suffix == ".xls":
        raise WagamamaError(
            f"{path.name}: 古い Excel 形式（.xls）は読めません。「Excel ブック (*.xlsx)」か CSV で保存し直してください。",
            "roster: .xls is not supported, save as .xlsx or CSV",
        )
    text = _decode(path.read_bytes(), path)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def parse(path: Path) -> list[Learner]:
    """Read and validate a roster; raise one WagamamaError listing every problem found."""
    return _read(Path(path))[0]


def _read(path: Path) -> tuple[list[Learner], str]:
    """The roster's learners and the header of the column read as the ID."""
    rows = read_rows(path)
    if not rows:
        raise WagamamaError(f"{path.name}: ファイルが空です。", "roster is empty")
    header = [_header_key(h) for h in rows[0]]
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for name in names:  # the first spelling found wins
            if _header_key(name) in header:
                where[key] = header.index(_header_key(name))
                break
    missing = []
    if "id" not in where:
        missing.append("ID（受講者ID・学籍番号・No. など）")
    if "name" not in where and not ("family" in where and "given" in where):
        missing.append("氏名（または「姓」と「名」）")
    if missing:
        found = "、".join(_norm(h) for h in rows[0] if _norm(h)) or "なし"
        raise WagamamaError(
            f"{path.name}: 1行目（見出し）に {'と'.join(missing)} の列がありません。見つかった列: {found}。"
            "見出しの名前を直してから、もう一度取り込んでください。何も取り込んでいません。",
            f"roster: missing columns {missing}",
        )

    def cell(row: list[str], key: str) -> str:
        i = where.get(key)
        return _norm(row[i]) if i is not None and i < len(row) else ""

    problems: list[str] = []
    learners: list[Learner] = []
    first_row: dict[str, tuple[int, str]] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(_norm(v) for v in row):
            continue  # blank line, e.g. at the end of an Excel export
        written = cell(row, "id")
        sid, problem = learner_ids.from_roster(written)
        name = cell(row, "name") or " ".join(p for p in (cell(row, "family"), cell(row, "given")) if p)
        email = cell(row, "email")
        if problem:
            problems.append(f"{number}行目「ID」列: {problem}")
        elif sid in first_row:
            other, other_written = first_row[sid]
            same = f"「{written}」は {other}行目と同じIDです" if other_written.lower() == written.lower() else \
                f"「{written}」は {other}行目の「{other_written}」と同じID（{sid}）になります"
            problems.append(f"{number}行目「ID」列: {same}。IDは一人ずつ別にします。")
        else:
            first_row[sid] = (number, written)
        if not name:
            problems.append(f"{number}行目「氏名」列: 空です。受講者の名前を入れてください。")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            problems.append(f"{number}行目「メール」列: 「{email}」はメールアドレスの形になっていません。")
        learners.append(Learner(sid, re.sub(r"\s+", " ", name), cell(row, "kana"), email, number, written))
    if problems:
        raise WagamamaError(
            f"{path.name}: 名簿に {len(problems)} 件の問題があります。何も取り込んでいません。"
            "直してから、もう一度取り込んでください。\n" + "\n".join("  - " + p for p in problems),
            f"roster: {len(problems)} problem(s), nothing imported",
        )
    if not learners:
        raise WagamamaError(f"{path.name}: 見出しの下に受講者が1人もいません。", "roster has no rows")
    return learners, _norm(rows[0][where["id"]])


def _looks_like_row_numbers(learners: list[Learner]) -> bool:
    """IDs 1, 2, 3 … N in the order of the rows (or starting at 0 or 2, as spreadsheets number rows)."""
    if not all(x.written.isdigit() for x in learners):
        return False
    numbers = [int(x.written) for x in learners]
    return any(numbers == list(range(first, first + len(numbers))) for first in (0, 1, 2))


def _same_person(name: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))


def _warnings(path: Path, learners: list[Learner], id_header: str,
              current: dict[str, Entry]) -> list[str]:
    warnings = []
    if _looks_like_row_numbers(learners):
        warnings.append(
            f"ID（列「{id_header}」）が 1 から順の番号だけです。行の番号を ID として読んだのかもしれません。"
            "受講者ごとに決まった ID の列があれば、その列の見出しを「受講者ID」にしてください。"
            f"この番号を使うときは、ID は {learners[0].id}〜{learners[-1].id} になります。"
        )
    ids = {x.id for x in learners}
    by_name = {_same_person(e.name): e for i, e in current.items() if i not in ids}
    pairs = [(by_name[_same_person(x.name)], x) for x in learners
             if x.id not in current and _same_person(x.name) in by_name]
    listed = "".join(f"\n    {x.name}: いまの ID {old.id} → ファイルの ID {x.written}"
                     + (f"（{x.id} になります）" if x.mapped else "") + f"（{x.row}行目）"
                     for old, x in pairs[:10]) + ("\n    …" if len(pairs) > 10 else "")
    if current and not ids & set(current):
        warnings.append(
            f"前回の名簿と ID が全員ちがいます。いまの受講者 {len(current)} 名の ID が、{path.name} に1つもありません"
            f"（ID として読んだ列: 「{id_header}」）。同じ人を別の ID で取り込むと、二重に登録されます。"
            + (f"\n  同じ名前で ID がちがう人:{listed}" if pairs else "")
        )
    elif pairs:
        warnings.append(f"同じ名前の受講者が、別の ID ですでに名簿にいます。同じ人なら二重に登録されます。{listed}")
    return warnings


def _plan(cohort: Cohort, path: Path) -> tuple[ImportResult, list[Learner]]:
    """What importing this file would do (nothing is changed yet), and its learners."""
    learners, id_header = _read(path)
    with Roster(cohort) as roster:
        current = roster.entries()
        known = roster.entries(include_removed=True)
    result = ImportResult(mapped=[x for x in learners if x.mapped])
    for x in learners:
        if x.id not in current:
            result.added.append(x.id)
        elif known[x.id] == _entry(x):
            result.unchanged.append(x.id)
        else:
            result.updated.append(x.id)
    result.not_in_file = sorted(set(current) - {x.id for x in learners})
    result.warnings = _warnings(path, learners, id_header, current)
    return result, learners


def _entry(x: Learner) -> Entry:
    return Entry(x.id, x.name, x.kana, x.email, x.written if x.mapped else "")


def import_roster(cohort: Cohort, path: Path, confirm: bool = False) -> ImportResult:
    """Add and update the learners of the file. Learners not in the file stay (``roster remove`` takes
    them off). When the file looks like a mistake (see ImportResult.warnings), nothing is imported
    unless ``confirm``."""
    path = Path(path)
    result, learners = _plan(cohort, path)
    if result.warnings and not confirm:
        mapping = result.mapping_text()
        raise ConfirmationNeeded(
            f"{path.name}: 名簿を取り込む前に確かめてください。何も取り込んでいません。\n"
            + "\n".join(f"  - {w}" for w in result.warnings)
            + (f"\n{mapping}" if mapping else "")
            + "\nこのままでよければ、--yes をつけてもう一度実行してください。"
            + ("ファイルにない受講者は残ります。要らない人は `wagamama roster remove` で名簿から外せます。"
               if result.not_in_file else ""),
            "roster: looks like a mistake, nothing imported; run again with --yes to import anyway",
        )
    with Roster(cohort) as roster:
        unchanged = set(result.unchanged)
        roster.put([_entry(x) for x in learners if x.id not in unchanged])
    return result


@dataclass
class RemoveResult:
    deleted: list[str] = field(default_factory=list)  # had no work: gone from the gradebook too
    kept: dict[str, list[str]] = field(default_factory=dict)  # off the roster, work kept: id → assignments


def _resolve(given: str, current: dict[str, Entry]) -> str | None:
    """A learner named as the instructor typed it: the ID, or the ID of the town's file (2026001)."""
    candidates = [given, _norm(given).lower(), learner_ids.from_roster(_norm(given))[0]]
    found = next((c for c in candidates if c in current), None)
    return found or next((i for i, e in current.items() if e.roster_id and e.roster_id.lower() == _norm(given).lower()), None)


def remove_learners(cohort: Cohort, given: list[str], force: bool = False) -> RemoveResult:
    """Take learners off the roster. A learner who handed anything in is only taken off with ``force``,
    and then their submissions and grades stay (gradebook, submitted/, autograded/, feedback/)."""
    with Roster(cohort) as roster:
        current = roster.entries()
        ids, unknown = [], []
        for g in given:
            found = _resolve(g, current)
            if found:
                ids.append(found)
            else:
                unknown.append(g)
        if unknown:
            known = "、".join(list(current)[:20]) + ("…" if len(current) > 20 else "")
            raise WagamamaError(
                f"名簿にいない ID があります: {'、'.join(unknown)}。何も変えていません。"
                f"名簿にいる受講者: {known or 'いません'}（`wagamama roster list {cohort.id}` で一覧できます）。",
                f"not on the roster: {', '.join(unknown)}",
            )
        ids = list(dict.fromkeys(ids))
        work = {i: roster.work(i) for i in ids}
        with_work = {i: w for i, w in work.items() if w}
        if with_work and not force:
            listed = "\n".join(f"  - {i} {current[i].name}: {'、'.join(w)}" for i, w in with_work.items())
            raise WagamamaError(
                f"次の受講者には提出物があります。何も変えていません。\n{listed}\n"
                "名簿から外すときは --force をつけてください。外しても、提出物と成績は消しません"
                "（成績簿と submitted/ に残り、formgrader でも見られます）。",
                "learner(s) with submissions: use --force to take them off the roster (their work is kept)",
            )
        result = RemoveResult()
        for i in ids:
            if roster.remove(i):
                result.kept[i] = work[i]
            else:
                result.deleted.append(i)
    return result
