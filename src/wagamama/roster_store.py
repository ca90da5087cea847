"""Who is in a cohort: one store, the cohort's nbgrader gradebook.

nbgrader's ``student`` table holds each learner: id, family name (``last_name``), given name
(``first_name``), e-mail, and in ``lms_user_id`` the ID as the town's roster wrote it when it had to be
changed into a valid one (``2026001`` → ``u2026001``, see learner_ids.py). What nbgrader has no column for
lives in one small extra table of the same database, ``wagamama_learner``, keyed by the student id:

- ``kana``: the reading of the name (ふりがな);
- ``removed``: when the learner was taken off the roster although they had handed work in. Their
  student row stays, because nbgrader keeps submissions and grades only for a student that exists;
  they are simply no longer listed (status, exports, the hub's accounts).

Only the ``student`` table says who exists; the extra table only adds to it (a row without a student
is ignored). So the roster, the grades and the formgrader can never disagree about who is in the cohort.
A learner added with nbgrader's own tools (formgrader, ``nbgrader db student add``) is in the roster too,
with no kana.
cohort.json no longer lists learners; an older cohort's list is moved into the gradebook once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from nbgrader.api import MissingEntry
from sqlalchemy import Column, MetaData, String, Table, delete, insert, select, update

from .cohort import Cohort

_TABLES = MetaData()
EXTRA = Table(
    "wagamama_learner", _TABLES,
    Column("id", String(128), primary_key=True),  # nbgrader's student.id (no foreign key: nbgrader's own
    Column("kana", String(256), nullable=False, default=""),  # removals must never fail because of us)
    Column("removed", String(40), nullable=True),
)


@dataclass(frozen=True)
class Entry:
    """One learner as the gradebook holds them."""

    id: str
    name: str
    kana: str = ""
    email: str = ""
    roster_id: str = ""  # the ID as the town's roster wrote it, when it was changed into ``id``

    @property
    def family_given(self) -> tuple[str, str]:
        parts = self.name.split()
        return (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (self.name, "")

    def as_dict(self) -> dict:
        return {"name": self.name, "kana": self.kana, "email": self.email, "roster_id": self.roster_id}


class Roster:
    """The roster of one cohort, read and changed through nbgrader's Gradebook (use as a context manager)."""

    def __init__(self, cohort: Cohort):
        self.cohort = cohort
        self.gb = cohort.gradebook()
        self._waiting: dict[str, set[str]] | None = None  # assignment → learners with a submission in the exchange
        _TABLES.create_all(self.gb.engine)
        self._move_legacy_list()

    def __enter__(self) -> Roster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.gb.close()

    # --- reading ---------------------------------------------------------------------------------------
    def _extra(self) -> dict[str, tuple[str, str | None]]:
        return {row.id: (row.kana or "", row.removed) for row in self.gb.db.execute(select(EXTRA))}

    def entries(self, include_removed: bool = False) -> dict[str, Entry]:
        """Learner id → Entry, sorted by id; without the learners taken off the roster unless asked."""
        extra = self._extra()
        found = {}
        for s in self.gb.students:
            kana, removed = extra.get(s.id, ("", None))
            if removed and not include_removed:
                continue
            name = " ".join(p for p in (s.last_name or "", s.first_name or "") if p)
            found[s.id] = Entry(s.id, name, kana, s.email or "", s.lms_user_id or "")
        return dict(sorted(found.items()))

    def removed(self) -> dict[str, str]:
        """Learners taken off the roster whose work is kept: id → when (ISO time)."""
        students = {s.id for s in self.gb.students}
        return {i: when for i, (_, when) in sorted(self._extra().items()) if when and i in students}

    def work(self, learner_id: str) -> list[str]:
        """The assignments this learner has handed in anything for: in the exchange, the course folder
        (submitted/, autograded/, feedback/) or the gradebook."""
        from .grading.collect import inbound

        found = set()
        try:
            found |= {sub.assignment.name for sub in self.gb.find_student(learner_id).submissions}
        except MissingEntry:  # not in the gradebook: no grades
            pass
        for kind in ("submitted", "autograded", "feedback"):
            folder = self.cohort.path / kind / learner_id
            if folder.is_dir():
                found |= {p.name for p in folder.iterdir() if p.is_dir()}
        if self._waiting is None:  # read the exchange once, not once per learner
            self._waiting = {a: set(inbound(self.cohort, a)) for a in self.cohort.assignments}
        found |= {a for a, learners in self._waiting.items() if learner_id in learners}
        return sorted(found)

    # --- changing --------------------------------------------------------------------------------------
    def put(self, entries: list[Entry]) -> None:
        """Add or update these learners (a learner taken off the roster comes back)."""
        extra = self._extra()
        for e in entries:
            family, given = e.family_given
            self.gb.update_or_create_student(e.id, last_name=family, first_name=given, email=e.email or None,
                                             lms_user_id=e.roster_id or None)
            if e.id in extra:
                if extra[e.id] != (e.kana, None):
                    self.gb.db.execute(update(EXTRA).where(EXTRA.c.id == e.id).values(kana=e.kana, removed=None))
            else:
                self.gb.db.execute(insert(EXTRA).values(id=e.id, kana=e.kana, removed=None))
        self.gb.db.commit()

    def remove(self, learner_id: str) -> bool:
        """Take a learner off the roster. Their work and grades are never deleted: a learner with work keeps
        their student row, marked as removed; a learner with none is deleted from the gradebook.
        Returns True when work was kept."""
        if self.work(learner_id):
            when = dt.datetime.now().astimezone().isoformat(timespec="seconds")
            if learner_id in self._extra():
                self.gb.db.execute(update(EXTRA).where(EXTRA.c.id == learner_id).values(removed=when))
            else:
                self.gb.db.execute(insert(EXTRA).values(id=learner_id, kana="", removed=when))
            self.gb.db.commit()
            return True
        self.gb.db.execute(delete(EXTRA).where(EXTRA.c.id == learner_id))
        self.gb.db.commit()
        self.gb.remove_student(learner_id)  # nbgrader's API; there is no submission to lose
        return False

    def _move_legacy_list(self) -> None:
        """Cohorts made before the gradebook was the roster listed learners in cohort.json: move them once."""
        legacy = self.cohort.meta.get("learners")
        if legacy is None:
            return
        students = {s.id for s in self.gb.students}
        extra = self._extra()
        for learner_id, record in legacy.items():
            if learner_id not in students:
                family, given = Entry(learner_id, record.get("name") or learner_id).family_given
                self.gb.update_or_create_student(learner_id, last_name=family, first_name=given,
                                                 email=record.get("email") or None)
            if learner_id not in extra:
                self.gb.db.execute(insert(EXTRA).values(id=learner_id, kana=record.get("kana") or "", removed=None))
        self.gb.db.commit()
        del self.cohort.meta["learners"]
        self.cohort.save()


def learners(cohort: Cohort) -> dict[str, Entry]:
    """The cohort's learners (not those taken off the roster), sorted by id."""
    with Roster(cohort) as roster:
        return roster.entries()
