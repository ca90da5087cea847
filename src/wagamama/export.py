"""Export the cohort's grades for the town: CSV with a BOM (Excel on Japanese Windows) or .xlsx."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from .cohort import Cohort
from .errors import WagamamaError
from .programs import assignment_title
from .status import status


def rows(cohort: Cohort) -> list[list]:
    st = status(cohort)
    header = ["受講者ID", "氏名", "ふりがな", "メール"]
    for a in st.assignments:
        header += [f"{assignment_title(a)}（点）", f"{assignment_title(a)}（満点）", f"{assignment_title(a)}（状況）"]
    header += ["合計点", "満点合計", "達成率(%)"]
    table = [header]
    for s, info in st.learners.items():
        row = [s, info.get("name", ""), info.get("kana", ""), info.get("email", "")]
        total = possible = 0.0
        for a in st.assignments:
            cell = st.cells[(s, a)]
            graded = cell.state in ("graded", "needs_manual")
            row += [cell.score if graded else None, cell.max_score if graded else None, cell.label]
            if graded:
                total += cell.score or 0
                possible += cell.max_score or 0
        row += [total, possible, round(100 * total / possible, 1) if possible else None]
        table.append(row)
    return table


def export(cohort: Cohort, fmt: str, out: Path | None = None) -> Path:
    if fmt not in ("csv", "xlsx"):
        raise WagamamaError(f"形式「{fmt}」には書き出せません。csv か xlsx を選んでください。", f"unknown format {fmt}")
    table = rows(cohort)
    if out is None:
        out = cohort.path / "exports" / f"{cohort.id}-成績-{dt.date.today().isoformat()}.{fmt}"
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        with open(out, "w", encoding="utf-8-sig", newline="") as f:
            csv.writer(f).writerows([["" if v is None else v for v in r] for r in table])
    else:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        wb = Workbook()
        ws = wb.active
        ws.title = "成績"
        for r in table:
            ws.append(r)
        for c in ws[1]:
            c.font = Font(bold=True)
        ws.freeze_panes = "C2"
        info = wb.create_sheet("講座")
        for k, v in (("講座ID", cohort.id), ("講座名", cohort.title), ("プログラム", cohort.meta.get("program")),
                     ("自治体", cohort.meta.get("municipality")), ("書き出し日時", dt.datetime.now().isoformat(timespec="minutes"))):
            info.append([k, v])
        wb.save(out)
    return out
