"""The report as one self-contained HTML page: styles inline, charts as base64 PNG, nothing from the network.

It opens from a USB stick on a town office PC with no internet, and prints on A4.
"""

from __future__ import annotations

import base64
import datetime as dt
from html import escape
from pathlib import Path

from .activity import TOKYO
from .report import Report, Table

STYLE = """
body { font-family: "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo", sans-serif; margin: 2em auto;
       max-width: 60em; color: #222; line-height: 1.6; padding: 0 1em; }
h1 { font-size: 1.5em; border-bottom: 3px solid #3f51b5; }
h2 { font-size: 1.2em; margin-top: 2em; border-left: 6px solid #3f51b5; padding-left: .5em; }
table { border-collapse: collapse; margin: .5em 0 1em; font-size: .9em; }
th, td { border: 1px solid #bbb; padding: .2em .6em; vertical-align: top; }
th { background: #e8eaf6; }
td.num { text-align: right; }
td.short { white-space: nowrap; }
p.note { font-size: .85em; color: #555; }
figure { margin: 1em 0; }
figure img { max-width: 100%; }
figcaption { font-size: .85em; color: #555; }
@media print { h2 { page-break-before: auto; } figure { page-break-inside: avoid; } }
"""

SECTIONS = [  # (heading, what it shows in order: table ids, and chart ids as "chart:<id>")
    ("概要", ["overview", "chart:submissions", "chart:rate", "assignments", "weekly", "chart:scores",
            "scores"]),
    ("支援が必要かもしれない人", ["help"]),
    ("問題ごとの結果（どこを教え直すか）", ["chart:checks", "checks", "failures", "ungraded"]),
    ("町への報告", ["town", "by-year", "by-month"]),
    ("講座ごと", ["chart:completion", "cohorts"]),
    ("DX リテラシー標準（DSS-L）", ["dss", "chart:dss"]),
]


def cell(value) -> str:
    if value is None:
        return "<td>—</td>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f'<td class="num">{escape(str(value))}</td>'
    text = str(value)
    return f'<td class="short">{escape(text)}</td>' if len(text) <= 14 else f"<td>{escape(text)}</td>"


def table(t: Table, heading: bool = True) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in t.header)
    body = "".join("<tr>" + "".join(cell(v) for v in row) + "</tr>" for row in t.rows)
    if not t.rows:
        body = f'<tr><td colspan="{len(t.header)}">ありません。</td></tr>'
    note = f'<p class="note">{escape(t.note)}</p>' if t.note else ""
    title = f"<h3>{escape(t.title)}</h3>\n" if heading else ""
    return (f'{title}<table id="{escape(t.id)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
            f"{note}\n")


def figure(chart_id: str, caption: str, data: bytes) -> str:
    src = "data:image/png;base64," + base64.b64encode(data).decode("ascii")
    return (f'<figure id="chart-{escape(chart_id)}"><img src="{src}" alt="{escape(caption)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>\n")


def render(report: Report) -> str:
    tables = {t.id: t for t in report.tables}
    charts = {c[0]: c for c in report.charts}
    parts = ['<!DOCTYPE html>\n<html lang="ja">\n<head>\n<meta charset="utf-8">\n'
             f"<title>{escape(report.title)}</title>\n"
             f"<style>{STYLE}</style>\n</head>\n<body>\n<h1>{escape(report.title)}</h1>\n"
             f'<p id="subtitle">{escape(report.subtitle)}</p>\n'
             f"<p>作成: {dt.datetime.now(TOKYO):%Y-%m-%d %H:%M}。"
             "表の数字は、Excel のファイル（同じ名前の .xlsx）にも入っています。</p>\n"]
    for heading, shows in SECTIONS:
        if not any(i in tables for i in shows):
            continue
        parts.append(f"<h2>{escape(heading)}</h2>\n")
        for i in shows:
            if i.startswith("chart:") and i[6:] in charts:
                parts.append(figure(*charts[i[6:]]))
            elif i in tables:
                parts.append(table(tables[i], heading=tables[i].title != heading))
    parts.append("<h2>このレポートで分からないこと</h2>\n<ul id=\"limits\">"
                 + "".join(f"<li>{escape(text)}</li>" for text in report.limits) + "</ul>\n")
    fonts = "、".join(Path(f).name for f in sorted(report.fonts)) or "—"
    parts.append(f'<p class="note" id="fonts">グラフの文字のフォント: {escape(fonts)}</p>\n</body>\n</html>\n')
    return "".join(parts)
