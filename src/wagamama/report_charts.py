"""The report's charts: matplotlib figures drawn with a Japanese font, embedded as PNG (no file, no network).

The font is IPAexGothic, shipped inside the package matplotlib-fontja (so a town's offline PC draws the
same glyphs); Noto Sans CJK JP (fonts-noto-cjk) is used when that is missing. :func:`fonts_of` tells
which font files a figure's text was really drawn with; the report lists them.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

from matplotlib.figure import Figure

COLORS = ["#3f51b5", "#f57c00", "#2e7d32", "#c62828", "#6a1b9a", "#00838f", "#8d6e63", "#546e7a", "#ad1457",
          "#9e9d24"]


def japanese_font() -> Path:
    """The font file the charts use, registered with matplotlib."""
    from matplotlib import font_manager

    candidates = []
    try:
        import matplotlib_fontja

        candidates.append(Path(matplotlib_fontja.__file__).parent / "fonts" / "ipaexg.ttf")
    except ImportError:
        pass
    candidates += [Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")]
    for path in candidates:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return path
    raise FileNotFoundError("日本語のフォントがありません。matplotlib-fontja か fonts-noto-cjk を入れてください。")


def font_family(path: Path) -> str:
    from matplotlib.ft2font import FT2Font

    return FT2Font(str(path)).family_name


def covers(path: Path, text: str) -> set[str]:
    """The characters of ``text`` the font has no glyph for."""
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(path))
    return {ch for ch in text if not ch.isspace() and font.get_char_index(ord(ch)) == 0}


def fonts_of(fig: Figure) -> set[str]:
    """The font files matplotlib uses for every piece of text in the figure."""
    from matplotlib import font_manager
    from matplotlib.text import Text

    found = (font_manager.findfont(t.get_fontproperties(), fallback_to_default=False)
             for t in fig.findobj(Text) if t.get_text().strip())
    return {str(getattr(f, "path", f)) for f in found}  # matplotlib ≥ 3.10: a FontPath (path, face index)


def _figure(height: float, width: float = 8.0) -> Figure:
    return Figure(figsize=(width, height), dpi=100)


def png(fig: Figure) -> bytes:
    buf = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buf, format="png", dpi=100)
    return buf.getvalue()


def _barh(labels: list[str], values: list, title: str, xlabel: str, xmax: float | None = 100) -> Figure:
    fig = _figure(0.4 * len(labels) + 1.4)
    ax = fig.subplots()
    y = list(range(len(labels)))[::-1]
    ax.barh(y, [v or 0 for v in values], color=COLORS[0])
    ax.set_yticks(y, labels)
    for yy, v in zip(y, values, strict=True):
        ax.text((v or 0) + (xmax or max(values or [1])) * 0.01, yy, "—" if v is None else f"{v}", va="center",
                fontsize=8)
    if xmax:
        ax.set_xlim(0, xmax * 1.08)
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    return fig


def submissions_over_time(figures, released: list[str]) -> Figure:
    """Learners who have handed in each assignment, day by day (cumulative)."""
    import matplotlib.dates as mdates

    from .activity import TOKYO

    weeks = figures.weeks()
    first = figures.period.start or (weeks[0] if weeks else figures.period.as_of.date())
    last = figures.period.as_of.astimezone(TOKYO).date()
    days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
    fig = _figure(3.6)
    ax = fig.subplots()
    for i, a in enumerate(released):
        firsts = sorted(v[0].astimezone(TOKYO).date() for (s, aa), v in figures.handins.items() if aa == a)
        ax.plot(days, [sum(d <= day for d in firsts) for day in days], label=figures.cur.title(a),
                color=COLORS[i % len(COLORS)])
    ax.set_ylim(0, max(len(figures.act.learners), 1) + 0.5)
    ax.set_title("課題を提出した人の数（累計）")
    ax.set_ylabel("人", rotation=0, labelpad=12)
    ax.set_xlabel("日付")
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%m/%d"))
    ax.tick_params(axis="x", labelsize=8)
    if released:
        ax.legend(fontsize=8, loc="upper left")
    return fig


def score_distribution(table) -> Figure:
    labels = [f"{r[1]}" for r in table.rows]
    fig = _figure(0.45 * len(labels) + 1.6)
    ax = fig.subplots()
    y = list(range(len(labels)))[::-1]
    left = [0] * len(labels)
    for j, bin_label in enumerate(table.header[2:]):
        counts = [r[2 + j] for r in table.rows]
        ax.barh(y, counts, left=left, label=bin_label, color=COLORS[j % len(COLORS)])
        left = [a + b for a, b in zip(left, counts, strict=True)]
    ax.set_yticks(y, labels)
    ax.set_title("得点の分布（自動チェックの得点率）")
    ax.set_xlabel("人")
    ax.legend(fontsize=7, ncols=3, loc="lower right")
    return fig


def checks(table) -> Figure:
    labels = [f"{r[0][:4]} {r[1]}" for r in table.rows]
    fig = _figure(0.3 * len(labels) + 1.6)
    ax = fig.subplots()
    y = list(range(len(labels)))[::-1]
    ax.barh([v + 0.2 for v in y], [r[5] or 0 for r in table.rows], height=0.4, label="最初の提出", color=COLORS[1])
    ax.barh([v - 0.2 for v in y], [r[7] or 0 for r in table.rows], height=0.4, label="最新", color=COLORS[0])
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 105)
    ax.set_title("チェックごとの正解率")
    ax.set_xlabel("%")
    ax.legend(fontsize=8, loc="lower right")
    return fig


def cohort_charts(figures, tables) -> tuple[list[tuple[str, str, bytes]], set[str]]:
    by_id = {t.id: t for t in tables}
    rows = by_id["assignments"].rows
    made = [("submissions", "課題を提出した人の数（累計）", lambda: submissions_over_time(figures, figures.act.released)),
            ("rate", "課題ごとの提出率",
             lambda: _barh([f"{r[1]}" for r in rows], [r[4] for r in rows], "課題ごとの提出率", "提出した人の割合（%）"))]
    if by_id["scores"].rows:
        made.append(("scores", "得点の分布", lambda: score_distribution(by_id["scores"])))
    if by_id["checks"].rows:
        made.append(("checks", "チェックごとの正解率（最初の提出と最新）", lambda: checks(by_id["checks"])))
    made.append(_dss(by_id["dss"]))
    return _render(made)


def _dss(table):
    rows = table.rows
    return ("dss", "DX リテラシー標準の項目ごとに、課題を終えた人の割合",
            lambda: _barh([f"{r[3]}" for r in rows], [r[7] for r in rows], "DX リテラシー標準: 課題を終えた人の割合", "%"))


def town_charts(tables) -> tuple[list[tuple[str, str, bytes]], set[str]]:
    by_id = {t.id: t for t in tables}
    rows = by_id["cohorts"].rows
    made = [("completion", "講座ごとの修了率",
             lambda: _barh([f"{r[0]} {r[1]}" for r in rows], [r[8] for r in rows], "講座ごとの修了率",
                           "修了した人の割合（%）")),
            _dss(by_id["dss"])]
    return _render(made)


def _render(made) -> tuple[list[tuple[str, str, bytes]], set[str]]:
    """Draw each chart with the Japanese font; return the PNGs and the font files the text was drawn with."""
    import matplotlib

    fonts: set[str] = set()
    out = []
    with matplotlib.rc_context({"font.family": [font_family(japanese_font())]}):
        for chart_id, caption, draw in made:
            fig = draw()
            data = png(fig)  # drawing makes the tick labels: look at the fonts after it
            fonts |= fonts_of(fig)
            out.append((chart_id, caption, data))
    return out, fonts
