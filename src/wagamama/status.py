"""Who has done what: learner × assignment states from the exchange, submitted/ and the gradebook.

Shown three ways that fit a terminal of 80–120 columns: a summary per assignment (counts), a compact
table per learner (one mark per assignment), and one learner's details; and as an Excel file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import MissingEntry

from . import terminal_table
from .cohort import Cohort
from .errors import WagamamaError
from .grading.collect import inbound
from .programs import assignment_title

# The order an assignment goes through, last state first.
STATES = ("graded", "needs_manual", "submitted", "waiting", "not_submitted")
LABELS = {"graded": "採点済み", "needs_manual": "手動採点待ち", "submitted": "回収済み（未採点）",
          "waiting": "提出済み（未回収）", "not_submitted": "未提出"}
MARKS = {"graded": "済", "needs_manual": "手", "submitted": "回", "waiting": "届", "not_submitted": "－"}
LEGEND = "済=採点済み  手=手動採点待ち（文章の答えなど）  回=回収済み・未採点\n届=提出済み・未回収  －=未提出"


@dataclass
class Cell:
    state: str  # one of STATES
    score: float | None = None
    max_score: float | None = None

    @property
    def label(self) -> str:
        """The state in words (no numbers: scores have columns of their own)."""
        return LABELS[self.state]

    @property
    def submitted(self) -> bool:
        return self.state != "not_submitted"

    @property
    def scored(self) -> bool:
        return self.state in ("graded", "needs_manual")


@dataclass
class Status:
    learners: dict[str, dict]  # id → {name, kana, email, roster_id}
    assignments: list[str]
    cells: dict[tuple[str, str], Cell]  # (learner, assignment) → Cell
    maxima: dict[str, float | None]  # assignment → its full marks (None: not released yet)

    def counts(self, assignment: str) -> dict[str, int]:
        counts = dict.fromkeys(STATES, 0)
        for s in self.learners:
            counts[self.cells[(s, assignment)].state] += 1
        return counts

    def submitted(self, learner: str) -> int:
        return sum(self.cells[(learner, a)].submitted for a in self.assignments)

    def total(self, learner: str) -> float:
        return sum(c.score or 0 for a in self.assignments if (c := self.cells[(learner, a)]).scored)


def status(cohort: Cohort) -> Status:
    cells: dict[tuple[str, str], Cell] = {}
    maxima: dict[str, float | None] = {}
    learners = cohort.learners
    with cohort.gradebook() as gb:
        for a in cohort.assignments:
            waiting = inbound(cohort, a)
            try:
                maxima[a] = gb.find_assignment(a).max_score
                graded = {sub.student.id: sub for sub in gb.assignment_submissions(a)}
            except MissingEntry:
                maxima[a], graded = None, {}  # not generated yet: nobody can have a grade
            for s in learners:
                sub = graded.get(s)
                if sub is not None and cohort.autograded_dir(s, a).is_dir():
                    state = "needs_manual" if sub.needs_manual_grade else "graded"
                    cells[(s, a)] = Cell(state, sub.score, sub.max_score)
                elif cohort.submitted_dir(s, a).is_dir():
                    cells[(s, a)] = Cell("submitted")
                elif s in waiting:
                    cells[(s, a)] = Cell("waiting")
                else:
                    cells[(s, a)] = Cell("not_submitted")
    return Status(learners, cohort.assignments, cells, maxima)


def number(x: float | None) -> str:
    return "" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:.1f}")


def short(assignment: str, index: int) -> str:
    """Two characters for a column heading: ex03_mondai → 03."""
    m = re.match(r"^[a-z]*(\d+)", assignment)
    return m.group(1)[-2:].rjust(2, "0") if m else f"{index + 1:02d}"


NO_LEARNERS = "受講者がまだいません。`wagamama roster import` で名簿を取り込んでください。"


def render_summary(st: Status, total: int | None = None) -> str:
    """One line per assignment: how many learners are in each state."""
    if not st.learners:
        return NO_LEARNERS
    header = ["課題", "題名", "提出", "採点済み", "手動待ち", "未採点", "未回収", "未提出"]
    rows = []
    for a in st.assignments:
        n = st.counts(a)
        rows.append([a, assignment_title(a), str(len(st.learners) - n["not_submitted"]), str(n["graded"]),
                     str(n["needs_manual"]), str(n["submitted"]), str(n["waiting"]), str(n["not_submitted"])])
    lines = terminal_table.render(header, rows, total, shrink=(1,), right=tuple(range(2, 8)))
    return "\n".join([f"受講者 {len(st.learners)} 名・課題 {len(st.assignments)} 件", *lines,
                      "手動待ち: 文章の答えなど、講師の採点待ち。未採点: 回収済みで、自動採点の前。",
                      "未回収: 提出済みで、回収（wagamama collect）の前。"])


def render_learners(st: Status, total: int | None = None) -> str:
    """One line per learner: submitted count, points so far, and a mark per assignment."""
    if not st.learners:
        return NO_LEARNERS
    marks = [short(a, i) for i, a in enumerate(st.assignments)]
    header = ["ID", "氏名", "提出", "合計点", *marks]
    rows = [[s, info.get("name", ""), f"{st.submitted(s)}/{len(st.assignments)}", number(st.total(s)),
             *(MARKS[st.cells[(s, a)].state] for a in st.assignments)] for s, info in st.learners.items()]
    lines = terminal_table.render(header, rows, total, shrink=(1,), right=(2, 3))
    return "\n".join([*lines, LEGEND])


def render_learner(st: Status, learner: str, total: int | None = None) -> str:
    """One learner: each assignment's state and score."""
    if learner not in st.learners:
        raise WagamamaError(f"受講者「{learner}」は名簿にいません。`wagamama roster list` で ID を確かめてください。",
                            f"no learner {learner}")
    info = st.learners[learner]
    header = ["課題", "題名", "状況", "点", "満点"]
    rows = [[a, assignment_title(a), (c := st.cells[(learner, a)]).label, number(c.score) if c.scored else "",
             number(st.maxima[a])] for a in st.assignments]
    lines = terminal_table.render(header, rows, total, shrink=(1,), right=(3, 4))
    kana = f"（{info['kana']}）" if info.get("kana") else ""
    return "\n".join([f"{learner}  {info.get('name', '')}{kana}",
                      f"提出 {st.submitted(learner)} / {len(st.assignments)} 件、合計 {number(st.total(learner))} 点",
                      *lines])


