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


def hand_in(cohort: Cohort, assignment_id: str, student_id: str, case: Case | None, workdir: Path) -> None:
    """Play one learner: fetch the assignment, type in the case's answers, submit.

    ``case=None`` hands in the source notebook itself (solutions and all), as the integrity tests do.
    """
    folder = learner.fetch(cohort, assignment_id, student_id, workdir)
    notebook = folder / f"{assignment_id}.ipynb"
    if case is None:
        notebook.write_bytes((cohort.path / "source" / assignment_id / notebook.name).read_bytes())
    else:
        notebook.write_bytes(filled(cohort, assignment_id, case))
    learner.submit(cohort, assignment_id, student_id, workdir)


def filled(cohort: Cohort, assignment_id: str, case: Case, notebook: str | None = None) -> bytes:
    """The released notebook of the cohort with the case's answers typed in, as bytes."""
    name = notebook or f"{assignment_id}.ipynb"
    released = cohort.path / "release" / assignment_id / name
    nb = nbformat.read(released, as_version=4)
    if not case.blank:
        answers = {**model_answers(cohort.path / "source" / assignment_id / name), **case.answers}
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("solution") and meta.get("grade_id") in answers:
                cell.source = answers[meta["grade_id"]].strip("\n")
    return nbformat.writes(nb).encode("utf-8")


def place_collected(cohort: Cohort, assignment_id: str, student_id: str, files: dict[str, bytes], timestamp: str) -> None:
    """Put a submission where `nbgrader collect` leaves it (submitted/<learner>/<assignment>/ and a timestamp).

    The bad-submission tests and the benchmark hand in files no exchange would carry this way.
    """
    import secrets

    folder = cohort.submitted_dir(student_id, assignment_id)
    for name, data in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    (folder / "timestamp.txt").write_text(timestamp, encoding="utf-8")
    if not (folder / "submission_secret.txt").exists():  # what nbgrader's submit leaves, for release_feedback
        (folder / "submission_secret.txt").write_text(secrets.token_hex(16), encoding="utf-8")
