"""What happened in a cohort, read as data from what nbgrader and wagamama leave behind. Nothing is executed.

- hand-ins: nbgrader keeps every submission in the exchange's inbound folder
  (``<learner>+<assignment>+<time>[+random]``); the newest collected one is in
  ``submitted/<learner>/<assignment>/`` with its ``timestamp.txt``;
- results: see :mod:`wagamama.results_history` (autograded notebooks, the gradebook, the grading record);
- a grading that failed leaves no autograded folder; its reason may be in ``logs/autograde.log``;
- fetches: nbgrader records none. The only trace is the assignment's folder in the learner's home
  (``<home>/<cohort>/<assignment>/`` as nbgrader fetches it on the hub, ``$WAGAMAMA_HOME/workspace/…``
  on one machine); see :func:`fetched`.
"""

from __future__ import annotations

import datetime as dt
import getpass
import re
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat

from . import results_history
from .cohort import Cohort
from .locations import home
from .nbgrader_log import known_reason

TOKYO = ZoneInfo("Asia/Tokyo")
LOG_BLOCK = re.compile(r"^=== (\S+) / (\S+): nbgrader failed ===$", re.M)


def parse_stamp(text: str, zone: str = "UTC") -> dt.datetime | None:
    """An nbgrader timestamp (``2026-05-07 10:00:00.000000 JST``) as an aware datetime.

    nbgrader writes the zone's abbreviation (``Exchange.timezone``); ``JST`` is no zone name, so it is
    matched against the cohort's configured zone. Without a zone the time is UTC, as nbgrader assumes.
    """
    import dateutil.parser
    import dateutil.tz

    parts = text.strip().split(" ")
    try:
        when = dateutil.parser.parse(" ".join(parts[:2]))
    except (ValueError, OverflowError):
        return None
    tz: dt.tzinfo = dt.UTC
    if len(parts) >= 3:
        name = parts[2]
        configured = ZoneInfo(zone) if zone else dt.UTC
        if re.fullmatch(r"[+-]\d{4}", name):
            tz = dt.timezone(dt.timedelta(hours=int(name[:3]), minutes=int(name[0] + name[3:])))
        elif configured.tzname(when) == name or zone == name:
            tz = configured
        else:
            tz = dateutil.tz.gettz(name) or dt.UTC
    return when.replace(tzinfo=tz) if when.tzinfo is None else when


@dataclass
class Check:
    """One automatically graded part of an assignment (a test cell)."""

    assignment: str
    id: str  # grade_id
    title: str  # the heading of the notebook section the check belongs to
    points: float


@dataclass
class Result:
    """One graded submission."""

    learner: str
    assignment: str
    time: dt.datetime
    checks: dict[str, dict]  # grade_id → {"score", "max", "error"}
    score: float
    max_score: float
    needs_manual: bool
    flags: list[str]
    timed_out: bool

    @property
    def auto_score(self) -> float:
        return sum(c["score"] for c in self.checks.values())

    @property
    def auto_max(self) -> float:
        return sum(c["max"] for c in self.checks.values())

    @property
    def auto_percent(self) -> float | None:
        return 100 * self.auto_score / self.auto_max if self.auto_max else None

    def passed(self, check: str) -> bool | None:
        c = self.checks.get(check)
        return None if c is None else c["score"] >= c["max"]


@dataclass
class Activity:
    cohort_id: str
    title: str
    program: str
    municipality: str
    start: dt.date | None
    end: dt.date | None
    created: dt.datetime | None
    meta: dict
    learners: dict[str, dict]
    assignments: list[str]
    released: list[str]
    checks: dict[str, list[Check]]
    handins: dict[tuple[str, str], list[dt.datetime]]  # (learner, assignment) → every hand-in, oldest first
    collected: dict[tuple[str, str], dt.datetime]  # the newest collected hand-in
    results: dict[tuple[str, str], list[Result]]  # graded submissions known, oldest first
    grading_failures: dict[tuple[str, str], str]  # collected, no result: the reason in the log ("" if none)
    fetched: dict[tuple[str, str], bool | None]  # None: could not be checked
    notes: list[str] = field(default_factory=list)  # what could not be read, for the report's limits


def _headings(notebook: Path) -> dict[str, str]:
    """grade_id → the title of the section (the last heading of level 1 or 2 above the cell)."""
    titles, current = {}, ""
    try:
        nb = nbformat.read(notebook, as_version=4)
    except (OSError, ValueError):
        return titles
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                m = re.match(r"^#{1,2}\s+(.+?)\s*$", line)
                if m:
                    current = m.group(1)
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id:
            titles[grade_id] = current
    return titles


def _checks(cohort: Cohort, gb, assignment: str) -> list[Check]:
    """The assignment's automatically graded checks, in notebook order (from the gradebook and the source)."""
    from nbgrader.api import MissingEntry

    try:
        notebooks = gb.find_assignment(assignment).notebooks
    except MissingEntry:
        return []
    found = []
    for nb in notebooks:
        manual = {c.name for c in nb.solution_cells}
        source = cohort.path / "source" / assignment / f"{nb.name}.ipynb"
        titles = _headings(source)
        order = list(titles)
        cells = [c for c in nb.grade_cells if c.name not in manual]
        cells.sort(key=lambda c: (order.index(c.name) if c.name in order else len(order), c.name))
        found += [Check(assignment, c.name, titles.get(c.name) or c.name, float(c.max_score)) for c in cells]
    return found


