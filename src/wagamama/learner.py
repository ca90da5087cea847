"""The learner's side of nbgrader's exchange: fetch, submit, fetch feedback.

A learner on JupyterHub does this with the Assignments tab; the demo and the tests use these
functions with an explicit student id (nbgrader's ``--student``) and a work folder standing for
that learner's home, since they play many learners as one operating-system user.
"""

from __future__ import annotations

from pathlib import Path

from .cohort import Cohort
from .nbgrader_log import ensure


def _run(cohort: Cohort, kind: str, assignment_id: str, student_id: str, workdir: Path) -> None:
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory
    from nbgrader.utils import capture_log

    cfg = cohort.config()
    cfg.Exchange.assignment_dir = str(workdir)
    # nbgrader keeps a copy of each submission in the learner's own cache (under their home):
    # every learner played here gets theirs, or feedback would be matched across learners.
    cfg.Exchange.cache = str(workdir / ".nbgrader-cache")
    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id = assignment_id
    coursedir.student_id = student_id
    factory = ExchangeFactory(config=cfg)
    app = getattr(factory, kind)(coursedir=coursedir, authenticator=Authenticator(config=cfg), config=cfg)
    ensure(capture_log(app), f"{student_id} さんの課題「{assignment_id}」の {kind} ")


def fetch(cohort: Cohort, assignment_id: str, student_id: str, workdir: Path) -> Path:
    """Copy the released assignment into ``workdir/<course>/<assignment>`` and return that folder."""
    _run(cohort, "FetchAssignment", assignment_id, student_id, workdir)
    return workdir / cohort.id / assignment_id


def submit(cohort: Cohort, assignment_id: str, student_id: str, workdir: Path) -> None:
    _run(cohort, "Submit", assignment_id, student_id, workdir)


def fetch_feedback(cohort: Cohort, assignment_id: str, student_id: str, workdir: Path) -> list[Path]:
    _run(cohort, "FetchFeedback", assignment_id, student_id, workdir)
    return sorted((workdir / cohort.id / assignment_id / "feedback").glob("*/*.html"))
