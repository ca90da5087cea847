"""Who has done what: a learner × assignment table from the exchange, submitted/ and the gradebook."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from nbgrader.api import MissingEntry

from .cohort import Cohort
from .grading.collect import inbound
from .programs import assignment_title


@dataclass
class Cell:
    state: str  # not_submitted | waiting | submitted | needs_manual | graded
    score: float | None = None
    max_score: float | None = None

    @property
    def label(self) -> str:
        if self.state == "graded":
            return f"{_num(self.score)}/{_num(self.max_score)}"
        if self.state == "needs_manual":
            return f"手動採点待ち {_num(self.score)}/{_num(self.max_score)}"
        return {"not_submitted": "未提出", "waiting": "提出済み（未回収）", "submitted": "回収済み（未採点）"}[self.state]


def _num(x: float | None) -> str:
    return "-" if x is None else (str(int(x)) if float(x).is_integer() else f"{x:.1f}")


@dataclass
class Status:
    learners: dict[str, dict]  # id → {name, kana, email}
    assignments: list[str]
    cells: dict[tuple[str, str], Cell]  # (learner, assignment) → Cell


def status(cohort: Cohort) -> Status:
    cells: dict[tuple[str, str], Cell] = {}
    learners = dict(sorted(cohort.learners.items()))
    with cohort.gradebook() as gb:
        for a in cohort.assignments:
            waiting = inbound(cohort, a)
            try:
                graded = {sub.student.id: sub for sub in gb.assignment_submissions(a)}
            except MissingEntry:
                graded = {}  # not generated yet: nobody can have a grade
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
    return Status(learners, cohort.assignments, cells)


def width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, size: int) -> str:
    return text + " " * (size - width(text))


def render(st: Status) -> str:
    header = ["ID", "氏名"] + [f"{a} {assignment_title(a)}" for a in st.assignments]
    rows = [
        [s, info.get("name", "")] + [st.cells[(s, a)].label for a in st.assignments] for s, info in st.learners.items()
    ]
    if not rows:
        return "受講者がまだいません。`wagamama roster import` で名簿を取り込んでください。"
    sizes = [max(width(r[i]) for r in [header] + rows) for i in range(len(header))]
    line = "  ".join("-" * n for n in sizes)
    out = ["  ".join(pad(c, n) for c, n in zip(header, sizes, strict=True)), line]
    out += ["  ".join(pad(c, n) for c, n in zip(r, sizes, strict=True)) for r in rows]
    return "\n".join(out)
