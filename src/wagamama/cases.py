"""Typical answers to an assignment (grading/cases/<id>.yaml) written into a learner's notebook.

The integrity tests, the demo and the benchmarks all play learners this way: take the released
notebook, put a case's answer in each answer cell (the model answer where the case says nothing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from . import learner
from .cohort import Cohort
from .locations import content_root

SOLUTION = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)


@dataclass
class Case:
    name: str
    note: str
    answers: dict[str, str]
    expect: dict[str, float]
    hints: dict[str, str] = field(default_factory=dict)
    blank: bool = False

    @property
    def auto_score(self) -> float:
        return sum(self.expect.values())


def load_cases(assignment_id: str) -> dict[str, Case]:
    path = content_root() / "grading" / "cases" / f"{assignment_id}.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {
        name: Case(name, c.get("note", ""), c.get("answers", {}), c["expect"], c.get("hints", {}), c.get("from") == "release")
        for name, c in data["cases"].items()
    }


def model_answers(source_notebook: Path) -> dict[str, str]:
    """grade_id → the answer as a learner would type it (the solution without nbgrader's markers)."""
    nb = nbformat.read(source_notebook, as_version=4)
    answers = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            answers[meta["grade_id"]] = SOLUTION.sub("", cell.source).strip("\n")
    return answers


def fill(released_notebook: Path, source_notebook: Path, case: Case, out: Path) -> Path:
    """Write ``out``: the released notebook with the case's answers typed in."""
    nb = nbformat.read(released_notebook, as_version=4)
    if not case.blank:
        answers = {**model_answers(source_notebook), **case.answers}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.metadata.get("nbgrader", {}).get("solution") and grade_id in answers:
                cell.source = answers[grade_id].strip("\n")
    out.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out)
    return out


def hand_in(cohort: Cohort, assignment_id: str, student_id: str, case: Case | None, workdir: Path) -> None:
    """Play one learner: fetch the assignment, type in the case's answers, submit.

    ``case=None`` hands in the source notebook itself (solutions and all), as the integrity tests do.
    """
    folder = learner.fetch(cohort, assignment_id, student_id, workdir)
    notebook = folder / f"{assignment_id}.ipynb"
    source = cohort.path / "source" / assignment_id / f"{assignment_id}.ipynb"
    if case is None:
        notebook.write_bytes(source.read_bytes())
    else:
        fill(notebook, source, case, notebook)
    learner.submit(cohort, assignment_id, student_id, workdir)
