"""Generate the learners' version of assignments (nbgrader generate_assignment) and release them."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

from .cohort import Cohort
from .errors import WagamamaError
from .nbgrader_log import ensure


def released(cohort: Cohort, assignment_id: str) -> bool:
    cfg = cohort.config()
    return (Path(cfg.Exchange.root) / cohort.id / "outbound" / assignment_id).is_dir()


def _release_as(user: str, cohort: Cohort, assignment_ids: list[str]) -> list[tuple[str, str]]:
    done = subprocess.run(["runuser", "-u", user, "--", sys.executable, "-m", "wagamama.cli", "release", cohort.id,
                           *assignment_ids], capture_output=True, text=True)
    if done.returncode != 0:
        raise WagamamaError(done.stderr.strip() or done.stdout.strip(), f"release as {user} failed")
    return [tuple(line.split(": ", 1)) for line in done.stdout.splitlines() if ": " in line]


def release(cohort: Cohort, assignment_ids: list[str]) -> list[tuple[str, str]]:
    """Release each assignment; return (assignment, what happened) pairs. Already released ones are skipped."""
    course = Path(cohort.config().Exchange.root) / cohort.id
    if os.geteuid() == 0 and course.is_dir() and course.stat().st_uid != 0:
        # On a hub the course's exchange folder belongs to the cohort's grader account, and nbgrader
        # releases only into a folder the releaser owns: release as that account.
        return _release_as(pwd.getpwuid(course.stat().st_uid).pw_name, cohort, assignment_ids)
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
