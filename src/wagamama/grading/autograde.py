"""Autograde collected submissions with nbgrader: several at once, each in the sandbox, judged outside it.

Each submission goes through three steps in a worker process:

1. :mod:`wagamama.grading.intake` looks at the folder (missing, renamed, empty or corrupt notebooks,
   links and special files);
2. nbgrader's own Autograde (through NbGraderAPI) grades it with the cohort's nbgrader_config.py, the
   same configuration plain ``nbgrader autograde`` and the formgrader use: deleted test cells come back
   (:mod:`~wagamama.grading.restore`), learner cells run in the sandbox
   (:mod:`~wagamama.grading.sandbox`), test cells are judged in the worker (:mod:`~wagamama.grading.judge`);
3. a record beside nbgrader's autograded copy (``.wagamama-grading.json``) says which submission was
   graded and what the instructor should look at. A submission without that record is graded again
   on the next run, so an interrupted run is completed by running it again.

Workers take disjoint submissions, so the gradebook sees what sequential nbgrader would write.
``logs/autograde.log`` gets one line per submission (learner, assignment, outcome, seconds, reason);
nbgrader's own log goes to ``logs/nbgrader.log``.
"""

from __future__ import annotations

import json
import os
import signal
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from nbgrader.api import MissingEntry

from ..cohort import Cohort, open_cohort
from ..errors import WagamamaError
from ..locations import home
from ..nbgrader_log import known_reason, reason
from .sandbox import Policy, SandboxUnavailable, require, sweep, take_kernel_ends

RECORD = ".wagamama-grading.json"
CELL_TIME = "時間切れ: {notebook} の {cell} が、制限時間のうちに終わりませんでした（無限ループなど）。"
KERNEL_ENDS = {
    "notebook_time": "時間切れ: ノート全体が {detail} 秒以内に終わらなかったため、止めました（無限ループなど）。",
    "crashed": "実行中に Python（カーネル）が異常終了しました（{detail}）。",
    "exited": "受講者のコードが Python（カーネル）を終了させました（os._exit など、終了コード {detail}）。",
    "sandbox": "採点の隔離を始められませんでした（{detail}）。`wagamama doctor` で確かめてください。",
}


@dataclass
class Outcome:
    assignment: str
    student: str
    status: str  # "graded" | "needs_manual" | "failed" | "skipped"
    score: float = 0.0
    max_score: float = 0.0
    reason: str = ""
    flags: list[str] = field(default_factory=list)


def _timestamp(folder: Path) -> str | None:
    f = folder / "timestamp.txt"
    return f.read_text(encoding="utf-8").strip() if f.exists() else None


def _record(cohort: Cohort, assignment: str, student: str) -> dict | None:
    f = cohort.autograded_dir(student, assignment) / RECORD
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def sandbox_policy(cohort: Cohort) -> Policy:
    """The cohort's limits (cohort.json "sandbox", else the defaults)."""
    return Policy.of_cohort(cohort.path)


def write_record(path: Path, record: dict) -> None:
    """Our record beside the autograded notebook, written without following a link at that name."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(record, f, ensure_ascii=False, indent=1)


class _Worker:
    """What one grading process keeps between submissions: nbgrader's API per cohort."""

    apis: dict[str, tuple] = {}


def _one_engine_per_database() -> None:
    """nbgrader's Gradebook makes a new SQLAlchemy engine each time it is opened (several times per
    submission), so every query is compiled again: keep one engine per database URL in this process.
    nbgrader has no setting for this; it is the one thing of nbgrader's we replace."""
    import functools

    from nbgrader import api

    if not hasattr(api.create_engine, "cache_info"):
        api.create_engine = functools.cache(api.create_engine)


def _start_worker(log_path: str, home_dir: str) -> None:
    """Worker start: nbgrader's log to the cohort's nbgrader.log, Ctrl-C left to the parent."""
    import warnings

    warnings.filterwarnings("ignore")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (see autograde)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW | os.O_CLOEXEC, 0o640)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.environ["WAGAMAMA_HOME"] = home_dir
    _one_engine_per_database()


def _api(cohort_id: str, sandboxed: bool):
    """This process's cohort and NbGraderAPI, made once."""
    if cohort_id not in _Worker.apis:
        from traitlets.config import Config

        cohort = open_cohort(cohort_id)
        extra = Config()
        extra.JudgedExecute.sandbox = sandboxed
        _Worker.apis[cohort_id] = cohort, cohort.api(extra)
    return _Worker.apis[cohort_id]


