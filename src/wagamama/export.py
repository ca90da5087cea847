"""Export the cohort's grades for the town: CSV with a BOM (Excel on Japanese Windows) or .xlsx.

One row per learner. Scores and full marks are separate numeric columns (never ``7/7``, which Excel turns
into a date); the state of each assignment is words only. 提出率 counts every assignment of the cohort,
and 達成率 divides the points by the full marks of every released assignment, handed in or not.
Dated files are never overwritten: a second export on the same day gets ``-2``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from . import spreadsheet
from .cohort import Cohort
from .errors import WagamamaError
from .programs import assignment_title
from .status import Status, status

SUMMARY = ["提出数", "課題数", "提出率(%)", "合計点", "満点合計", "達成率(%)"]


def _percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def rows(cohort: Cohort, st: Status | None = None) -> list[list]:
    st = st or status(cohort)
    header = ["受講者ID", "氏名", "ふりがな", "メール", *SUMMARY]
    for a in st.assignments:
        title = assignment_title(a)
        header += [f"{title}（点）", f"{title}（満点）", f"{title}（状況）"]
    possible = sum(m for m in st.maxima.values() if m is not None)
    table = [header]
    for s, info in st.learners.items():
        handed_in, total = st.submitted(s), st.total(s)
        row = [s, info.get("name", ""), info.get("kana", ""), info.get("email", ""),
               handed_in, len(st.assignments), _percent(handed_in, len(st.assignments)),
               total, possible, _percent(total, possible)]
        for a in st.assignments:
            cell = st.cells[(s, a)]
            row += [cell.score if cell.scored else None, st.maxima[a], cell.label]
        table.append(row)
    return table


def default_path(cohort: Cohort, fmt: str) -> Path:
    today = spreadsheet.now(cohort.timezone).date().isoformat()
    return cohort.path / "exports" / f"{cohort.id}-成績-{today}.{fmt}"


def export(cohort: Cohort, fmt: str, out: Path | None = None) -> Path:
    """Write the grades to ``out`` (default: exports/<cohort>-成績-<date>.<fmt>). An existing file is kept:
    the new one gets the next free name (``-2``, ``-3``, …); the path written is returned."""
    if fmt not in ("csv", "xlsx"):
        raise WagamamaError(f"形式「{fmt}」には書き出せません。csv か xlsx を選んでください。", f"unknown format {fmt}")
    st = status(cohort)
    table = rows(cohort, st)
    out = spreadsheet.free_path(out or default_path(cohort, fmt))
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        spreadsheet.write_csv(out, table)
        return out
    released = [a for a in st.assignments if st.maxima[a] is not None]
    when: dt.datetime = spreadsheet.now(cohort.timezone)
    info = [("講座ID", cohort.id), ("講座名", cohort.title), ("プログラム", cohort.meta.get("program")),
            ("自治体", cohort.meta.get("municipality")), ("書き出し日時", spreadsheet.stamp(when)),
            ("受講者数", len(st.learners)), ("課題数", len(st.assignments)),
            ("満点合計", f"配布済みの課題 {len(released)} 件の満点の合計です"
                         + (f"（未配布の {len(st.assignments) - len(released)} 件は入っていません）"
                            if len(released) < len(st.assignments) else "")),
            ("提出率(%)", "提出した課題の数 ÷ 講座のすべての課題の数"),
            ("達成率(%)", "合計点 ÷ 満点合計（提出していない課題も満点合計に入ります）")]
    spreadsheet.write_xlsx(out, [("成績", table, "C2")], info)
    return out
