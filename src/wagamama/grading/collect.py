"""Collect submissions from the exchange into the cohort's submitted/ folder (nbgrader collect).

nbgrader's collect runs with the cohort's config, whose exchange is :class:`wagamama.grading.exchange.SafeCollect`:
a submission with links or special files, or (on a hub) files of another user, is refused with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..cohort import Cohort
from ..errors import WagamamaError
from ..nbgrader_log import ensure
from ..release import released
from .exchange import REFUSED


@dataclass
class Collected:
    learners: dict[str, list[str]] = field(default_factory=dict)  # assignment → learner ids collected
    refused: list[str] = field(default_factory=list)  # why some submissions were not collected (Japanese)


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


def collect(cohort: Cohort, assignment_ids: list[str]) -> Collected:
    """Collect the newest submission of every learner; say which were refused and why."""
    api = cohort.api()
    collected = Collected()
    for a in assignment_ids:
        cohort.require_assignment(a)
        if not released(cohort, a) or not inbound(cohort, a):
            continue
        result = api.collect(a)
        ensure(result, f"課題「{a}」の回収")
        collected.refused += [line.split(f"{REFUSED}: ", 1)[1] for line in result.get("log", "").splitlines()
                              if f"{REFUSED}: " in line]
        collected.learners[a] = sorted(s for s in inbound(cohort, a) if cohort.submitted_dir(s, a).is_dir())
    if not collected.learners:
        raise WagamamaError(
            "回収できる提出物がありません。受講者が「提出」ボタンを押したか、課題が配布済みか "
            f"`wagamama status {cohort.id}` で確かめてください。",
            "nothing to collect",
        )
    return collected
