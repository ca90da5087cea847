"""The instructors' dashboard: the report's figures in a notebook, with filters (cohort, assignment, period).

The notebook ``pages/report_dashboard.ipynb`` ships with the package; ``wagamama report --dashboard FILE``
copies it where an instructor opens it (on the hub, their home). It calls :func:`show`, which draws the
same tables and charts as ``wagamama report`` (wagamama.report computes them) and draws them again when
a filter changes.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from pathlib import Path

from .report import Options, Period, Report, Table, cohort_report

ALL = "すべて"


def notebook() -> Path:
    return Path(__file__).parent / "pages" / "report_dashboard.ipynb"


def build(cohort_id: str, start: dt.date | None = None, end: dt.date | None = None,
          idle_days: int = 7) -> Report:
    from .activity import read
    from .cohort import open_cohort

    return cohort_report(read(open_cohort(cohort_id)), Options(Period(start, end), idle_days))


def only(report: Report, assignment: str | None) -> list[Table]:
    """The report's tables, with only the rows about one assignment when one is chosen."""
    if not assignment:
        return report.tables
    from .programs import assignment_title

    title = f"「{assignment_title(assignment)}」"
    tables = []
    for t in report.tables:
        if "課題ID" in t.header:
            col = t.header.index("課題ID")
            rows = [r for r in t.rows if r[col] == assignment]
        elif t.id == "help":
            rows = [r for r in t.rows if title in r[3]]
        elif t.id == "weekly":
            cols = [0, t.header.index(assignment)] if assignment in t.header else [0]
            t = Table(t.id, t.title, [t.header[i] for i in cols], [[r[i] for i in cols] for r in t.rows],
                      t.note, t.sheet)
            rows = t.rows
        else:
            rows = t.rows
        tables.append(Table(t.id, t.title, t.header, rows, t.note, t.sheet))
    return tables


def lines(report: Report, assignment: str | None) -> list[str]:
    """The figures as text: the same lines as the command prints, narrowed to one assignment when chosen."""
    if not assignment:
        return report.summary
    tables = {t.id: t for t in only(report, assignment)}
    out = [report.title, report.subtitle]
    for r in tables["assignments"].rows:
        out.append(f"{r[0]} {r[1]}: 提出 {r[3]} 人（{r[4]}%）、採点済み {r[5]} 人、平均得点率 {r[6]}%")
    for r in tables["checks"].rows:
        out.append(f"  {r[1]}（{r[2]}）: 最初の提出の正解率 {r[5]}%（{r[4]} 人）、最新の正解率 {r[7]}%（{r[6]} 人）")
    out.append("支援が必要かもしれない人:")
    out += [f"  {r[0]} {r[1]}: {r[2]}: {r[3]}" for r in tables["help"].rows] or ["  いません"]
    return out


def show(cohort: str | None = None, assignment: str | None = None, start: str | None = None,
         end: str | None = None, idle_days: int = 7):
    """Filters and the figures below them; returns the widget."""
    import ipywidgets as w
    from IPython.display import display

    from .cohort import list_cohorts
    from .report_html import figure, table

    cohorts = list_cohorts()
    if not cohorts:
        print("講座がまだありません。`wagamama cohort create` で作ります。")
        return None
    ids = [c.id for c in cohorts]
    pick = w.Dropdown(options=[(f"{c.title}（{c.id}）", c.id) for c in cohorts], value=cohort or ids[0],
                      description="講座")
    task = w.Dropdown(description="課題")
    since = w.DatePicker(description="期間の始め", value=dt.date.fromisoformat(start) if start else None)
    until = w.DatePicker(description="期間の終わり", value=dt.date.fromisoformat(end) if end else None)
    idle = w.BoundedIntText(value=idle_days, min=1, max=365, description="提出なしの日数")
    out = w.Output()

    def assignments(_=None):
        c = next(c for c in cohorts if c.id == pick.value)
        task.options = [(ALL, "")] + [(a, a) for a in c.assignments]
        task.value = assignment if assignment in c.assignments and pick.value == (cohort or ids[0]) else ""

    def draw(_=None):
        report = build(pick.value, since.value, until.value, idle.value)
        chosen = task.value or None
        pages = [figure(*chart) for chart in report.charts] + [table(t) for t in only(report, chosen)]
        pages.append("<ul>" + "".join(f"<li>{escape(x)}</li>" for x in report.limits) + "</ul>")
        # The outputs are set as the widget's state in one step (not captured with `with out:`), so a
        # change of filter replaces everything at once.
        text = {"output_type": "stream", "name": "stdout", "text": "\n".join(lines(report, chosen)) + "\n"}
        out.outputs = tuple([text] + [{"output_type": "display_data", "metadata": {},
                                       "data": {"text/html": page, "text/plain": "（表またはグラフ）"}}
                                      for page in pages])

    assignments()
    pick.observe(lambda change: (assignments(), draw()), names="value")
    for control in (task, since, until, idle):
        control.observe(draw, names="value")
    ui = w.VBox([w.HBox([pick, task]), w.HBox([since, until, idle]), out])
    display(ui)
    draw()
    return ui