def _inbound(cohort: Cohort, zone: str, notes: list[str]) -> dict[tuple[str, str], list[dt.datetime]]:
    root = Path(cohort.config().Exchange.root) / cohort.id / "inbound"
    found: dict[tuple[str, str], list[dt.datetime]] = {}
    try:
        names = [p.name for p in root.iterdir()] if root.is_dir() else []
    except OSError:
        notes.append(f"提出の交換フォルダ（{root}）を読めませんでした。回収した提出だけを数えています。")
        names = []
    for name in names:
        parts = name.split("+")
        if len(parts) >= 3 and (when := parse_stamp(parts[2], zone)):
            found.setdefault((parts[0], parts[1]), []).append(when)
    return found


def _log_reasons(cohort: Cohort) -> dict[tuple[str, str], str]:
    """(learner, assignment) → the Japanese reason of the last failed grading in logs/autograde.log."""
    try:
        text = (cohort.path / "logs" / "autograde.log").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return {}
    marks = list(LOG_BLOCK.finditer(text))
    reasons = {}
    for i, m in enumerate(marks):
        block = text[m.end(): marks[i + 1].start() if i + 1 < len(marks) else len(text)]
        reasons[(m.group(2), m.group(1))] = known_reason(block) or "nbgrader がエラーで止まりました（logs/autograde.log）。"
    return reasons


def learner_homes(cohort: Cohort) -> list[Path]:
    """Folders holding learners' homes: cohort.json "learner_homes", else the hub's (default /home)."""
    if cohort.meta.get("learner_homes"):
        return [Path(p) for p in cohort.meta["learner_homes"]]
    homes = "/home"
    try:
        from .hub.config import HubSettings

        homes = HubSettings.load().homes
    except (OSError, ValueError, TypeError):
        pass  # hub.json is root's: the default place
    return [Path(homes)]


def fetched(cohort: Cohort, learner: str, assignment: str) -> bool | None:
    """Whether the learner fetched the assignment: True, False, or None when it cannot be checked.

    The evidence is a folder of the assignment where nbgrader puts it: ``<home>/<cohort>/<assignment>``
    (path_includes_course) or ``<home>/<assignment>``, in the learner's home on the hub, or in
    ``$WAGAMAMA_HOME/workspace`` for this computer's own user. A learner who deleted the folder or fetched
    elsewhere looks as if they had not fetched; a home we may not read gives None.
    """
    places = [root / learner for root in learner_homes(cohort)]
    if learner == getpass.getuser():
        places.append(home() / "workspace")
    seen = False
    for place in places:
        try:
            if not place.is_dir():
                continue
            seen = True
            if (place / cohort.id / assignment).is_dir() or (place / assignment).is_dir():
                return True
        except PermissionError:
            continue
    return False if seen else None


def read(cohort: Cohort) -> Activity:
    """Everything the report needs from one cohort; adds the results seen now to the grading history."""
    cfg = cohort.config()
    zone = str(cfg.Exchange.timezone) if "timezone" in cfg.Exchange else "UTC"
    notes: list[str] = []
    learners = dict(sorted(cohort.learners.items()))
    assignments = cohort.assignments
    from .release import released as is_released

    released = [a for a in assignments if is_released(cohort, a)]
    handins = _inbound(cohort, zone, notes)
    collected: dict[tuple[str, str], dt.datetime] = {}
    current = []
    with cohort.gradebook() as gb:
        checks = {a: _checks(cohort, gb, a) for a in assignments}
        for a in assignments:
            auto = {c.id for c in checks[a]}
            for s in learners:
                stamp = cohort.submitted_dir(s, a) / "timestamp.txt"
                if stamp.is_file() and (when := parse_stamp(stamp.read_text(encoding="utf-8"), zone)):
                    collected[(s, a)] = when
                entry = results_history.read_current(cohort, gb, s, a, auto)
                if entry:
                    current.append(entry)
    history, saved = results_history.remember(cohort, current)
    if not saved:
        notes.append("採点結果の記録（reports/grading-history.json）を保存できませんでした。"
                     "講座フォルダに書きこめる人が実行してください。")
    results: dict[tuple[str, str], list[Result]] = {}
    for e in history:
        when = parse_stamp(e["timestamp"], zone)
        if when is None or e["learner"] not in learners:
            continue
        results.setdefault((e["learner"], e["assignment"]), []).append(Result(
            e["learner"], e["assignment"], when, e["checks"], e["score"], e["max_score"], e["needs_manual"],
            e["flags"], e.get("timed_out", False)))
    for key, rs in results.items():
        rs.sort(key=lambda r: r.time)
        handins.setdefault(key, []).extend(r.time for r in rs)
    for key, when in collected.items():
        handins.setdefault(key, []).append(when)
    handins = {k: sorted(set(v)) for k, v in handins.items() if k[0] in learners and k[1] in assignments}
    log = _log_reasons(cohort)
    failures = {key: log.get(key, "") for key, when in collected.items()
                if not any(r.time == when for r in results.get(key, []))}
    fetch = {(s, a): fetched(cohort, s, a) for s in learners for a in released}
    meta = cohort.meta

    def day(key: str) -> dt.date | None:
        return dt.date.fromisoformat(meta[key]) if meta.get(key) else None

    created = dt.datetime.fromisoformat(meta["created"]) if meta.get("created") else None
    return Activity(cohort.id, cohort.title, meta.get("program", ""), meta.get("municipality", ""),
                    day("start"), day("end"), created, dict(meta), learners, assignments, released, checks,
                    handins, collected, results, failures, fetch, notes)
