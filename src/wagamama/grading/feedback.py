"""Feedback for each learner, in Japanese, when it is ready (nbgrader's generate_feedback and release_feedback).

- One learner at a time: a learner whose folder is broken fails alone, with a Japanese reason, and the
  others get theirs.
- A learner whose written answers are not all graded yet is held back (``partial=True`` sends anyway:
  the page says which answers the instructor is still reading).
- The page is Japanese (``templates/feedback``, found first through the cohort's config) and shows no test
  code; :class:`GetGradesAndPending` marks the answers still being read. :class:`CleanFeedback` (the cohort's ``GenerateFeedback.preprocessors``) reduces a test cell
  with hidden tests to its verdict: no stream, display or result output of any kind, so nothing the
  learner's code printed while a hidden test called it (the hidden arguments, say) comes back to her;
  an English time-limit or crash error becomes a Japanese sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, GetGrades

from ..cohort import Cohort
from ..errors import WagamamaError
from ..nbgrader_log import reason

PASSED_HIDDEN = "⭕ 正解です（見えないテストもふくめて、このチェックは合格です）。\n"
KERNEL_ERRORS = {
    "CellTimeoutError": "時間切れ: このセルは、決められた時間のうちに終わりませんでした（無限ループなど）。",
    "DeadKernelError": "このセルを実行している間に、Python（カーネル）が止まりました。",
}
TEMPLATES = __file__.rsplit("/", 1)[0] + "/templates"


class CleanFeedback(ClearHiddenTests):
    """Hidden test code out; hidden-test cells reduced to their verdict; kernel errors in Japanese."""

    def preprocess(self, nb, resources):
        nb, resources = super().preprocess(nb, resources)
        resources["wagamama_pending"] = sum(1 for c in nb.cells if c.metadata.get("nbgrader", {}).get("wagamama_pending"))
        return nb, resources

    def preprocess_cell(self, cell, resources, cell_index):
        had_hidden = self.begin_test_delimeter in cell.get("source", "")
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        outputs = cell.get("outputs", [])
        if had_hidden:
            errors = [o for o in outputs if o.get("output_type") == "error"]
            if errors:
                lines = [line for line in errors[0].get("traceback", []) if line.strip()][:4]
                cell.outputs = [new_output("error", ename=errors[0].get("ename", "Error"), evalue="",
                                           traceback=lines or ["❌ このチェックは、まだ合格していません。"])]
            else:
                cell.outputs = [new_output("stream", name="stdout", text=PASSED_HIDDEN)]
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error" and output.get("ename") in KERNEL_ERRORS:
                output["evalue"] = ""
                output["traceback"] = [KERNEL_ERRORS[output["ename"]]]
        return cell, resources


class GetGradesAndPending(GetGrades):
    """nbgrader's GetGrades, also marking answers no instructor has graded yet (the page says so)."""

    def _get_score(self, cell, resources) -> None:
        super()._get_score(cell, resources)
        grade = self.gradebook.find_grade(cell.metadata["nbgrader"]["grade_id"], self.notebook_id,
                                          self.assignment_id, self.student_id)
        if grade.needs_manual_grade and grade.manual_score is None:
            cell.metadata.nbgrader["wagamama_pending"] = True


@dataclass
class Released:
    learners: dict[str, list[str]] = field(default_factory=dict)  # assignment → learners whose feedback went out
    held: list[tuple[str, str, int]] = field(default_factory=list)  # (learner, assignment, answers still ungraded)
    failed: list[tuple[str, str, str]] = field(default_factory=list)  # (learner, assignment, why, Japanese)


def ungraded_answers(cohort: Cohort, assignment: str, student: str) -> int:
    """Written answers (manually graded cells) of this submission that nobody has graded yet."""
    from nbgrader.api import MissingEntry

    with cohort.gradebook() as gb:
        try:
            sub = gb.find_submission(assignment, student)
        except MissingEntry:
            return 0
        return sum(1 for nb in sub.notebooks for g in nb.grades if g.needs_manual_grade and g.manual_score is None)


def feedback(cohort: Cohort, assignment_ids: list[str], partial: bool = False) -> Released:
    """Generate and release feedback, learner by learner; hold those with ungraded written answers."""
    api = cohort.api()
    done = Released()
    any_graded = False
    for a in assignment_ids:
        cohort.require_assignment(a)
        for folder in sorted((cohort.path / "autograded").glob(f"*/{a}")):
            student = folder.parent.name
            any_graded = True
            waiting = ungraded_answers(cohort, a, student)
            if waiting and not partial:
                done.held.append((student, a, waiting))
                continue
            for step, call in (("作成", api.generate_feedback), ("返却", api.release_feedback)):
                result = call(a, student)
                if not result["success"]:
                    done.failed.append((student, a, f"フィードバックの{step}に失敗しました。"
                                        + reason(result.get("log", ""), result.get("error", ""))))
                    break
            else:
                if any((cohort.path / "feedback" / student / a).glob("*.html")):
                    done.learners.setdefault(a, []).append(student)
    if not any_graded:
        raise WagamamaError(
            f"フィードバックを作れる採点済みの提出物がありません。先に `wagamama autograde {cohort.id}` を実行してください。",
            "no autograded submissions",
        )
    return done
