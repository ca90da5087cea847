"""Autograde collected submissions with nbgrader: several at once, each kernel in the sandbox.

Each submission goes through three steps in a worker process:

1. :mod:`wagamama.grading.intake` looks at the folder (missing, renamed, empty or corrupt notebooks);
2. nbgrader's own Autograde (through NbGraderAPI) grades it, with two changes made by configuration:
   kernels start through :mod:`wagamama.grading.sandbox`, and :class:`wagamama.grading.restore.RestoreMissingCells`
   puts deleted test cells back;
3. a record beside nbgrader's autograded copy (``.wagamama-grading.json``) says which submission was
   graded and what the instructor should look at. A submission without that record is graded again
   on the next run, so an interrupted run is completed by running it again.

Workers take disjoint submissions, so the gradebook sees what sequential nbgrader would write.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from multiprocessing.util import Finalize
from pathlib import Path

from nbgrader.api import MissingEntry

from ..cohort import Cohort, open_cohort
from ..errors import WagamamaError
from ..locations import content_root, home
from ..nbgrader_log import known_reason, reason
from .sandbox import (
    KERNEL_NAME,
    POLICY_ENV,
    Policy,
    bubblewrap_works,
    new_runtime_dir,
    take_kernel_ends,
    write_kernelspec,
)

RECORD = ".wagamama-grading.json"
KERNEL_ENDS = {
    "notebook_time": "時間切れ: ノート全体が {detail} 秒以内に終わらなかったため、止めました（無限ループなど）。",
    "crashed": "実行中に Python（カーネル）が異常終了しました（{detail}）。",
    "exited": "受講者のコードが Python（カーネル）を終了させました（os._exit など、終了コード {detail}）。",
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
    """The cohort's limits (cohort.json "sandbox", else the defaults) and what learner code must not see."""
    cfg = cohort.config()
    hide = [str(cohort.path), cfg.Exchange.root, str(content_root()), str(home()), os.path.expanduser("~")]
    db_url = str(cfg.CourseDirectory.db_url)
    if db_url.startswith("sqlite:///"):
        hide.append(str(Path(db_url.removeprefix("sqlite:///")).parent))
    return Policy(**{**cohort.meta.get("sandbox", {}), "hide": hide, "build_root": str(cohort.path / "autograded")})


def grading_config(policy: Policy, sandboxed: bool):
    """What wagamama changes in nbgrader's Autograde, as a traitlets Config."""
    from traitlets.config import Config

    extra = Config()
    extra.Autograde.sanitize_preprocessors = [
        "nbgrader.preprocessors.ClearOutput",
        "nbgrader.preprocessors.DeduplicateIds",
        "nbgrader.preprocessors.OverwriteKernelspec",
        "wagamama.grading.restore.RestoreMissingCells",
        "nbgrader.preprocessors.CheckCellMetadata",
    ]
    extra.Execute.timeout = policy.cell_seconds
    if sandboxed:
        extra.Execute.kernel_name = KERNEL_NAME
        # The sandbox has no network, not even loopback: kernels talk through sockets in the runtime
        # folder. The path must be absolute (jupyter_client's default, "kernel-ipc", is relative to
        # the grader's working folder, and the kernel runs in another one).
        extra.KernelManager.transport = "ipc"
        extra.KernelManager.ip = os.path.join(policy.runtime_dir, "kernel")
    return extra


class _Worker:
    """What one grading process keeps between submissions: its runtime folder and nbgrader's API."""

    runtime_dir = ""
    apis: dict[str, tuple] = {}


def _faster_nbgrader() -> None:
    """Two costs nbgrader pays again for every notebook, paid once per grading process instead.

    - ``Gradebook`` makes a new SQLAlchemy engine each time it is opened (several times per
      submission), so every query is compiled again: keep one engine per database URL.
    - Cell metadata is checked with ``jsonschema.validate``, which first checks the schema itself,
      for every cell, twice per notebook: check each schema once.

    Same queries, same checks, same results; only the repetition goes.
    """
    import functools

    import jsonschema
    from nbgrader import api
    from nbgrader.nbgraderformat import common

    api.create_engine = functools.cache(api.create_engine)

    @functools.cache
    def validator(schema_json: str):
        schema = json.loads(schema_json)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
        return cls(schema)

    class CheckedOnce:
        ValidationError = jsonschema.ValidationError

        @staticmethod
        def validate(instance, schema):
            error = jsonschema.exceptions.best_match(validator(json.dumps(schema, sort_keys=True)).iter_errors(instance))
            if error is not None:
                raise error

    common.jsonschema = CheckedOnce


