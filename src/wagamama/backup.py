"""Her work in one file: save it before Binder stops, bring it back in a fresh session.

``backup()`` writes ``wagamama-backup-<date>-<time>.zip`` in her learning folder (the folder that holds
``curriculum/`` or ``selfstudy/``): every notebook and file she made there (the ``my_*.json`` files later
modules read, her apps' ``app_data``, her pitch), and the progress file of the self-checks. She downloads that
one file. ``restore(zip)`` puts everything back in a fresh session (Binder, another laptop); files that would be
overwritten are kept aside first, and progress is merged (the later record of each check wins). In a notebook,
``save_button()`` and ``restore_button()`` do the same with one click (the second one uploads the file too).
From the command line: ``wagamama backup`` and ``wagamama restore FILE``.

Nothing is sent anywhere. The repository's own material (exercises with their solutions, the package, tests)
is left out, and so is anything larger than MAX_FILE.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from . import progress
from .errors import WagamamaError


class BackupError(WagamamaError):
    """What went wrong, in Japanese; in a notebook, without a traceback."""

    def _render_traceback_(self) -> list[str]:
        return ["❌ " + self.message]

MANIFEST = "wagamama-backup.json"
PROGRESS = "_progress/progress.json"
PREFIX = "wagamama-backup-"
MAX_FILE = 20 * 1024 * 1024
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".ipynb_checkpoints", ".pytest_cache",
             ".ruff_cache", "site-packages", ".cache", ".local", ".jupyter", ".ipython", ".npm", ".config"}
REPO_ONLY = {"exercises", "src", "tests", "binder", "grading", "deploy", "bench", "var", "test-output"}


def learning_folder(start: str | Path | None = None) -> Path:
    """Her learning folder: the nearest folder, from ``start`` upwards, that holds curriculum/ or selfstudy/."""
    here = Path(start or Path.cwd()).resolve()
    for folder in [here, *here.parents]:
        if (folder / "curriculum").is_dir() or (folder / "selfstudy").is_dir():
            return folder
    return here


def _is_repository(root: Path) -> bool:
    return (root / "pyproject.toml").is_file() and (root / "src" / "wagamama").is_dir()


def _files(root: Path) -> list[Path]:
    repo = _is_repository(root)
    found = []
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        rel = here.relative_to(root)
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith((".", "restore-まえ-"))
                         and not (repo and rel == Path(".") and d in REPO_ONLY))
        for name in sorted(files):
            path = here / name
            if rel == Path(".") and (name.startswith(PREFIX) or (repo and not name.startswith("my_"))):
                continue  # earlier backups, and the repository's own files at its top
            if path.is_symlink() or not path.is_file() or path.stat().st_size > MAX_FILE:
                continue
            found.append(path)
    return found


def backup(dest: str | Path | None = None, root: str | Path | None = None, quiet: bool = False) -> Path:
    """Write one zip file with her notebooks, her saved files and her progress; return its path."""
    root = learning_folder(root)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M")
    dest = Path(dest) if dest else root / f"{PREFIX}{stamp}.zip"
    if dest.is_dir():
        dest = dest / f"{PREFIX}{stamp}.zip"
    files = [f for f in _files(root) if f.resolve() != dest.resolve()]
    kept = progress.path()
    with zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, f.relative_to(root).as_posix())
        if kept.is_file():
            z.write(kept, PROGRESS)
        z.writestr(MANIFEST, json.dumps({"形式": "wagamama-backup 1", "作った日時": dt.datetime.now().isoformat(
            timespec="seconds"), "ファイルの数": len(files), "進みぐあい": kept.is_file()}, ensure_ascii=False, indent=1))
    if not quiet:
        where = dest.relative_to(root) if dest.is_relative_to(root) else dest
        print(f"💾 {len(files)} 個のファイルと進みぐあいを、{where} にまとめました。\n"
              "左のファイル一覧で、このファイルを右クリックして「ダウンロード」を選び、パソコンに保存します。\n"
              "次に学ぶときは、このファイルをアップロードして restore() を実行すると、続きから始められます。")
    return dest


def newest_backup(root: str | Path | None = None) -> Path | None:
    """The newest backup file in her learning folder or this folder (what she just uploaded)."""
    places = {learning_folder(root), Path.cwd().resolve()}
    found = [p for folder in places for p in folder.glob(f"{PREFIX}*.zip") if p.is_file()]
    return max(found, key=lambda p: (p.stat().st_mtime, p.name)) if found else None


def _safe(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts or name.endswith("/"):
        return None
    return path


def _merge_progress(data: dict) -> None:
    mine = progress.load()
    for assignment, checks in data.items():
        if not isinstance(checks, dict):
            continue
        here = mine.setdefault(assignment, {})
        for check, entry in checks.items():
            if isinstance(entry, dict) and entry.get("time", "") >= here.get(check, {}).get("time", ""):
                here[check] = entry
    target = progress.path()
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(mine, ensure_ascii=False, indent=1), encoding="utf-8")


def restore(source: str | Path | bytes | None = None, root: str | Path | None = None, quiet: bool = False) -> list[Path]:
    """Put back what backup() saved; return the files written. Files that differ are kept aside first."""
    root = learning_folder(root)
    if source is None:
        source = newest_backup(root)
        if source is None:
            raise BackupError(f"{PREFIX}….zip が見つかりません。左のファイル一覧の上の「↑」（アップロード）で、"
                                "ダウンロードしておいたファイルを、このフォルダーに入れてから実行します。",
                                "no backup file found")
    data = io.BytesIO(source) if isinstance(source, bytes) else source
    try:
        z = zipfile.ZipFile(data)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BackupError(f"バックアップのファイルが読めません（{exc}）。ダウンロードした {PREFIX}….zip を、"
                            "そのままアップロードします。", "not a backup zip") from None
    with z:
        if MANIFEST not in z.namelist():
            raise BackupError("このファイルは、wagamama backup で作ったバックアップではありません。",
                                "no wagamama-backup.json in the zip")
        aside = root / f"restore-まえ-{dt.datetime.now():%Y%m%d-%H%M%S}"
        written, kept_aside = [], 0
        for info in z.infolist():
            name = info.filename
            if name in (MANIFEST, PROGRESS) or info.is_dir():
                continue
            rel = _safe(name)
            if rel is None or (info.external_attr >> 16) & 0o170000 == 0o120000:  # no paths outside, no links
                continue
            target = root / rel
            content = z.read(info)
            if target.is_symlink():
                target.unlink()
            if target.is_file():
                if target.read_bytes() == content:
                    continue
                (aside / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.move(str(target), aside / rel)
                kept_aside += 1
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
            mtime = dt.datetime(*info.date_time).timestamp()
            os.utime(target, (mtime, mtime))  # "the newest my_app.json" stays the one she saved last
            written.append(target)
        if PROGRESS in z.namelist():
            try:
                _merge_progress(json.loads(z.read(PROGRESS).decode("utf-8")))
            except ValueError:
                pass
    if not quiet:
        print(f"📂 {len(written)} 個のファイルと進みぐあいを、もとにもどしました。")
        if kept_aside:
            print(f"   上書きする前のファイル {kept_aside} 個は、{aside.name} フォルダーに残しました。")
        print("   開いていたノートは、いったん閉じてから開き直します。")
    return written


# --- in a notebook: one button each ------------------------------------------------------------------------

def save_button():
    """A button that makes the backup and shows where it is (to download from the file list)."""
    import ipywidgets as widgets

    button = widgets.Button(description="書いたものを1つのファイルにまとめる", icon="download",
                            layout=widgets.Layout(width="auto"))
    out = widgets.Output()

    def clicked(_):
        with out:
            out.clear_output()
            backup()

    button.on_click(clicked)
    return widgets.VBox([button, out])


def restore_button():
    """An upload button: choose the backup file on the computer, and everything comes back."""
    import ipywidgets as widgets

    upload = widgets.FileUpload(accept=".zip", multiple=False, description="バックアップを選ぶ")
    out = widgets.Output()

    def chosen(change):
        with out:
            out.clear_output()
            for item in change["new"]:
                try:
                    restore(bytes(item["content"]))
                except WagamamaError as exc:
                    print("❌", exc.message)

    upload.observe(chosen, "value")
    return widgets.VBox([widgets.HTML("パソコンに保存しておいた wagamama-backup-….zip を選ぶと、もとにもどります。"),
                         upload, out])
