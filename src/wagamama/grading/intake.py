"""Look at a collected submission before nbgrader grades it: find the notebooks, say what is wrong.

nbgrader's own messages for a broken submission are English log lines ("No notebooks found",
NotJSONError). This step runs first and gives the instructor a Japanese reason with the file name.
It never changes or removes what the learner handed in, and refuses a folder holding anything but folders
and regular files (a link there would be followed by nbgrader, as root). The one thing it adds: when the assignment's
notebook is missing but exactly one other notebook can only be it (``ex01_wagamama (1).ipynb``,
``ex01_wagamama-Copy1.ipynb``, ``ワガママ日記.ipynb``), a copy under the right name, and a flag.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from ..cohort import Cohort


@dataclass
class Intake:
    problem: str = ""  # why this submission cannot be graded, in Japanese ("" when it can)
    flags: list[str] = field(default_factory=list)  # what the instructor should look at


def _key(name: str) -> str:
    return unicodedata.normalize("NFKC", name).casefold()


def _readable(path: Path) -> str:
    """"" when nbgrader can read the notebook, else why not (Japanese)."""
    raw = path.read_bytes()
    if not raw.strip():
        return f"ノート {path.name} が空のファイルです（0 バイトか空白だけ）。受講者にもう一度提出してもらってください。"
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return f"ノート {path.name} が UTF-8 の文字として読めません。受講者にもう一度提出してもらってください。"
    except json.JSONDecodeError as exc:
        return (f"ノート {path.name} が壊れていて読めません（JSON の {exc.lineno} 行 {exc.colno} 文字目）。"
                "受講者にもう一度提出してもらってください。")
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")), list):
        return f"ノート {path.name} は JSON ですが、ノートブックの形をしていません。受講者にもう一度提出してもらってください。"
    major = data.get("nbformat")
    if major not in (3, 4):
        return (f"ノート {path.name} の形式（nbformat {major}）はこの採点環境では読めません。"
                "受講者に JupyterLab で開いて保存し直し、もう一度提出してもらってください。")
    return ""


def _not_regular(folder: Path) -> str:
    """"" when the folder holds only folders and regular files, else the first other thing (Japanese)."""
    for top, dirs, files in os.walk(folder):
        for name in dirs + files:
            path = Path(top) / name
            mode = path.lstat().st_mode
            if not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                kind = "シンボリックリンク" if stat.S_ISLNK(mode) else "ふつうでないファイル（FIFO やデバイスなど）"
                return (f"提出物の {path.relative_to(folder)} が{kind}です。何も開かずに、採点をやめました。"
                        "受講者に、ふつうのファイルだけで提出し直してもらってください。")
    return ""


def intake(cohort: Cohort, assignment: str, student: str) -> Intake:
    folder = cohort.submitted_dir(student, assignment)
    found = Intake()
    if folder.is_symlink() or not folder.is_dir():
        found.problem = f"提出物のフォルダ {folder.name} がフォルダではありません。採点をやめました。"
        return found
    found.problem = _not_regular(folder)
    if found.problem:
        return found
    expected = sorted(p.name for p in (cohort.path / "source" / assignment).glob("*.ipynb"))
    handed_in = sorted(p for p in folder.glob("*.ipynb") if p.is_file())

    missing = [name for name in expected if not (folder / name).is_file()]
    others = [p for p in handed_in if p.name not in expected]
    renamed = "ノートの名前が「{}」でした。{} として採点しました。"
    for name in [n for n in expected if n not in missing]:  # a copy an earlier run made: say it again
        same = [p for p in others if p.read_bytes() == (folder / name).read_bytes()]
        if same:
            found.flags.append(renamed.format(same[0].name, name))
    for name in missing:
        stem = _key(Path(name).stem)
        alike = [p for p in others if _key(p.stem).startswith(stem)]
        candidates = alike or (others if len(missing) == 1 else [])
        if len(candidates) == 1:
            chosen = candidates[0]
            shutil.copy2(chosen, folder / name)
            others.remove(chosen)
            found.flags.append(renamed.format(chosen.name, name))
        elif candidates:
            found.flags.append(f"{name} がなく、候補が複数あります（{'、'.join(p.name for p in candidates)}）。")
    present = [name for name in expected if (folder / name).is_file()]
    if not present:
        what = "、".join(p.name for p in handed_in) or "ノートなし"
        found.problem = (f"提出物に課題のノート（{'、'.join(expected)}）がありません（提出されたもの: {what}）。"
                         "受講者に、課題のノートを提出し直してもらってください。")
        return found
    for name in present:
        why = _readable(folder / name)
        if why:
            found.problem = why
            return found
    for name in expected:
        if name not in present:
            found.flags.append(f"ノート {name} が提出されていません（0 点になります）。")
    return found