def render(st: Status, total: int | None = None) -> str:
    """The summary per assignment (what `wagamama status` shows first)."""
    return render_summary(st, total)


def tables(st: Status) -> list[tuple[str, list[list], str]]:
    """The same as sheets for Excel: per assignment (counts) and per learner (states, no fractions)."""
    summary = [["課題ID", "題名", "受講者数", "提出", "採点済み", "手動採点待ち", "回収済み（未採点）", "提出済み（未回収）",
                "未提出"]]
    for a in st.assignments:
        n = st.counts(a)
        summary.append([a, assignment_title(a), len(st.learners), len(st.learners) - n["not_submitted"],
                        n["graded"], n["needs_manual"], n["submitted"], n["waiting"], n["not_submitted"]])
    learners = [["受講者ID", "氏名", "提出数", "課題数", *(f"{a} {assignment_title(a)}" for a in st.assignments)]]
    for s, info in st.learners.items():
        learners.append([s, info.get("name", ""), st.submitted(s), len(st.assignments),
                         *(st.cells[(s, a)].label for a in st.assignments)])
    return [("課題ごと", summary, "C2"), ("受講者ごと", learners, "C2")]


def write_xlsx(cohort: Cohort, st: Status, path: Path) -> Path:
    """The status as an Excel file at ``path`` (or ``path-2`` … when it exists); returns where it went."""
    from . import spreadsheet

    path = spreadsheet.free_path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    when = spreadsheet.stamp(spreadsheet.now(cohort.timezone))
    spreadsheet.write_xlsx(path, tables(st), [("講座ID", cohort.id), ("講座名", cohort.title), ("作成日時", when)])
    return path
