"""Collect submissions from the exchange into the cohort's submitted/ folder (nbgrader collect)."""

from __future__ import annotations

from pathlib import Path

from ..cohort import Cohort
from ..errors import WagamamaError
from ..nbgrader_log import ensure
from ..release import released


def inbound(cohort: Cohort, assignment_id: str) -> dict[str, list[str]]:
    """Learner id → timestamps of their submissions of this assignment waiting in the exchange."""
    root = Path(cohort.config().Exchange.root) / cohort.id / "inbound"
    waiting: dict[str, list[str]] = {}
    if root.is_dir():
        for entry in root.iterdir():
            parts = entry.name.split("+")
            if len(parts) >= 3 and parts[1] == assignment_id:
                waiting.setdefault(parts[0], []).append(parts[2])
    return waiting


def collect(cohort: Cohort, assignment_ids: list[str]) -> dict[str, list[str]]:
    """Collect the newest submission of every learner; return assignment → learner ids collected."""
    api = cohort.api()
    collected: dict[str, list[str]] = {}
    for a in assignment_ids:
        cohort.require_assignment(a)
        if not released(cohort, a) or not inbound(cohort, a):
            continue
        ensure(api.collect(a), f"課題「{a}」の回収")
        collected[a] = sorted(s for s in inbound(cohort, a) if cohort.submitted_dir(s, a).is_dir())
    if not collected:
        raise WagamamaError(
            "回収できる提出物がありません。受講者が「提出」ボタンを押したか、課題が配布済みか "
            f"`wagamama status {cohort.id}` で確かめてください。",
            "nothing to collect",
        )
    return collected
