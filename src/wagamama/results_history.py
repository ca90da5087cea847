"""The results of each graded submission, read as data, and kept after nbgrader replaces them.

nbgrader keeps one result per learner and assignment: grading a newer submission overwrites the autograded
notebook and the gradebook's grades (and a failed grading removes the autograded folder). To know how
learners did on their first attempt, every result seen is kept in ``reports/grading-history.json`` in the
cohort folder, one entry per learner, assignment and submission time. ``wagamama report`` and the
dashboard add what they find each time they run; a result graded and replaced between two runs is not
known (the report says so).

A result is read, never executed: points per check (grade cell) from the gradebook, and for a failed
check the first line of its error output in the autograded notebook (``❌ …`` from wagamama.check, or
``NameError: …``), plus the flags of the grading record ``.wagamama-grading.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat

from .cohort import Cohort

HISTORY = Path("reports") / "grading-history.json"
GRADING_RECORD = ".wagamama-grading.json"  # written by wagamama.grading.autograde beside nbgrader's copy
# Errors written into a cell that ran past its time limit: nbgrader's (a learner's cell), and the judge's
# (wagamama.grading.judge, a test cell waiting for the learner's code).
TIMEOUTS = ("CellTimeoutError", "KernelTimeout")


def first_line(output: dict) -> str:
    """The error of a cell output, as one line a person reads."""
    ename = output.get("ename", "")
    lines = [line.strip() for line in str(output.get("evalue", "")).splitlines() if line.strip()]
    text = lines[0] if lines else ""
    if ename in ("Incorrect", "NotAttempted") and text:  # wagamama.check: the message says it all
        return text
    if ename in TIMEOUTS:
        return text or f"時間切れ: セルが制限時間内に終わりませんでした（{ename}）。"
    return f"{ename}: {text}" if text else ename


def _errors(notebook: Path) -> tuple[dict[str, str], bool]:
    """grade_id → first error line of that cell; and whether any cell ran past its time limit."""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError, KeyError, AttributeError):
        return {}, False
    errors, timed_out = {}, False
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            timed_out = timed_out or out.get("ename") in TIMEOUTS
            grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
            if grade_id and grade_id not in errors:
                errors[grade_id] = first_line(out)
    return errors, timed_out


def read_current(cohort: Cohort, gb, learner: str, assignment: str, auto_checks: set[str]) -> dict | None:
    """The result in autograded/<learner>/<assignment>/ now, as a history entry (None when there is none)."""
    from nbgrader.api import MissingEntry

    folder = cohort.autograded_dir(learner, assignment)
    if not folder.is_dir():
        return None
    try:
        record = json.loads((folder / GRADING_RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        record = {}  # graded by plain nbgrader: no record, the timestamp is still there
    stamp = record.get("timestamp")
    if not stamp and (folder / "timestamp.txt").is_file():
        stamp = (folder / "timestamp.txt").read_text(encoding="utf-8").strip()
    if not stamp:
        return None
    try:
        sub = gb.find_submission(assignment, learner)
    except MissingEntry:
        return None
    checks, timed_out = {}, False
    for nb in sub.notebooks:
        errors, late = _errors(folder / f"{nb.name}.ipynb")
        timed_out = timed_out or late
        for grade in nb.grades:
            if grade.name in auto_checks:
                checks[grade.name] = {"score": float(grade.score or 0), "max": float(grade.max_score or 0),
                                      "error": errors.get(grade.name, "")}
    return {
        "learner": learner, "assignment": assignment, "timestamp": stamp, "checks": checks,
        "score": float(sub.score or 0), "max_score": float(sub.max_score or 0),
        "needs_manual": bool(sub.needs_manual_grade), "flags": list(record.get("flags", [])),
        "timed_out": timed_out,
    }


def _key(entry: dict) -> tuple[str, str, str]:
    return entry["learner"], entry["assignment"], entry["timestamp"]


def load(cohort: Cohort) -> list[dict]:
    try:
        return json.loads((cohort.path / HISTORY).read_text(encoding="utf-8"))["results"]
    except (OSError, ValueError, KeyError):
        return []


def remember(cohort: Cohort, current: list[dict]) -> tuple[list[dict], bool]:
    """Add the current results to the history (a result graded again replaces its entry).

    Returns every known result and whether the history could be saved (the folder may be read-only).
    """
    known = {_key(e): e for e in load(cohort)}
    changed = False
    for entry in current:
        if known.get(_key(entry)) != entry:
            known[_key(entry)] = entry
            changed = True
    results = sorted(known.values(), key=_key)
    if not changed:
        return results, True
    path = cohort.path / HISTORY
    try:
        path.parent.mkdir(exist_ok=True)
        tmp = path.with_suffix(".tmp")
        text = json.dumps({"results": results}, ensure_ascii=False, indent=1) + "\n"
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError:
        return results, False
    return results, True
