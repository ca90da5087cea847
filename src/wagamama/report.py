"""`wagamama report`: where a cohort stands, who may need help and why, and the figures the town reports.

The figures are computed once here, as tables (:class:`Table`), from what :mod:`wagamama.activity` reads;
the HTML page (:mod:`wagamama.report_html`), the Excel book (:mod:`wagamama.report_xlsx`), the text
summary and the instructors' dashboard all show these same tables. Charts: :mod:`wagamama.report_charts`.

Time: every figure is "as of" the end of ``--to`` (Japan time; default: now). Hand-ins after that are
ignored. ``--from``/``--to`` is also the period whose hand-ins and completions are counted.
"""

from __future__ import annotations

import datetime as dt
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from .activity import TOKYO, Activity, Result
from .dss_l import Item
from .errors import WagamamaError
from .programs import Program

BINS = [(0, 20, "0〜19%"), (20, 40, "20〜39%"), (40, 60, "40〜59%"), (60, 80, "60〜79%"), (80, 100, "80〜99%"),
        (100, 101, "100%")]
BELOW_POINTS = 25  # "well below the cohort": this many points under the cohort's median
REPEATED = 2  # "repeated failures": the same check failed in this many graded submissions in a row


# --- options --------------------------------------------------------------------------------------------
@dataclass
class Completion:
    """Who counts as having completed the program (修了). The town sets it in cohort.json "completion"
    (``{"assignments": 8, "min_percent": 60}``) or on the command line.

    ``assignments``: how many of the cohort's assignments must be done (None: all of them);
    ``min_percent``: an assignment is done when handed in and, if above 0, its automatic checks reached
    this share of their points.
    """

    assignments: int | None = None
    min_percent: float = 0

    @classmethod
    def of(cls, meta: dict, assignments: int | None = None, min_percent: float | None = None) -> Completion:
        rule = meta.get("completion") or {}
        return cls(assignments if assignments is not None else rule.get("assignments"),
                   float(min_percent if min_percent is not None else rule.get("min_percent", 0)))

    def required(self, total: int) -> int:
        return min(self.assignments, total) if self.assignments is not None else total

    def describe(self, total: int) -> str:
        need = self.required(total)
        count = f"課題 {total} 件をすべて" if need == total else f"課題 {total} 件のうち {need} 件以上を"
        text = f"{count}提出した人"
        if self.min_percent:
            text += f"（自動チェックの得点が {_num(self.min_percent)}% 以上の提出だけを数えます）"
        return text


@dataclass
class Period:
    start: dt.date | None = None
    end: dt.date | None = None

    @property
    def as_of(self) -> dt.datetime:
        if self.end is None:
            return dt.datetime.now(TOKYO)
        next_day = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), TOKYO)
        return next_day - dt.timedelta(microseconds=1)

    @property
    def since(self) -> dt.datetime | None:
        return dt.datetime.combine(self.start, dt.time(), TOKYO) if self.start else None

    def contains(self, when: dt.datetime) -> bool:
        return when <= self.as_of and (self.since is None or when >= self.since)

    def describe(self) -> str:
        start = self.start.isoformat() if self.start else "最初"
        end = self.end.isoformat() if self.end else f"今（{self.as_of:%Y-%m-%d %H:%M}）"
        return f"{start} 〜 {end}"

    @classmethod
    def parse(cls, start: str | None, end: str | None) -> Period:
        days = []
        for value in (start, end):
            try:
                days.append(dt.date.fromisoformat(value) if value else None)
            except ValueError:
                raise WagamamaError(f"日付「{value}」が読めません。2026-05-31 のように書きます。",
                                    f"bad date {value!r}") from None
        if days[0] and days[1] and days[0] > days[1]:
            raise WagamamaError(f"期間の始め（{start}）が終わり（{end}）より後になっています。", "--from is after --to")
        return cls(*days)


@dataclass
class Options:
    period: Period = field(default_factory=Period)
    idle_days: int = 7
    complete_assignments: int | None = None  # overrides cohort.json "completion"
    complete_percent: float | None = None