def _kernel_ends() -> list[str]:
    """Why kernels of the last submission ended early, in Japanese."""
    return [KERNEL_ENDS[why].format(detail=detail) for why, detail in take_kernel_ends()]


def _grade_one(cohort_id: str, assignment: str, student: str, sandboxed: bool) -> tuple[bool, str, list[str], float]:
    started = time.monotonic()
    ok, why, flags = _graded(cohort_id, assignment, student, sandboxed)
    return ok, why, flags, time.monotonic() - started


def _graded(cohort_id: str, assignment: str, student: str, sandboxed: bool) -> tuple[bool, str, list[str]]:
    from .intake import intake
    from .restore import take_restored

    cohort, api = _api(cohort_id, sandboxed)
    found = intake(cohort, assignment, student)
    if found.problem:
        return False, found.problem, found.flags
    before = _record(cohort, assignment, student)
    same_submission = before is not None and before.get("timestamp") == _timestamp(cohort.submitted_dir(student, assignment))
    result = api.autograde(assignment, student, force=True, create=False)
    if result["success"] and same_submission:
        _keep_manual_grades(cohort, assignment, student)
    flags = found.flags + [f"テストのセル {name} が提出されたノートにありませんでした。元に戻して採点しました。"
                           for name in take_restored()]
    ends = _kernel_ends()
    if not result["success"]:
        log, error = result.get("log", ""), result.get("error", "")
        print(f"=== {assignment} / {student}: nbgrader failed ===\n{log}\n{error}", flush=True)  # nbgrader.log
        return False, " ".join([known_reason(log, error), *ends]).strip() or reason(log, error), flags
    ends += _cell_time_limits(cohort.autograded_dir(student, assignment))
    record = {"timestamp": _timestamp(cohort.submitted_dir(student, assignment)), "flags": flags + ends}
    write_record(cohort.autograded_dir(student, assignment) / RECORD, record)
    return True, "", flags + ends


