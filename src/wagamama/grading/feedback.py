"""Generate feedback for autograded submissions and release it to the learners (nbgrader).

nbgrader's feedback shows test cells as they were graded, hidden tests included. The cohort's
nbgrader_config.py adds :class:`HideHiddenTests` to GenerateFeedback, so a learner sees the
Japanese message of a failed hidden check, but neither its code nor a traceback quoting it.
"""

from __future__ import annotations

from nbgrader.preprocessors import ClearHiddenTests

from ..cohort import Cohort
from ..errors import WagamamaError
from ..nbgrader_log import ensure


class HideHiddenTests(ClearHiddenTests):
    """Remove hidden test code, and reduce errors in those cells to their one-line message."""

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = self.begin_test_delimeter in cell.get("source", "")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if had_hidden:
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error":
                    output["traceback"] = [f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"]
        return cell, resources


def feedback(cohort: Cohort, assignment_ids: list[str]) -> dict[str, list[str]]:
    """Generate and release feedback; return assignment → learners whose feedback was released."""
    api = cohort.api()
    done: dict[str, list[str]] = {}
    for a in assignment_ids:
        cohort.require_assignment(a)
        students = sorted(p.parent.name for p in (cohort.path / "autograded").glob(f"*/{a}"))
        if not students:
            continue
        for step, call in (("フィードバックの作成", api.generate_feedback), ("フィードバックの返却", api.release_feedback)):
            ensure(call(a), f"課題「{a}」の{step}")
        done[a] = [s for s in students if any((cohort.path / "feedback" / s / a).glob("*.html"))]
    if not done:
        raise WagamamaError(
            f"フィードバックを作れる採点済みの提出物がありません。先に `wagamama autograde {cohort.id}` を実行してください。",
            "no autograded submissions",
        )
    return done
