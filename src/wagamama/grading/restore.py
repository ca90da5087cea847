"""Put back test cells that a learner deleted, or whose nbgrader metadata was stripped, and say so.

Plain nbgrader is silent here: a missing test cell is simply not graded. This preprocessor takes the
place of nbgrader's ``OverwriteCells`` in the autograder's sanitising step. It does what that one does
(restore edited locked cells from the gradebook), then, for every grade cell the submission lacks:

- a cell without nbgrader metadata whose code is the released test (metadata stripped) is replaced,
  in place, by the gradebook's cell;
- otherwise the gradebook's cell is inserted after the nearest cell before it that is still there,
  or at the end when none is (so that it runs after the learner's code).

Each restored cell starts with a Japanese note, and :func:`take_restored` tells the grader which
cells were restored, so the submission is flagged for the instructor.
"""

from __future__ import annotations

import re

import nbformat
from nbgrader.preprocessors import OverwriteCells

NOTE = ("このセル（{cell_id}）は、提出されたノートにありませんでした（消されたか、nbgrader の情報が消されていました）。"
        "採点のために元に戻しました。\n\n")
HIDDEN = re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS.*?### END HIDDEN TESTS[ \t]*\n?", re.S | re.M)

_restored: list[str] = []


def take_restored() -> list[str]:
    """The grade ids restored since the last call (one grading process grades one submission at a time)."""
    taken = list(_restored)
    _restored.clear()
    return taken


def _released(source: str) -> str:
    return HIDDEN.sub("", source).strip()


class RestoreMissingCells(OverwriteCells):
    def __init__(self, **kw):
        super().__init__(**kw)
        self.add_missing_cells = True
        self.missing_cell_notification = NOTE

    def add_missing_grade_cells(self, nb, resources):
        notebook = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        order = [cell.name for cell in notebook.source_cells]
        source = {cell.name: cell for cell in notebook.source_cells}
        solutions = {cell.name for cell in notebook.solution_cells}
        grade_cells = sorted(notebook.grade_cells, key=lambda c: order.index(c.name))

        def present() -> dict[str, int]:
            return {cell.metadata.nbgrader["grade_id"]: i for i, cell in enumerate(nb.cells)
                    if "grade_id" in cell.metadata.get("nbgrader", {})}

        for grade_cell in grade_cells:
            name = grade_cell.name
            if name in present():
                continue
            restored = nbformat.from_dict(
                self.missing_cell_transform(source[name], grade_cell.max_score, is_solution=name in solutions))
            stripped = [i for i, cell in enumerate(nb.cells) if "nbgrader" not in cell.metadata
                        and cell.cell_type == restored.cell_type and name not in solutions
                        and cell.source.strip() and cell.source.strip() == _released(source[name].source)]
            if stripped:
                nb.cells[stripped[0]] = restored
            else:
                here = present()
                before = [here[n] for n in order[: order.index(name)] if n in here]
                nb.cells.insert(max(before) + 1 if before else len(nb.cells), restored)
            self.log.warning("Restored missing grade cell %s", name)
            _restored.append(name)
        return nb, resources

