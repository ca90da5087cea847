"""Every kind of bad submission ends with a clear status, and the rest of the cohort is graded.

One cohort, one assignment (ex01_wagamama), strict limits. A control learner is graded first; then
each sample submission below is collected beside it and the cohort is graded again, in parallel and
in the sandbox. Each case asserts its status, its score and what the instructor is told; at the end,
the control learner's grades must not have changed and nothing of the sandbox may be left running.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, ended_graders_folders, need_executable, sandbox_leftovers

from wagamama.cases import Case, filled, place_collected
from wagamama.cli import main
from wagamama.cohort import create_cohort
from wagamama.grading.autograde import autograde
from wagamama.release import release
from wagamama.roster import import_roster

A = "ex01_wagamama"
NB = f"{A}.ipynb"
LIMITS = {"cell_seconds": 2, "notebook_seconds": 25, "output_kb": 64, "processes": 32}
MODEL = 8.0  # the autograded points of the model answer (the 3 points of the essay are manual)

READ_SECRETS = '''
import glob, os
for path in ["../../../gradebook.db", "../../../source/ex01_wagamama/ex01_wagamama.ipynb",
             "../../control/ex01_wagamama/ex01_wagamama.ipynb", "ex01_wagamama.ipynb",
             os.path.expanduser("~root/.bashrc"), "/etc/shadow"]:
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
        print("READ", path, len(text), "HIDDEN" if "BEGIN HIDDEN" in text else "", "SQLITE" if "SQLite" in text else "")
    except OSError as exc:
        print("BLOCKED", path, type(exc).__name__)
print("LISTING", sorted(glob.glob("../../../*")), sorted(glob.glob("../../*")))
import socket
try:
    socket.create_connection(("127.0.0.1", {port}), timeout=2).close()
    print("NETWORK reached the grader's port")
except OSError as exc:
    print("NONET", type(exc).__name__)
'''

WRITE_OUTSIDE = '''
for path in ["../../../gradebook.db", "../../../source/ex01_wagamama/ex01_wagamama.ipynb",
             "../../control/ex01_wagamama/ex01_wagamama.ipynb", "{repo}/evil.txt", "/tmp/../etc/evil.txt"]:
    try:
        with open(path, "w") as f:
            f.write("overwritten")
        print("WROTE", path)
    except OSError as exc:
        print("BLOCKED", path, type(exc).__name__)
'''.replace("{repo}", str(REPO))


def model_with(answers: dict[str, str], cohort) -> nbformat.NotebookNode:
    """The released notebook with the model answers typed in, some of them replaced."""
    return nbformat.reads(filled(cohort, A, Case("sample", "", answers, {})), as_version=4)


def blank(cohort) -> nbformat.NotebookNode:
    return nbformat.read(cohort.path / "release" / A / NB, as_version=4)


def model_diary(cohort) -> str:
    return next(c.source for c in model_with({}, cohort).cells if c.metadata.get("nbgrader", {}).get("grade_id") == "diary")


def cell(nb, grade_id):
    return next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def files(nb, name=NB) -> dict[str, bytes]:
    return {name: nbformat.writes(nb).encode("utf-8")}


def sample_submissions(cohort, port: int) -> dict[str, dict[str, bytes]]:
    """learner id → the files of the submission folder (``port``: one the grader listens on)."""
    diary = model_diary(cohort)
    m = lambda **answers: model_with(answers, cohort)  # noqa: E731

    edited = blank(cohort)
    cell(edited, "diary_check").source = "pass  # テストを消しました"
    deleted = blank(cohort)
    deleted.cells = [c for c in deleted.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "diary_check"]
    stripped = m()
    for c in stripped.cells:
        c.metadata.pop("nbgrader", None)
    newer = m()
    newer.nbformat_minor = 99
    v3 = nbformat.writes(nbformat.convert(m(), 3), version=3).encode("utf-8")
    future = json.loads(nbformat.writes(m()))
    future["nbformat"] = 5
    model_bytes = nbformat.writes(m()).encode("utf-8")

    return {
        "loop-in-cell": files(m(diary="while True:\n    pass\n" + diary)),
        "loop-in-function": files(m(score="def score(entry):\n    while True:\n        pass")),
        "ignores-interrupt": files(m(diary="import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass")),
        "sys-exit": files(m(diary=diary + "\nimport sys\nsys.exit()")),
        "os-exit": files(m(top="import os\nos._exit(3)")),
        "crash": files(m(top="import ctypes\nctypes.string_at(0)")),
        "memory-bomb": files(m(top="blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))")),
        "fork-bomb": files(m(top="import os\nwhile True:\n    os.fork()")),
        "output-flood": files(m(diary=diary + "\nfor i in range(100):\n    print('ワガママ' * 250_000)")),
        "read-secrets": files(m(diary=diary + READ_SECRETS.replace("{port}", str(port)))),
        "write-outside": files(m(diary=diary + WRITE_OUTSIDE)),
        "corrupt-json": {NB: model_bytes[: len(model_bytes) // 2]},
        "empty-file": {NB: b""},
        "renamed": files(m(), "ex01_wagamama (1).ipynb"),
        "japanese-name": {**files(m(), "ワガママ日記.ipynb"), "メモ.txt": "買い物メモ".encode()},
        "missing-notebook": {"メモ.txt": "ノートを出し忘れました".encode()},
        "extra-files": {**files(m()), "data.csv": b"a,b\n1,2\n", "写真.png": os.urandom(2048), "sub/x.txt": b"x"},
        "edited-test": files(edited),
        "deleted-test": files(deleted),
        "stripped-metadata": files(stripped),
        "nbformat-3": {NB: v3},
        "nbformat-newer-minor": files(newer),
        "nbformat-5": {NB: json.dumps(future).encode("utf-8")},
    }


# learner id → (status, autograded score or None, a phrase the instructor reads in the reason or a flag)
EXPECTED = {
    "loop-in-cell": ("needs_manual", MODEL - 3 - 1, ""),  # diary never defined: its check and top's fail
    "loop-in-function": ("needs_manual", 3.0, ""),  # every check that calls score() times out
    "ignores-interrupt": ("failed", None, "時間切れ"),
    # IPython turns SystemExit into an error of that cell: the check below says the answer cell stopped
    "sys-exit": ("needs_manual", MODEL - 3, ""),
    "os-exit": ("failed", None, "終了コード 3"),
    "crash": ("failed", None, "SIGSEGV"),
    "memory-bomb": ("needs_manual", MODEL - 1, ""),  # MemoryError in the top cell
    "fork-bomb": ("needs_manual", MODEL - 1, ""),
    "output-flood": ("needs_manual", MODEL, ""),
    "read-secrets": ("needs_manual", MODEL, ""),
    "write-outside": ("needs_manual", MODEL, ""),
    "corrupt-json": ("failed", None, "壊れていて読めません"),
    "empty-file": ("failed", None, "空のファイル"),
    "renamed": ("needs_manual", MODEL, "ex01_wagamama (1).ipynb"),
    "japanese-name": ("needs_manual", MODEL, "ワガママ日記.ipynb"),
    "missing-notebook": ("failed", None, "課題のノート"),
    "extra-files": ("needs_manual", MODEL, ""),
    # blank answers (an untouched essay scores 0 without manual grading); the test is back and fails
    "edited-test": ("graded", 0.0, ""),
    "deleted-test": ("graded", 0.0, "diary_check"),
    "stripped-metadata": ("needs_manual", MODEL, "diary_check"),
    "nbformat-3": ("needs_manual", MODEL, ""),
    "nbformat-newer-minor": ("needs_manual", MODEL, ""),
    "nbformat-5": ("failed", None, "nbformat 5"),
}


def grade_rows(cohort, student: str) -> dict[str, tuple]:
    with cohort.gradebook() as gb:
        sub = gb.find_submission(A, student)
        return {g.name: (g.auto_score, g.manual_score, g.needs_manual_grade) for n in sub.notebooks for g in n.grades}


@pytest.fixture(scope="module")
def folders_before():
    """Graders' private folders in /tmp before this module grades: all of them, and those of graders that
    had ended (another test's, another run's)."""
    return set(Path("/tmp").glob("wagamama-kernels-*")), ended_graders_folders()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, folders_before):
    need_executable("bwrap")
    home = tmp_path_factory.mktemp("bad")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        cohort = create_cohort("bad", "wagamama-lab", "困った提出物")
        cohort.meta["sandbox"] = LIMITS
        cohort.save()
        release(cohort, [A])
        listener = socket.create_server(("127.0.0.1", 0))  # learner code must not reach it
        samples = sample_submissions(cohort, listener.getsockname()[1])
        roster = home / "roster.csv"
        roster.write_text("id,氏名\ncontrol,見本\n" + "".join(f"{s},{s}\n" for s in samples), encoding="utf-8")
        import_roster(cohort, roster)

        place_collected(cohort, A, "control", files(model_with({}, cohort)), "2026-05-01 10:00:00.000000 JST")
        first = autograde(cohort, [A], jobs=2)
        control_before = grade_rows(cohort, "control")
        for student, contents in samples.items():
            place_collected(cohort, A, student, contents, "2026-05-01 11:00:00.000000 JST")
        outcomes = {o.student: o for o in autograde(cohort, [A], jobs=2)}
        listener.close()
        yield cohort, first, control_before, outcomes


def test_control_learner_is_graded_once_and_never_changes(graded):
    cohort, first, control_before, outcomes = graded
    assert [(o.student, o.status, o.score) for o in first] == [("control", "needs_manual", MODEL)]
    assert outcomes["control"].status == "skipped"
    assert grade_rows(cohort, "control") == control_before


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_bad_submission_ends_with_a_clear_status(graded, student):
    cohort, _, _, outcomes = graded
    status, score, phrase = EXPECTED[student]
    o = outcomes[student]
    told = o.reason + " ".join(o.flags)
    assert o.status == status, (o, told)
    if score is not None:
        assert o.score == score, (o, told)
    assert phrase in told, told
    if status == "failed":
        assert cohort.submitted_dir(student, A).is_dir(), "the submission itself must stay"


def output_of(cohort, student: str, grade_id: str) -> str:
    nb = nbformat.read(cohort.autograded_dir(student, A) / NB, 4)
    return "".join(o.get("text", "") for o in cell(nb, grade_id).outputs)


def test_nothing_outside_the_submission_was_read_or_written(graded):
    cohort, *_ = graded
    out = output_of(cohort, "read-secrets", "diary")
    for secret in ("../../../gradebook.db", "../../../source/", "../../control/", "~root", "/etc/shadow"):
        line = next(x for x in out.splitlines() if secret.replace("~root", "/root") in x or secret in x)
        assert line.startswith("BLOCKED"), line
    assert "BLOCKED ex01_wagamama.ipynb" in out, "the graded copy (with the hidden tests) must not be readable"
    assert "LISTING ['../../../autograded'] ['../../read-secrets']" in out and "HIDDEN" not in out and "SQLITE" not in out, out
    assert "NONET" in out and "NETWORK" not in out, out

    out = output_of(cohort, "write-outside", "diary")
    assert "WROTE" not in out and out.count("BLOCKED") == 5, out
    assert not (REPO / "evil.txt").exists() and not Path("/etc/evil.txt").exists()
    assert b"overwritten" not in (cohort.path / "source" / A / NB).read_bytes()
    assert b"overwritten" not in (cohort.submitted_dir("control", A) / NB).read_bytes()
    assert (cohort.path / "gradebook.db").read_bytes().startswith(b"SQLite format 3")


def test_output_is_capped(graded):
    cohort, *_ = graded
    size = (cohort.autograded_dir("output-flood", A) / NB).stat().st_size
    assert size < 400_000, size
    assert "出力が多すぎるため" in output_of(cohort, "output-flood", "diary")


def test_restored_test_cells_are_graded_and_flagged(graded):
    cohort, _, _, outcomes = graded
    nb = nbformat.read(cohort.autograded_dir("deleted-test", A) / NB, 4)
    restored = cell(nb, "diary_check")
    assert "元に戻しました" in restored.source and any(o.get("output_type") == "error" for o in restored.outputs)
    assert grade_rows(cohort, "deleted-test")["diary_check"][0] == 0
    assert grade_rows(cohort, "stripped-metadata")["diary_check"][0] == 3
    assert not outcomes["edited-test"].flags, "an edited test is restored by nbgrader itself, silently and rightly"


def test_sandbox_leaves_nothing_running_and_gives_folders_back(graded, folders_before):
    cohort, *_ = graded
    assert sandbox_leftovers(cohort.path) == []
    owners = {p.stat().st_uid for p in (cohort.path / "autograded").rglob("*")}
    assert owners == {os.getuid()}
    # the grading processes of this module have ended: their private folders are gone, and so are those of
    # graders that had ended before it (autograde sweeps them)
    every_before, ended_before = folders_before
    left = ended_graders_folders() - (every_before - ended_before)
    assert not left, {str(d): sorted(str(f.relative_to(d)) for f in d.rglob("*")) for d in left}


def test_a_kernel_whose_grader_died_is_ended_even_when_the_launcher_missed_the_signal(graded, tmp_path):
    """The launcher's parent-death signal fires only when its own parent dies: not when the grader dies behind
    sudo, nor when it died while the launcher was starting. Here the launcher's parent (this test) lives on
    while the grader its folder is named for is killed: the kernel and the launcher end all the same."""
    from jupyter_client.connect import write_connection_file

    from wagamama.grading.launcher import RUNTIME_PREFIX, started

    cohort, *_ = graded
    grader = subprocess.Popen(["sleep", "600"])
    folder = Path("/tmp") / f"{RUNTIME_PREFIX}{grader.pid}-{started(grader.pid)}-watched"
    folder.mkdir(mode=0o700)
    launcher = None
    try:
        connection, _ = write_connection_file(str(folder / "kernel.json"), ip="127.0.0.1")
        launcher = subprocess.Popen([sys.executable, "-m", "wagamama.grading.launcher", "launch",
                                     str(cohort.autograded_dir("control", A)), connection],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 30
        while not sandbox_leftovers(cohort.path) and launcher.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)
        assert launcher.poll() is None and sandbox_leftovers(cohort.path), launcher.stderr.read()
        grader.kill()
        grader.wait()
        assert launcher.wait(timeout=20) != 0
        time.sleep(0.5)
        assert sandbox_leftovers(cohort.path) == []
        refused = subprocess.run([sys.executable, "-m", "wagamama.grading.launcher", "launch",
                                  str(cohort.autograded_dir("control", A)), connection], capture_output=True, text=True)
        assert refused.returncode == 125 and "has ended" in refused.stderr, refused.stderr
    finally:
        grader.kill()
        if launcher is not None and launcher.poll() is None:
            launcher.terminate()  # its kernel ends with it
        shutil.rmtree(folder, ignore_errors=True)


def test_the_instructor_reads_a_summary_and_a_second_run_regrades_only_what_failed(graded, capsys):
    cohort, _, _, outcomes = graded
    failed = sorted(s for s, o in outcomes.items() if o.status == "failed")
    assert main(["autograde", "bad", "--jobs", "2"]) == 1
    out, err = capsys.readouterr()
    assert f"変更なしで省略 {len(outcomes) - len(failed)} 件、失敗 {len(failed)} 件" in out, out
    assert [line.split(":")[1].split("/")[0].strip() for line in out.splitlines() if line.startswith("  失敗:")] == failed
    assert "  要確認: renamed / ex01_wagamama: ノートの名前が「ex01_wagamama (1).ipynb」でした。" in out
    assert "採点中 [" in err and "件/分" in err and "残り約" in err
    assert "隔離: bubblewrap" in out and "cgroup" in out
    log = (cohort.path / "logs" / "autograde.log").read_text(encoding="utf-8").splitlines()
    lines = [line.split("\t") for line in log if "\tex01_wagamama\t" in line]
    assert all(len(fields) == 7 for fields in lines)
    crash = [f for f in lines if f[1] == "crash"][-1]
    assert crash[3] == "失敗" and crash[5].endswith("秒") and "SIGSEGV" in crash[6]
    model = [f for f in lines if f[1] == "control"][0]
    assert model[3] == "手動採点待ち" and model[4] == "8/11 点"
    assert "IPKernelApp" not in "\n".join(log), "one line per submission, nothing of ipykernel's"
    assert "Traceback" not in out + err and "ほかの受講者の採点は終わっています" in err


def test_a_notebook_that_is_slow_everywhere_hits_the_notebook_limit(home):
    """Every cell stays under the cell limit; the notebook as a whole does not."""
    need_executable("bwrap")
    cohort = create_cohort("slow", "wagamama-lab", "遅いノート")
    cohort.meta["sandbox"] = {"cell_seconds": 4, "notebook_seconds": 5}
    cohort.save()
    release(cohort, [A])
    (home / "roster.csv").write_text("id,氏名\nslow,遅い人\nquick,速い人\n", encoding="utf-8")
    import_roster(cohort, home / "roster.csv")
    nap = "import time\ntime.sleep(1.8)\n"
    slow = model_with({
        "diary": nap + model_diary(cohort),
        "score": nap + "def score(entry):\n    return entry['ひんど'] * entry['つらさ']",
        "rank": nap + "def rank(entries):\n    return sorted(entries, key=score, reverse=True)",
        "top": nap + "top = rank(diary)[0]",
    }, cohort)
    place_collected(cohort, A, "slow", files(slow), "2026-05-01 10:00:00.000000 JST")
    place_collected(cohort, A, "quick", files(model_with({}, cohort)), "2026-05-01 10:00:00.000000 JST")
    outcomes = {o.student: o for o in autograde(cohort, [A], jobs=2)}
    assert outcomes["slow"].status == "failed"
    assert "ノート全体が 5 秒以内に終わらなかった" in outcomes["slow"].reason, outcomes["slow"].reason
    assert (outcomes["quick"].status, outcomes["quick"].score) == ("needs_manual", MODEL)
