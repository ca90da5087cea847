"""Generate the learners' version of assignments (nbgrader generate_assignment) and release them."""

from __future__ import annotations

from pathlib import Path

from .cohort import Cohort
from .nbgrader_log import ensure


def released(cohort: Cohort, assignment_id: str) -> bool:
    cfg = cohort.config()
    return (Path(cfg.Exchange.root) / cohort.id / "outbound" / assignment_id).is_dir()


def release(cohort: Cohort, assignment_ids: list[str]) -> list[tuple[str, str]]:
    """Release each assignment; return (assignment, what happened) pairs. Already released ones are skipped."""
    api = cohort.api()
    done = []
    for a in assignment_ids:
        cohort.require_assignment(a)
        if released(cohort, a):
            done.append((a, "配布済みのため、そのままにしました"))
            continue
        for step, call in (("課題の生成", api.generate_assignment), ("配布", api.release_assignment)):
            ensure(call(a), f"課題「{a}」の{step}", f"\nsource/{a}/ のノートを確かめてください。")
        done.append((a, "配布しました"))
    return done
