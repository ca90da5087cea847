"""Autograde collected submissions with nbgrader, several learners at once.

Each learner's submission is graded by nbgrader's own Autograde (through NbGraderAPI) in a worker
process; workers take disjoint learners, so the gradebook sees what sequential nbgrader would write.
"""

from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from multiprocessing import get_context
from pathlib import Path

from nbgrader.api import MissingEntry

from .cohort import Cohort, open_cohort
from .errors import WagamamaError
from .locations import home
from .nbgrader_log import reason


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str  # "graded" | "needs_manual" | "failed" | "skipped"
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""


def _timestamp(folder: Path) -> str | None:
    f = folder / "timestamp.txt"
    return f.read_text(encoding="utf-8").strip() if f.exists() else None


def _quiet_worker(log_path: str) -> None:
    """Worker start: nbgrader's and the kernels' chatter goes to the cohort's log, not the screen."""
    import warnings

    warnings.filterwarnings("ignore")
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)


def _grade_one(home_dir: str, cohort_id: str, assignment: str, student: str) -> tuple[bool, str]:
    os.environ["WAGAMAMA_HOME"] = home_dir
    result = open_cohort(cohort_id).api().autograde(assignment, student, force=True, create=False)
    return bool(result["success"]), reason(result.get("log", ""), result.get("error", "")) if not result["success"] else ""


def submitted(cohort: Cohort, assignment_ids: list[str]) -> list[tuple[str, str]]:
    """(assignment, learner) pairs collected into submitted/."""
    return sorted((a, f.parent.name) for a in assignment_ids for f in (cohort.path / "submitted").glob(f"*/{a}"))


def pending(cohort: Cohort, pairs: list[tuple[str, str]], force: bool) -> list[tuple[str, str]]:
    """The pairs whose collected submission has no up-to-date autograde yet."""
    return [(a, s) for a, s in pairs if force or not cohort.autograded_dir(s, a).is_dir()
            or _timestamp(cohort.autograded_dir(s, a)) != _timestamp(cohort.submitted_dir(s, a))]


def autograde(cohort: Cohort, assignment_ids: list[str], jobs: int | None = None, force: bool = False,
              progress=None) -> list[Outcome]:
    for a in assignment_ids:
        cohort.require_assignment(a)
    handed_in = submitted(cohort, assignment_ids)
    if not handed_in:
        raise WagamamaError(
            f"採点できる提出物がありません。先に `wagamama collect {cohort.id}` で回収してください。",
            "nothing to autograde: collect first",
        )
    work = pending(cohort, handed_in, force)
    jobs = max(1, jobs or os.cpu_count() or 1)
    results: dict[tuple[str, str], tuple[bool, str]] = {}
    if work:
        log = cohort.path / "logs" / "autograde.log"
        log.parent.mkdir(exist_ok=True)
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=get_context("spawn"),
                                 initializer=_quiet_worker, initargs=(str(log),)) as pool:
            futures = {pool.submit(_grade_one, str(home()), cohort.id, a, s): (a, s) for a, s in work}
            for i, fut in enumerate(as_completed(futures), 1):
                try:
                    results[futures[fut]] = fut.result()
                except Exception as exc:  # the worker itself died (killed, out of memory): this one failed
                    results[futures[fut]] = (False, f"採点の作業プロセスが止まりました（{type(exc).__name__}）。")
                if progress:
                    progress(i, len(work), futures[fut][1])

    outcomes = []
    with cohort.gradebook() as gb:
        for a, s in handed_in:
            ok, why = results.get((a, s), (True, ""))
            if not ok:
                outcomes.append(Outcome(a, s, "failed", reason=why))
                continue
            try:
                sub = gb.find_submission(a, s)
            except MissingEntry:
                outcomes.append(Outcome(a, s, "failed", reason="採点結果が成績簿にありません。"))
                continue
            status = "needs_manual" if sub.needs_manual_grade else "graded"
            if (a, s) not in results:
                status = "skipped"
            outcomes.append(Outcome(a, s, status, sub.score, sub.max_score))
    return outcomes