@dataclass
class Curriculum:
    """programs.yaml and dss_l.yaml, read once per report."""

    titles: dict[str, str]  # assignment → title
    lessons: dict[str, list[str]]  # lesson → DSS-L item ids
    assignments: dict[str, list[str]]  # assignment → DSS-L item ids
    programs: dict[str, Program]
    items: dict[str, Item]

    @classmethod
    def load(cls) -> Curriculum:
        from . import dss_l
        from .programs import catalog, load_programs

        data = catalog()
        return cls({a: e.get("title", a) for a, e in data["assignments"].items()},
                   {k: list(e.get("dss_l") or []) for k, e in data["lessons"].items()},
                   {k: list(e.get("dss_l") or []) for k, e in data["assignments"].items()},
                   load_programs(), dss_l.items())

    def title(self, assignment: str) -> str:
        return self.titles.get(assignment, assignment)

    def program_title(self, program: str) -> str:
        return self.programs[program].title if program in self.programs else program


# --- tables ---------------------------------------------------------------------------------------------
@dataclass
class Table:
    """One table of the report: the HTML shows it, the Excel book has it as a sheet (same header, values)."""

    id: str
    title: str
    header: list[str]
    rows: list[list]
    note: str = ""
    sheet: str = ""  # the Excel sheet's name (at most 31 characters); the title when empty


@dataclass
class Report:
    title: str
    subtitle: str
    period: Period
    tables: list[Table]
    charts: list[tuple[str, str, bytes]]  # (id, caption, PNG)
    limits: list[str]
    fonts: set[str]  # the font files the charts' text was drawn with
    summary: list[str]  # the text summary (CLI, dashboard)

    def table(self, table_id: str) -> Table:
        return next(t for t in self.tables if t.id == table_id)


def _num(x):
    """A number as shown: integers without a decimal point, others with one decimal."""
    if x is None:
        return None
    x = round(float(x), 1)
    return int(x) if x.is_integer() else x


def _pct(part: float, whole: float):
    return _num(100 * part / whole) if whole else None


def _day(when: dt.datetime) -> str:
    return f"{when.astimezone(TOKYO):%Y-%m-%d %H:%M}"


def _masked(text: str) -> str:
    """Failure messages that differ only in numbers (「いまは 3 件」「いまは 4 件」) are the same kind."""
    return re.sub(r"\d+(\.\d+)?", "N", text)


