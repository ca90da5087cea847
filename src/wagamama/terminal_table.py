"""Tables for the instructor's terminal: Japanese characters count twice, and a table fits the window.

A window of 80 to 120 columns is the target: columns that may be shortened (names, titles, e-mail)
are cut with "…" until the table fits; numbers and IDs are never cut.
"""

from __future__ import annotations

import shutil
import unicodedata

MIN_COLUMNS, MAX_COLUMNS = 80, 120
GAP = "  "


def width(text: str) -> int:
    """Columns the text takes in a terminal (full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def clip(text: str, size: int) -> str:
    """The text cut to ``size`` columns, ending with "…" when something was cut."""
    if width(text) <= size:
        return text
    out = ""
    for ch in text:
        if width(out + ch) > size - 1:
            break
        out += ch
    return out + "…"


def pad(text: str, size: int, right: bool = False) -> str:
    space = " " * max(size - width(text), 0)
    return space + text if right else text + space


def columns() -> int:
    """The width to fit: the terminal's, kept between 80 and 120 (and 100 when it is not a terminal)."""
    return max(MIN_COLUMNS, min(shutil.get_terminal_size((100, 24)).columns, MAX_COLUMNS))


def render(header: list[str], rows: list[list[str]], total: int | None = None, shrink: tuple[int, ...] = (),
           right: tuple[int, ...] = ()) -> list[str]:
    """Lines of a table no wider than ``total`` columns (default: columns()).

    ``shrink``: indexes of the columns that may be cut to fit, ``right``: indexes aligned right (numbers).
    """
    total = total or columns()
    sizes = [max(width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    floor = {i: max(min(width(header[i]), 8), 4) for i in shrink}
    while sum(sizes) + len(GAP) * (len(sizes) - 1) > total:
        cuttable = [i for i in shrink if sizes[i] > floor[i]]
        if not cuttable:
            break
        widest = max(cuttable, key=lambda i: sizes[i])
        sizes[widest] -= 1

    def line(cells: list[str]) -> str:
        return GAP.join(pad(clip(str(c), n), n, i in right) for i, (c, n) in enumerate(zip(cells, sizes, strict=True)))

    return [line(header).rstrip(), GAP.join("-" * n for n in sizes), *(line(r).rstrip() for r in rows)]