def _start_worker(log_path: str, home_dir: str, sandboxed: bool) -> None:
    """Worker start: quiet logs, and (sandboxed) kernels started through wagamama.grading.sandbox."""
    import warnings

    warnings.filterwarnings("ignore")
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle (see autograde)
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.environ["WAGAMAMA_HOME"] = home_dir
    _faster_nbgrader()
    if sandboxed:
        data = write_kernelspec(Path(home_dir) / "jupyter-data")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(data), os.environ.get("JUPYTER_PATH")]))
        _Worker.runtime_dir = new_runtime_dir()
        Finalize(None, shutil.rmtree, args=(_Worker.runtime_dir, True), exitpriority=0)  # when the worker ends


def _api(cohort_id: str, sandboxed: bool):
    """This process's cohort and NbGraderAPI, made once; the sandbox policy goes to the kernels by env."""
    if cohort_id not in _Worker.apis:
        cohort = open_cohort(cohort_id)
        policy = sandbox_policy(cohort)
        policy.runtime_dir = _Worker.runtime_dir
        policy.bubblewrap = sandboxed and policy.bubblewrap and bubblewrap_works()  # decided once, here
        os.environ[POLICY_ENV] = policy.to_env()
        _Worker.apis[cohort_id] = cohort, cohort.api(grading_config(policy, sandboxed))
    return _Worker.apis[cohort_id]


def _kernel_ends() -> list[str]:
    """Why kernels of the last submission ended early, in Japanese."""
    return [KERNEL_ENDS[why].format(detail=detail) for why, detail in take_kernel_ends()]


def _grade_one(cohort_id: str, assignment: str, student: str, sandboxed: bool) -> tuple[bool, str, list[str]]:
    from .intake import intake
    from .restore import take_restored

    cohort, api = _api(cohort_id, sandboxed)
    found = intake(cohort, assignment, student)
    if found.problem:
        return False, found.problem, found.flags
    result = api.autograde(assignment, student, force=True, create=False)
    flags = found.flags + [f"テストのセル {name} が提出されたノートにありませんでした。元に戻して採点しました。"
                           for name in take_restored()]
    ends = _kernel_ends()
    if not result["success"]:
        log, error = result.get("log", ""), result.get("error", "")
        print(f"=== {assignment} / {student}: nbgrader failed ===\n{log}\n{error}", flush=True)  # the cohort's log
        return False, " ".join([known_reason(log, error), *ends]).strip() or reason(log, error), flags
    record = {"timestamp": _timestamp(cohort.submitted_dir(student, assignment)), "flags": flags + ends}
    (cohort.autograded_dir(student, assignment) / RECORD).write_text(
        json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    return True, "", flags + ends


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
    jobs = max(1, jobs or os.cpu_count() or 1)
    results: dict[tuple[str, str], tuple[bool, str, list[str]]] = {}
    if work:
        log = cohort.path / "logs" / "autograde.log"
        log.parent.mkdir(exist_ok=True)
        started = time.monotonic()
        # fork: the workers start with what this process has imported already (nbgrader and all).
        with ProcessPoolExecutor(max_workers=min(jobs, len(work)), mp_context=get_context("fork"),
                                 initializer=_start_worker, initargs=(str(log), str(home()), sandboxed)) as pool:
            futures = {pool.submit(_grade_one, cohort.id, a, s, sandboxed): (a, s) for a, s in work}
            try:
                for i, fut in enumerate(as_completed(futures), 1):
                    try:
                        results[futures[fut]] = fut.result()
                    except Exception as exc:  # the worker itself died (killed, out of memory): this one failed
                        results[futures[fut]] = (False, f"採点の作業プロセスが止まりました（{type(exc).__name__}）。", [])
                    if progress:
                        progress(i, len(work), started)
            except KeyboardInterrupt:  # Ctrl-C: finish the submissions being graded, start no other
                pool.shutdown(wait=True, cancel_futures=True)
                raise

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
    return outcomes
