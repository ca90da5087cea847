"""Files a town office opens in Excel: CSV with a BOM, .xlsx with widths, a frozen header and filters.

Numbers are written as numbers and text never looks like a date or a fraction (Excel turns ``7/7``
into 7月7日). A file that already exists is never overwritten: the new one gets ``-2``, ``-3``, …
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .terminal_table import width

DEFAULT_TIMEZONE = "Asia/Tokyo"


def free_path(path: Path) -> Path:
    """``path`` if no file is there; otherwise the first free ``<name>-2<suffix>``, ``-3``, …"""
    if not path.exists():
        return path
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate


def now(timezone: str = DEFAULT_TIMEZONE) -> dt.datetime:
    """The time now in the cohort's time zone (Asia/Tokyo unless cohort.json says another)."""
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = dt.timezone(dt.timedelta(hours=9), "JST") if timezone == DEFAULT_TIMEZONE else dt.UTC
    return dt.datetime.now(zone)


def stamp(when: dt.datetime) -> str:
    """A time with its offset and zone, as text Excel keeps as it is: 2026-05-01 10:00:00 +09:00（Asia/Tokyo）."""
    offset = when.strftime("%z")
    zone = getattr(when.tzinfo, "key", None) or when.tzname()
    return f"{when:%Y-%m-%d %H:%M:%S} {offset[:3]}:{offset[3:]}（{zone}）"


def _plain(value):
    """Whole numbers as int (8, not 8.0); None as an empty cell."""
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def write_csv(path: Path, table: list[list]) -> None:
    """UTF-8 with a BOM, so Excel on Japanese Windows reads it without mojibake."""
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        csv.writer(f).writerows([["" if v is None else _plain(v) for v in row] for row in table])


def add_sheet(wb, title: str, table: list[list], freeze: str = "A2"):
    """A sheet with a bold header, the header frozen, filters on every column and widths that fit."""
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(title)
    for row in table:
        ws.append([_plain(v) for v in row])
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.freeze_panes = freeze
    if table and table[0]:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(table[0]))}{len(table)}"
    for i in range(len(table[0]) if table else 0):
        longest = max((width(str(r[i])) for r in table[1:] if i < len(r) and r[i] is not None), default=0)
        # a header wider than its data wraps instead of widening the column
        header = min(width(str(table[0][i])), 14)
        ws.column_dimensions[get_column_letter(i + 1)].width = min(max(longest, header, 6) + 2, 60)
    return ws


def write_xlsx(path: Path, sheets: list[tuple[str, list[list], str]], info: list[tuple[str, object]] = ()) -> None:
    """Sheets of (title, table, cell to freeze at); ``info``: a last sheet of label → value."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.remove(wb.active)
    for title, table, freeze in sheets:
        add_sheet(wb, title, table, freeze)
    if info:
        ws = add_sheet(wb, "情報", [["項目", "内容"], *[[k, v] for k, v in info]])
        ws.auto_filter.ref = None
    wb.save(path)