def _cell_time_limits(folder: Path) -> list[str]:
    """Cells of the graded notebooks that hit the time limit (nbgrader records CellTimeoutError), in Japanese."""
    import nbformat

    found = []
    for path in sorted(folder.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for number, cell in enumerate(nb.cells, 1):
            if any(o.get("ename") == "CellTimeoutError" for o in cell.get("outputs", [])):
                name = cell.metadata.get("nbgrader", {}).get("grade_id") or f"{number} 番目のセル"
                found.append(CELL_TIME.format(cell=name, notebook=path.name))
    return found


def _keep_manual_grades(cohort: Cohort, assignment: str, student: str) -> None:
    """The same submission graded again (--force): nbgrader marks its written answers as waiting for a
    person again, though the instructor's scores are still there. They stay graded."""
    with cohort.gradebook() as gb:
        for nb in gb.find_submission(assignment, student).notebooks:
            for grade in nb.grades:
                if grade.manual_score is not None and grade.needs_manual_grade:
                    grade.needs_manual_grade = False
        gb.db.commit()


def submitted(cohort: Cohort, assignment_ids: list[str]) -> list[tuple[str, str]]:
    """(assignment, learner) pairs collected into submitted/."""
    return sorted((a, f.parent.name) for a in assignment_ids for f in (cohort.path / "submitted").glob(f"*/{a}"))


def pending(cohort: Cohort, pairs: list[tuple[str, str]], force: bool) -> list[tuple[str, str]]:
    """The pairs whose collected submission has no finished autograde of that very submission."""
    def done(a: str, s: str) -> bool:
        record = _record(cohort, a, s)
        return record is not None and record["timestamp"] == _timestamp(cohort.submitted_dir(s, a))

    return [(a, s) for a, s in pairs if force or not done(a, s)]


def autograde(cohort: Cohort, assignment_ids: list[str], jobs: int | None = None, force: bool = False,
              progress=None, sandboxed: bool = True) -> list[Outcome]:
    """Grade what is pending; ``progress(done, total, started)`` is called after each submission."""
    for a in assignment_ids:
        cohort.require_assignment(a)
    handed_in = submitted(cohort, assignment_ids)
    if not handed_in:
        raise WagamamaError(
            f"採点できる提出物がありません。先に `wagamama collect {cohort.id}` で回収してください。",
            "nothing to autograde: collect first",
        )
    work = pending(cohort, handed_in, force)
    if work and sandboxed:
        try:
            require(sandbox_policy(cohort))
        except SandboxUnavailable as exc:
            raise WagamamaError(str(exc), "the sandbox cannot run here: nothing was graded") from None
    jobs = max(1, jobs or os.cpu_count() or 1)
    results: dict[tuple[str, str], tuple[bool, str, list[str]]] = {}
    seconds: dict[tuple[str, str], float] = {}
    if work:
        logs = cohort.path / "logs"
        logs.mkdir(exist_ok=True)
        started = time.monotonic()
        # fork: the workers start with what this process has imported already (nbgrader and all).
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=get_context("fork"),
                                 initializer=_start_worker, initargs=(str(logs / "nbgrader.log"), str(home()))) as pool:
            futures = {pool.submit(_grade_one, cohort.id, a, s, sandboxed): (a, s) for a, s in work}
            try:
                for i, fut in enumerate(as_completed(futures), 1):
                    try:
                        *results[futures[fut]], seconds[futures[fut]] = fut.result()
                    except Exception as exc:  # the worker itself died (killed, out of memory): this one failed
                        results[futures[fut]] = (False, f"採点の作業プロセスが止まりました（{type(exc).__name__}）。", [])
                    if progress:
                        progress(i, len(work), started)
            except KeyboardInterrupt:  # Ctrl-C: finish the submissions being graded, start no other
                pool.shutdown(wait=True, cancel_futures=True)
                raise
        if sandboxed:  # the workers have ended: nothing of theirs stays in /tmp
            sweep()

    outcomes = []
    with cohort.gradebook() as gb:
        for a, s in handed_in:
            if (a, s) in results:
                ok, why, flags = results[(a, s)]
            else:
                ok, why, flags = True, "", (_record(cohort, a, s) or {}).get("flags", [])
            if not ok:
                outcomes.append(Outcome(a, s, "failed", reason=why, flags=flags))
                continue
            try:
                sub = gb.find_submission(a, s)
            except MissingEntry:
                outcomes.append(Outcome(a, s, "failed", reason="採点結果が成績簿にありません。", flags=flags))
                continue
            status = "needs_manual" if sub.needs_manual_grade else "graded"
            if (a, s) not in results:
                status = "skipped"
            outcomes.append(Outcome(a, s, status, sub.score, sub.max_score, flags=flags))
    if results:
        _log_lines(cohort, [o for o in outcomes if (o.assignment, o.student) in results], seconds)
    return outcomes


def kernel_trouble(cohort: Cohort) -> list[tuple[str, str, str]]:
    """(learner, assignment, why) of graded submissions whose kernel hit a time limit or crashed."""
    found = []
    for record_file in sorted((cohort.path / "autograded").glob(f"*/*/{RECORD}")):
        record = _record(cohort, record_file.parent.name, record_file.parent.parent.name) or {}
        for flag in record.get("flags", []):
            if any(flag.startswith(text.split("{")[0]) for text in [*KERNEL_ENDS.values(), CELL_TIME]):
                found.append((record_file.parent.parent.name, record_file.parent.name, flag))
    return found


STATUS_WORDS = {"graded": "採点済み", "needs_manual": "手動採点待ち", "failed": "失敗", "skipped": "省略"}


def _log_lines(cohort: Cohort, outcomes: list[Outcome], seconds: dict) -> None:
    """One line per graded submission in logs/autograde.log: time, learner, assignment, outcome, seconds, reason."""
    import datetime as dt

    now = dt.datetime.now().astimezone().isoformat(timespec="seconds")
    lines = []
    for o in outcomes:
        took = seconds.get((o.assignment, o.student))
        score = f"{o.score:g}/{o.max_score:g} 点" if o.status in ("graded", "needs_manual") else ""
        note = " ".join(filter(None, [o.reason, *o.flags])).replace("\n", " ")
        lines.append("\t".join([now, o.student, o.assignment, STATUS_WORDS[o.status], score,
                                 f"{took:.1f} 秒" if took is not None else "", note]))
    fd = os.open(cohort.path / "logs" / "autograde.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_NOFOLLOW, 0o640)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write("".join(line + "\n" for line in lines))
