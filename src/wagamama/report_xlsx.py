"""The report as an Excel book (openpyxl): one sheet per table of the HTML page, same header, same numbers,
and a sheet with the charts."""

from __future__ import annotations

import io
import re

from .report import Report

INVALID_SHEET = re.compile(r"[\[\]:*?/\\]")


def sheet_name(text: str, used: set[str]) -> str:
    name = INVALID_SHEET.sub("・", text)[:31]
    base, i = name, 2
    while name in used:
        name = f"{base[:28]}({i})"
        i += 1
    used.add(name)
    return name


def workbook(report: Report):
    from openpyxl import Workbook
    from openpyxl.drawing.image import Image
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    about = wb.active
    about.title = "このレポートについて"
    used = {about.title}
    about.append([report.title])
    about["A1"].font = Font(bold=True, size=14)
    about.append([report.subtitle])
    about.append([])
    about.append(["このレポートで分からないこと"])
    about["A4"].font = Font(bold=True)
    for text in report.limits:
        about.append([text])
    about.column_dimensions["A"].width = 120
    for row in about.iter_rows(min_row=5):
        row[0].alignment = Alignment(wrap_text=True)

    for t in report.tables:
        ws = wb.create_sheet(sheet_name(t.sheet or t.title, used))
        ws.append(t.header)
        for c in ws[1]:
            c.font = Font(bold=True)
        for row in t.rows:
            ws.append(row)
        ws.freeze_panes = "A2"
        for i, h in enumerate(t.header, 1):
            longest = max([len(str(h))] + [len(str(r[i - 1])) for r in t.rows if r[i - 1] is not None])
            ws.column_dimensions[get_column_letter(i)].width = min(60, 4 + 2 * longest)
        if t.note:
            ws.append([])
            ws.append([t.note])

    charts = wb.create_sheet(sheet_name("グラフ", used))
    row = 1
    for _chart_id, caption, data in report.charts:
        charts.cell(row=row, column=1, value=caption).font = Font(bold=True)
        image = Image(io.BytesIO(data))
        charts.add_image(image, f"A{row + 1}")
        row += 2 + int(image.height / 20)
    return wb