# --- one cohort -----------------------------------------------------------------------------------------
class CohortFigures:
    """The figures of one cohort as of the period's end."""

    def __init__(self, act: Activity, options: Options, curriculum: Curriculum):
        self.act, self.options, self.period, self.cur = act, options, options.period, curriculum
        as_of = self.period.as_of
        self.handins = {k: [t for t in v if t <= as_of] for k, v in act.handins.items()}
        self.handins = {k: v for k, v in self.handins.items() if v}
        self.results = {k: [r for r in v if r.time <= as_of] for k, v in act.results.items()}
        self.results = {k: v for k, v in self.results.items() if v}
        self.completion = Completion.of(act.meta, options.complete_assignments, options.complete_percent)
        self.done = {s: self._done(s) for s in act.learners}  # learner → {assignment: when done}
        need = self.completion.required(len(act.assignments))
        self.completed = {s: sorted(d.values())[need - 1]  # learner → when they completed
                          for s, d in self.done.items() if need and len(d) >= need}

    # a learner's state
    def latest(self, s: str, a: str) -> Result | None:
        return (self.results.get((s, a)) or [None])[-1]

    def percent(self, r: Result) -> float | None:
        if r.auto_max:
            return r.auto_percent
        return 100 * r.score / r.max_score if r.max_score and not r.needs_manual else None

    def _done(self, s: str) -> dict[str, dt.datetime]:
        done = {}
        for a in self.act.assignments:
            if self.completion.min_percent:
                ok = [r.time for r in self.results.get((s, a), [])
                      if (p := self.percent(r)) is not None and p >= self.completion.min_percent]
                if ok:
                    done[a] = ok[0]
            elif self.handins.get((s, a)):
                done[a] = self.handins[(s, a)][0]
        return done

    def learner_percent(self, s: str) -> float | None:
        values = [self.percent(r) for a in self.act.assignments if (r := self.latest(s, a))]
        values = [v for v in values if v is not None]
        return statistics.fmean(values) if values else None

    # tables
    def overview(self) -> Table:
        act, n = self.act, len(self.act.learners)
        active = {s for (s, _a) in self.handins}
        in_period = [s for s, when in self.completed.items() if self.period.contains(when)]
        handins = sum(1 for v in self.handins.values() for t in v if self.period.contains(t))
        rows = [["受講者", n], ["一度でも提出した人", len(active)],
                ["課題（配布済み / 全体）", f"{len(act.released)} / {len(act.assignments)}"],
                ["期間内の提出（回）", handins], ["修了した人", len(self.completed)],
                ["修了率（%）", _pct(len(self.completed), n)], ["期間内に修了した人", len(in_period)],
                ["支援が必要かもしれない人", len({r[0] for r in self.help_rows})]]
        return Table("overview", "概要", ["項目", "値"], rows, sheet="概要")

    def assignments(self) -> Table:
        act, n, rows = self.act, len(self.act.learners), []
        for a in act.assignments:
            submitted = [s for s in act.learners if self.handins.get((s, a))]
            graded = [r for s in act.learners if (r := self.latest(s, a))]
            percents = [p for r in graded if (p := self.percent(r)) is not None]
            count = sum(self.period.contains(t) for s in act.learners for t in self.handins.get((s, a), []))
            rows.append([a, self.cur.title(a), "配布済み" if a in act.released else "未配布", len(submitted),
                         _pct(len(submitted), n), len(graded),
                         _num(statistics.fmean(percents)) if percents else None, count])
        return Table("assignments", "課題ごとの提出と得点",
                     ["課題ID", "課題", "配布", "提出した人", "提出率（%）", "採点済みの人", "自動チェックの平均得点率（%）",
                      "期間内の提出（回）"], rows, sheet="課題ごと",
                     note="提出率は受講者全員に対する割合です。得点率は、各人の最新の採点結果の自動チェックの点です。")

    def weeks(self) -> list[dt.date]:
        times = [t for v in self.handins.values() for t in v if self.period.contains(t)]
        first = self.period.start or min(times, default=self.period.as_of).astimezone(TOKYO).date()
        monday = first - dt.timedelta(days=first.weekday())
        last = self.period.as_of.astimezone(TOKYO).date()
        weeks = []
        while monday <= last:
            weeks.append(monday)
            monday += dt.timedelta(days=7)
        return weeks

    def weekly(self) -> Table:
        act, weeks = self.act, self.weeks()
        counts = Counter()
        for (_s, a), times in self.handins.items():
            for t in times:
                if self.period.contains(t):
                    d = t.astimezone(TOKYO).date()
                    counts[(d - dt.timedelta(days=d.weekday()), a)] += 1
        rows = [[f"{w:%Y-%m-%d} の週"] + [counts[(w, a)] for a in act.released]
                + [sum(counts[(w, a)] for a in act.released)] for w in weeks]
        return Table("weekly", "週ごとの提出（回）", ["週（月曜から）"] + act.released + ["合計"], rows,
                     sheet="週ごとの提出", note="出し直しも1回と数えます。")

    def scores(self) -> Table:
        rows = []
        for a in self.act.released:
            values = [self.percent(r) for s in self.act.learners if (r := self.latest(s, a))]
            values = [v for v in values if v is not None]
            rows.append([a, self.cur.title(a)] + [sum(lo <= v < hi for v in values) for lo, hi, _ in BINS])
        return Table("scores", "得点の分布（人）", ["課題ID", "課題"] + [label for *_, label in BINS], rows,
                     sheet="得点の分布", note="各人の最新の採点結果で、自動チェックの得点率です。"
                                             "文章で答える問題（手で採点する点）は入りません。")

    def checks(self) -> tuple[Table, Table]:
        rows, failing = [], []
        for a in self.act.released:
            for c in self.act.checks.get(a, []):
                first = end = first_ok = end_ok = 0
                messages: dict[str, Counter] = {}
                learners_by_kind: dict[str, set] = {}
                for s in self.act.learners:
                    results = self.results.get((s, a), [])
                    if not results:
                        continue
                    handins = self.handins.get((s, a), [])
                    start = next((r for r in results if handins and r.time == handins[0]), None)
                    if start and start.passed(c.id) is not None:
                        first += 1
                        first_ok += bool(start.passed(c.id))
                    if results[-1].passed(c.id) is not None:
                        end += 1
                        end_ok += bool(results[-1].passed(c.id))
                    for r in results:
                        if r.passed(c.id) is False:
                            error = r.checks[c.id]["error"] or "（エラーの記録なし）"
                            messages.setdefault(_masked(error), Counter())[error] += 1
                            learners_by_kind.setdefault(_masked(error), set()).add(s)
                rows.append([a, c.title, c.id, _num(c.points), first, _pct(first_ok, first), end,
                             _pct(end_ok, end)])
                ranked = sorted(learners_by_kind, key=lambda k: (-len(learners_by_kind[k]), k))[:3]
                for rank, kind in enumerate(ranked, 1):
                    example = sorted(messages[kind].items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
                    failing.append([a, c.title, c.id, rank, example, len(learners_by_kind[kind])])
        table = Table("checks", "チェックごとの正解率", ["課題ID", "問題", "チェック", "配点", "最初の提出の人数",
                      "最初の提出の正解率（%）", "最新の人数", "最新の正解率（%）"], rows, sheet="チェックごと",
                      note="「最初の提出」は、その人が初めて出した提出の採点結果が分かる人だけを数えます。"
                           "「最新」は、各人のいちばん新しい採点結果です。")
        top = Table("failures", "よくあるつまずき（チェックのエラー）", ["課題ID", "問題", "チェック", "順位", "エラーの例", "人数"],
                    failing, sheet="よくあるつまずき",
                    note="採点済みのノートにあるエラーの1行目です。数だけがちがうエラーは、同じものとして数えます。"
                         "人数は、そのエラーが一度でも出た人の数です。")
        return table, top

    @cached_property
    def help_rows(self) -> list[list]:
        """[learner, name, kind of reason, what happened] for everyone who may need help."""
        act, as_of, rows = self.act, self.period.as_of, []
        from .grading.autograde import KERNEL_ENDS

        kernel_ends = tuple(text.split("{")[0] for text in KERNEL_ENDS.values())
        percents = {s: p for s in act.learners if (p := self.learner_percent(s)) is not None}
        median = statistics.median(percents.values()) if len(percents) >= 3 else None
        for s, info in act.learners.items():
            name = info.get("name", "")
            mine = [t for (who, a), v in self.handins.items() if who == s for t in v]
            open_work = [a for a in act.released if not self.handins.get((s, a))]
            if open_work:
                if mine:
                    idle = (as_of - max(mine)).days
                    if idle >= self.options.idle_days:
                        rows.append([s, name, "しばらく提出なし",
                                     f"{idle} 日間、何も提出していません（最後の提出: {_day(max(mine))}）。"])
                else:
                    begin = (dt.datetime.combine(act.start, dt.time(), TOKYO) if act.start else act.created)
                    if begin and (as_of - begin).days >= self.options.idle_days:
                        rows.append([s, name, "しばらく提出なし",
                                     f"講座が始まってから {(as_of - begin).days} 日、まだ一度も提出していません。"])
            for a in open_work:
                if act.fetched.get((s, a)):
                    rows.append([s, name, "受け取ったまま未提出",
                                 f"課題「{self.cur.title(a)}」を受け取りましたが、まだ提出していません。"])
            for a in act.assignments:
                results = self.results.get((s, a), [])
                for c in act.checks.get(a, []):
                    streak = 0
                    for r in reversed(results):
                        if r.passed(c.id) is not False:
                            break
                        streak += 1
                    if streak >= REPEATED:
                        rows.append([s, name, "同じところでくり返しつまずき",
                                     f"課題「{self.cur.title(a)}」の「{c.title}」で、{streak} 回続けてチェックに通っていません"
                                     f"（最新: {results[-1].checks[c.id]['error'] or 'エラーの記録なし'}）。"])
                last = results[-1] if results else None
                if last and (last.timed_out or any(f.startswith(kernel_ends) for f in last.flags)):
                    why = next((f for f in last.flags if f.startswith(kernel_ends)), "")
                    why = why or "セルが制限時間内に終わりませんでした（無限ループなど）。"
                    rows.append([s, name, "時間切れ・異常終了", f"課題「{self.cur.title(a)}」の採点で: {why}"])
                collected = act.collected.get((s, a))
                if collected and collected <= as_of and act.grading_failures.get((s, a)):
                    rows.append([s, name, "時間切れ・異常終了",
                                 f"課題「{self.cur.title(a)}」を採点できませんでした: {act.grading_failures[(s, a)]}"])
            if median is not None and s in percents and percents[s] <= median - BELOW_POINTS:
                rows.append([s, name, "得点が全体より低い",
                             f"自動チェックの得点率が {_num(percents[s])}% です。講座の中央値（{_num(median)}%）より "
                             f"{BELOW_POINTS} ポイント以上低くなっています。"])
        return rows

    def help(self) -> Table:
        return Table("help", "支援が必要かもしれない人", ["受講者ID", "氏名", "理由", "くわしく"], self.help_rows,
                     sheet="支援が必要かもしれない人",
                     note="「しばらく提出なし」は、まだ出していない課題があり、"
                          f"{self.options.idle_days} 日以上提出がない人です。"
                          f"「得点が全体より低い」は、講座の中央値より {BELOW_POINTS} ポイント以上低い人です。")

    def ungraded(self) -> Table:
        rows = []
        for (s, a), when in sorted(self.act.collected.items()):
            if when <= self.period.as_of and (s, a) in self.act.grading_failures:
                why = self.act.grading_failures[(s, a)] or "まだ採点していないか、採点できませんでした（理由の記録なし）。"
                rows.append([s, self.act.learners.get(s, {}).get("name", ""), a, _day(when), why])
        return Table("ungraded", "回収したが採点の結果がない提出", ["受講者ID", "氏名", "課題ID", "提出", "理由"], rows,
                     sheet="採点の結果なし")

    def months(self) -> list[tuple[str, int]]:
        counts = Counter(f"{w.astimezone(TOKYO):%Y-%m}" for w in self.completed.values()
                         if self.period.contains(w))
        return sorted(counts.items())

    def coverage(self) -> dict[str, set[str]]:
        """DSS-L item → learners who have done at least one assignment covering it."""
        found: dict[str, set[str]] = {}
        for s, done in self.done.items():
            for a in done:
                for item in self.cur.assignments.get(a, []):
                    found.setdefault(item, set()).add(s)
        return found


def coverage_table(figures: list[CohortFigures], cur: Curriculum) -> Table:
    learners = sum(len(f.act.learners) for f in figures)
    lessons = {st.id for f in figures if f.act.program in cur.programs
               for st in cur.programs[f.act.program].steps if st.kind == "lesson"}
    assignments = list(dict.fromkeys(a for f in figures for a in f.act.assignments))
    counts = Counter()
    for f in figures:
        for item, who in f.coverage().items():
            counts[item] += len(who)
    rows = []
    for item in cur.items.values():
        taught = [lesson for lesson in sorted(lessons) if item.id in cur.lessons.get(lesson, [])]
        checked = [a for a in assignments if item.id in cur.assignments.get(a, [])]
        rows.append([item.id, item.category_title, item.group or "—", item.title, "○" if taught else "—",
                     "、".join(checked) or "—", counts[item.id], _pct(counts[item.id], learners)])
    return Table("dss", "DX リテラシー標準（DSS-L）の項目ごとの学び",
                 ["項目ID", "区分", "分類", "項目", "教材で扱う", "確かめる課題", "課題を終えた人", "割合（%）"], rows,
                 sheet="DX リテラシー標準",
                 note="「課題を終えた人」は、その項目を扱う課題を1つ以上終えた人の数です。"
                      "終えたかどうかは、修了と同じ決まりで数えます。割合は受講者全員に対するものです。")


def fiscal_year(day: dt.date) -> int:
    """年度: April to March."""
    return day.year if day.month >= 4 else day.year - 1


def limits(act_list: list[Activity], options: Options) -> list[str]:
    fetch = [v for act in act_list for v in act.fetched.values()]
    unknown = sum(v is None for v in fetch)
    text = [
        "受け取り（Fetch）は、nbgrader に記録が残りません。受講者のホームに課題のフォルダがあるかで判断しています。"
        "フォルダを消した人や、ほかの場所に受け取った人は「受け取った」と分かりません。"
        f"ホームが見つからないか読めないため、確かめられなかった組み合わせ（受講者×課題）は {unknown} 件です。"
        "講座フォルダの cohort.json の \"learner_homes\" で、ホームの場所を指定できます。",
        "nbgrader は、最新の提出の採点結果だけを残します。このレポートは、作るたびに採点結果を "
        "reports/grading-history.json に記録します。記録する前に出し直して採点された提出の結果は、分かりません。",
        "採点できなかった提出の理由は、logs/autograde.log に残っているときだけ書きます。",
        "得点率は自動チェックの点です。文章で答える問題（手で採点する点）は入りません。",
        f"時刻は日本時間です。数字は {options.period.as_of:%Y-%m-%d %H:%M} の時点のものです。"
        "それより後の提出は数えていません。",
    ]
    return text + [n for act in act_list for n in act.notes]


def cohort_report(act: Activity, options: Options) -> Report:
    from . import report_charts

    cur = Curriculum.load()
    f = CohortFigures(act, options, cur)
    checks, failing = f.checks()
    total = len(act.assignments)
    months = f.months()
    years = sorted({f"{fiscal_year(w.astimezone(TOKYO).date())}年度" for w in f.completed.values()})
    town = Table("town", "町への報告", ["項目", "値"], [
        ["講座", f"{act.title}（{act.cohort_id}）"], ["プログラム", act.program], ["自治体", act.municipality or "—"],
        ["修了の決まり", f.completion.describe(total)], ["受講者", len(act.learners)],
        ["修了した人（この時点まで）", len(f.completed)], ["修了率（%）", _pct(len(f.completed), len(act.learners))],
        ["期間内に修了した人", sum(c for _, c in months)], ["年度", "、".join(years) or "—"],
    ], sheet="町への報告", note="修了の決まりは cohort.json の \"completion\" か、コマンドの "
                                "--complete-assignments / --complete-percent で変えられます。")
    by_month = Table("by-month", "月ごとの修了（人）", ["月", "修了した人"], [[m, c] for m, c in months],
                     sheet="月ごとの修了")
    tables = [f.overview(), f.assignments(), f.weekly(), f.scores(), f.help(), checks, failing, f.ungraded(),
              town, by_month, coverage_table([f], cur)]
    charts, fonts = report_charts.cohort_charts(f, tables)
    report = Report(f"{act.title} レポート", f"講座 {act.cohort_id}　期間 {options.period.describe()}", options.period,
                    tables, charts, limits([act], options), fonts, [])
    report.summary = summary_lines(report)
    return report


def town_report(acts: list[Activity], options: Options, program: str | None) -> Report:
    """Several cohorts at once (a prefecture's view): no names of learners, only counts."""
    from . import report_charts

    if not acts:
        raise WagamamaError(f"プログラム「{program}」の講座がありません。" if program else "講座がまだありません。",
                            "no cohorts to report")
    cur = Curriculum.load()
    figures = [CohortFigures(act, options, cur) for act in acts]
    rows, by_year, by_month = [], Counter(), Counter()
    learners_by_year: Counter = Counter()
    for f in figures:
        act = f.act
        in_period = [w for w in f.completed.values() if f.period.contains(w)]
        rows.append([act.municipality or "—", act.cohort_id, act.title, act.program,
                     act.start.isoformat() if act.start else "—", len(act.learners),
                     len({s for (s, _a) in f.handins}), len(f.completed), _pct(len(f.completed), len(act.learners)),
                     len(in_period), f.completion.describe(len(act.assignments))])
        year = fiscal_year(act.start or (act.created.date() if act.created else options.period.as_of.date()))
        learners_by_year[(act.program, year)] += len(act.learners)
        for w in in_period:
            d = w.astimezone(TOKYO).date()
            by_year[(act.program, fiscal_year(d))] += 1
            by_month[(act.program, f"{d:%Y-%m}")] += 1
    cohorts = Table("cohorts", "講座ごと", ["自治体", "講座ID", "講座", "プログラム", "開始日", "受講者",
                                          "一度でも提出した人", "修了した人", "修了率（%）", "期間内に修了した人",
                                          "修了の決まり"], rows, sheet="講座ごと")
    years = sorted(set(by_year) | set(learners_by_year))
    yearly = Table("by-year", "プログラム・年度ごと",
                   ["プログラム", "年度", "講座の受講者（開始した年度）", "期間内に修了した人"],
                   [[cur.program_title(p), f"{y}年度", learners_by_year[(p, y)], by_year[(p, y)]]
                    for p, y in years], sheet="年度ごと")
    monthly = Table("by-month", "プログラム・月ごとの修了（人）", ["プログラム", "月", "修了した人"],
                    [[cur.program_title(p), m, c] for (p, m), c in sorted(by_month.items())],
                    sheet="月ごとの修了")
    total = Table("overview", "まとめ", ["項目", "値"], [
        ["講座", len(figures)], ["自治体", len({f.act.municipality for f in figures if f.act.municipality})],
        ["受講者", sum(len(f.act.learners) for f in figures)],
        ["修了した人（この時点まで）", sum(len(f.completed) for f in figures)],
        ["期間内に修了した人", sum(by_year.values())],
    ], sheet="まとめ")
    tables = [total, cohorts, yearly, monthly, coverage_table(figures, cur)]
    charts, fonts = report_charts.town_charts(tables)
    name = cur.program_title(program) if program else "すべてのプログラム"
    report = Report(f"{name} まとめ（複数の講座）", f"期間 {options.period.describe()}", options.period, tables,
                    charts, limits(acts, options), fonts, [])
    report.summary = summary_lines(report)
    return report


def summary_lines(report: Report) -> list[str]:
    """The report as short lines of text (the CLI prints them; the dashboard too)."""
    lines = [report.title, report.subtitle]
    for key, value in report.table("overview").rows:
        lines.append(f"{key}: {value}")
    ids = {t.id for t in report.tables}
    if "assignments" in ids:
        lines.append("課題ごとの提出:")
        for row in report.table("assignments").rows:
            state = f"{row[3]} 人（{row[4]}%）" if row[2] == "配布済み" else "未配布"
            lines.append(f"  {row[0]} {row[1]}: {state}")
        lines.append("支援が必要かもしれない人:")
        lines += [f"  {r[0]} {r[1]}: {r[2]}: {r[3]}" for r in report.table("help").rows] or ["  いません"]
    if "cohorts" in ids:
        lines += [f"  {r[0]} {r[1]}: 受講者 {r[5]} 人、修了 {r[7]} 人（{r[8]}%）"
                  for r in report.table("cohorts").rows]
    return lines


def write(report: Report, folder: Path, stem: str) -> tuple[Path, Path]:
    from .report_html import render
    from .report_xlsx import workbook

    folder.mkdir(parents=True, exist_ok=True)
    html, xlsx = folder / f"{stem}.html", folder / f"{stem}.xlsx"
    html.write_text(render(report), encoding="utf-8")
    workbook(report).save(xlsx)
    return html, xlsx


def report_cohort(cohort_id: str, options: Options, out: Path | None = None) -> tuple[Report, Path, Path]:
    from .activity import read
    from .cohort import open_cohort

    cohort = open_cohort(cohort_id)
    report = cohort_report(read(cohort), options)
    stem = f"{cohort.id}-レポート-{options.period.as_of:%Y-%m-%d}"
    html, xlsx = write(report, out or cohort.path / "reports", stem)
    return report, html, xlsx


def report_all(program: str | None, options: Options, out: Path | None = None) -> tuple[Report, Path, Path]:
    from .activity import read
    from .cohort import list_cohorts
    from .locations import home

    if program:
        from .programs import get_program

        get_program(program)  # a Japanese error for an unknown program
    cohorts = [c for c in list_cohorts() if program is None or c.meta.get("program") == program]
    report = town_report([read(c) for c in cohorts], options, program)
    stem = f"まとめ-{program or 'all'}-{options.period.as_of:%Y-%m-%d}"
    html, xlsx = write(report, out or home() / "reports", stem)
    return report, html, xlsx
