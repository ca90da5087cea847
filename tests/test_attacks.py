"""A hostile learner against the grader: one sample submission per attack class, each kept as a test.

One cohort (ex00 and ex02), strict limits. Every attacker hands in the attack beside its honest twin:
the same answers without the attack. After one sandboxed, parallel autograde and feedback, each case
asserts that the attacker scored exactly what the twin scored, that the control learner's grades and
feedback did not change, and that nothing outside the attacker's own grading area changed: the
course folder (checksums) and a canary file outside it.

The attacks on the kernel's machinery are also run the old way (test cells in the learner's kernel,
graded by nbgrader's own rules) to show that each one really forges a grade there.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest
from conftest import need_executable, sandbox_leftovers

from wagamama import learner
from wagamama.cases import Case, filled, model_answers, place_collected
from wagamama.cohort import create_cohort
from wagamama.grading.autograde import autograde
from wagamama.grading.collect import collect
from wagamama.grading.feedback import feedback
from wagamama.grading.launcher import ENVIRONMENT as ENVIRONMENT_ALLOWED
from wagamama.release import release
from wagamama.roster import import_roster

A = "ex02_yusen"
H = "ex00_hajimete"
LIMITS = {"cell_seconds": 5, "notebook_seconds": 60, "memory_mb": 400, "processes": 40, "disk_mb": 20,
          "files": 300, "output_kb": 64}
WRONG = "def tensu_list(diary):\n    return []\n"  # the honest twin's answer: loses tensu_list and what uses it

# --- tampering with the kernel (each forges full marks when test cells run in the learner's kernel) ---
MACHINERY = {
    "helpers": '''
import wagamama.check as chk
def _pass(*args, **kwargs):
    print("⭕ 正解です")
chk.expect_call = chk.expect = _pass
expect_call = _pass
''',
    "helper-module": '''
import wagamama.check as chk
chk._equal = lambda *args: True
''',
    "input-transformer": '''
get_ipython().input_transformers_post.append(lambda lines: ["pass\\n"] if "expect_call" in "".join(lines) else lines)
''',
    "events-and-traceback": '''
ip = get_ipython()
ip.showtraceback = lambda *args, **kwargs: None
def _clear(result):
    result.error_in_exec = None
    result.error_before_exec = None
ip.events.register("post_run_cell", _clear)
''',
    "run-cell": '''
ip = get_ipython()
_run = ip.run_cell
ip.run_cell = lambda raw_cell, *args, **kwargs: _run("pass" if "expect_call" in raw_cell else raw_cell, *args, **kwargs)
''',
    "early-result": '''
ip = get_ipython()
ip.events.register("pre_run_cell", lambda info: ip.displayhook("合格") if "expect_call" in info.raw_cell else None)
''',
    "caller-frame": '''
import sys
def tensu_list(diary):
    frame = sys._getframe(1)
    while frame is not None:
        if "expected" in frame.f_locals:
            return frame.f_locals["expected"]
        frame = frame.f_back
    return []
''',
}

# --- what the kernel may leave behind or reach ---
LINKS = '''
import os
for target, name in [("/etc/shadow", "shadow.txt"), ("../../../gradebook.db", "gradebook.db"),
                     ("../../control/ex02_yusen/ex02_yusen.ipynb", "control.ipynb"), ("/", "root")]:
    try:
        os.symlink(target, name)
    except OSError as exc:
        print("NOLINK", name, type(exc).__name__)
try:
    os.mkfifo("fifo")
except OSError as exc:
    print("NOFIFO", type(exc).__name__)
try:
    os.link("/etc/passwd", "hard")
except OSError as exc:
    print("NOHARD", type(exc).__name__)
print("LEFT", sorted(os.listdir(".")))
'''
ENVIRONMENT = '''
import os
print("ENV", sorted(os.environ))
fds = {}
for fd in os.listdir("/proc/self/fd"):
    try:
        fds[fd] = os.readlink(f"/proc/self/fd/{fd}")
    except OSError:
        pass
print("FDS", fds)
print("UID", os.getuid())
'''
MEMORY = '''
import subprocess, sys, time
grow = "b = bytearray(250 * 2**20)\\nfor i in range(0, len(b), 4096): b[i] = 1\\nimport time; time.sleep(30)"
children = [subprocess.Popen([sys.executable, "-c", grow]) for i in range(4)]  # each under the per-process limit
time.sleep(3)
print("ALIVE", sum(child.poll() is None for child in children))
for child in children:
    child.kill()
'''
PROCESSES = '''
import os, time
made = 0
for i in range(200):
    try:
        if os.fork() == 0:
            time.sleep(10)
            os._exit(0)
        made += 1
    except OSError:
        break
print("MADE", made)
'''
DISK = '''
written = 0
try:
    with open("big.bin", "wb") as f:
        for i in range(100):
            f.write(b"x" * 1024 * 1024)
            written += 1
except OSError as exc:
    print("DISKFULL", type(exc).__name__)
print("WROTE_MB", written)
files = 0
try:
    for i in range(5000):
        open(f"f{i}", "w").close()
        files += 1
except OSError as exc:
    print("NOFILES", type(exc).__name__)
print("FILES", files)
'''
OUTPUT = '''
from IPython.display import display, update_display
for i in range(3000):
    display({"text/html": "<b>ワガママ</b>" * 200}, raw=True, display_id=f"d{i}")
update_display({"text/plain": "書きかえ"}, raw=True, display_id="d0")
raise ValueError("x" * 20_000_000)
'''
SECRET_ENV = {"DATABASE_URL": "postgresql://secret@127.0.0.1/gradebook", "PGPASSWORD": "canary-password",
              "JUPYTERHUB_API_TOKEN": "canary-token-1234", "WAGAMAMA_SECRET_CANARY": "canary-value"}

# --- hidden tests must not come back in the learner's own feedback ---
LEAK = '''
def aisatsu(namae):
    print("ARG=" + namae)
    raise type("LEAK_" + namae.encode().hex(), (ValueError,), {})("LEAK:" + namae)
'''
HIDDEN_ARGUMENTS = ["ゆうき", "ケン"]  # ex00's hidden tests call aisatsu with these


def attacker_answers(attack: str) -> dict[str, str]:
    if attack == "caller-frame":
        return {"tensu_list": MACHINERY[attack]}
    if attack in MACHINERY:
        return {"tensu_list": MACHINERY[attack] + WRONG}
    code = {"links": LINKS, "environment": ENVIRONMENT, "memory": MEMORY, "processes": PROCESSES, "disk": DISK,
            "output": OUTPUT}[attack]
    return {"tensu_list": code + WRONG}


ATTACKS = [*MACHINERY, "links", "environment", "memory", "processes", "disk", "output"]


def sid(name: str) -> str:
    return "x-" + name


def twin(name: str) -> str:
    return "t-" + name


def checksums(root: Path, skip: tuple[str, ...]) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        if path.is_symlink() or not path.is_file() or rel.startswith(skip):
            continue
        found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def grades(cohort, a, student) -> dict[str, float]:
    with cohort.gradebook() as gb:
        sub = gb.find_submission(a, student)
        return {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"}


def output_text(cohort, student, grade_id, a=A) -> str:
    """Everything a cell of the autograded notebook shows, as text."""
    nb = nbformat.read(cohort.autograded_dir(student, a) / f"{a}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(o.get("text", "") or json.dumps(o, ensure_ascii=False) for o in cell.outputs)


def printed(cohort, student: str, word: str) -> str:
    """What the attacker's answer cell printed after ``word`` on its line."""
    line = next(x for x in output_text(cohort, student, "tensu_list").splitlines() if x.startswith(word + " "))
    return line.split(" ", 1)[1]


@pytest.fixture(scope="module")
def attacked(tmp_path_factory):
    need_executable("bwrap")
    home = tmp_path_factory.mktemp("attacks")
    canary = tmp_path_factory.mktemp("outside") / "canary.txt"
    canary.write_text("元のまま", encoding="utf-8")
    os.chmod(canary, 0o666)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        for key, value in SECRET_ENV.items():
            mp.setenv(key, value)
        cohort = create_cohort("attacks", "wagamama-lab", "攻撃の確かめ")
        cohort.meta["sandbox"] = LIMITS
        cohort.save()
        release(cohort, [A, H])
        students = ["control", "leaker", *(sid(a) for a in ATTACKS), *(twin(a) for a in ATTACKS)]
        roster = home / "roster.csv"
        roster.write_text("id,氏名\n" + "".join(f"{s},受講者 {s}\n" for s in students), encoding="utf-8")
        import_roster(cohort, roster)
        stamp = "2026-05-01 10:00:00.000000 JST"
        nb = f"{A}.ipynb"
        place_collected(cohort, A, "control", {nb: filled(cohort, A, Case("model", "", {}, {}))}, stamp)
        place_collected(cohort, H, "control", {f"{H}.ipynb": filled(cohort, H, Case("model", "", {}, {}))}, stamp)
        place_collected(cohort, H, "leaker", {f"{H}.ipynb": filled(cohort, H, Case("leak", "", {"aisatsu": LEAK}, {}))},
                        stamp)
        autograde(cohort, [A, H], jobs=2)
        feedback(cohort, [A, H], partial=True)
        control_grades = (grades(cohort, A, "control"), grades(cohort, H, "control"))
        control_feedback = checksums(cohort.path / "feedback" / "control", ())
        for attack in ATTACKS:
            place_collected(cohort, A, sid(attack), {nb: filled(cohort, A, Case(attack, "", attacker_answers(attack), {}))},
                            stamp)
            place_collected(cohort, A, twin(attack), {nb: filled(cohort, A, Case(attack, "", {"tensu_list": WRONG}, {}))},
                            stamp)
        mine = ("autograded/x-", "feedback/x-", "autograded/t-", "feedback/t-", "gradebook.db", "logs/")
        before = checksums(cohort.path, mine)
        shadow = os.stat("/etc/shadow")
        outcomes = {(o.assignment, o.student): o for o in autograde(cohort, [A], jobs=2)}
        released = feedback(cohort, [A], partial=True)
        after = {"course": checksums(cohort.path, mine), "shadow": os.stat("/etc/shadow"),
                 "control": ((grades(cohort, A, "control"), grades(cohort, H, "control")),
                             checksums(cohort.path / "feedback" / "control", ())),
                 "leftovers": sandbox_leftovers(cohort.path)}
        yield {"cohort": cohort, "outcomes": outcomes, "released": released, "before": before, "after": after,
               "canary": canary, "shadow": shadow, "control": (control_grades, control_feedback)}


@pytest.mark.parametrize("attack", ATTACKS)
def test_the_attacker_scores_what_its_honest_answers_earn(attacked, attack):
    cohort, outcomes = attacked["cohort"], attacked["outcomes"]
    assert outcomes[(A, twin(attack))].status == "graded", outcomes[(A, twin(attack))]
    assert grades(cohort, A, twin(attack)) == {"tensu_list_check": 0, "top3_check": 2, "heikin_check": 0,
                                               "onaji_check": 0}
    attacker = outcomes[(A, sid(attack))]
    if attacker.status == "failed":  # the kernel was taken down by its own attack: nothing earned at all
        assert attack in ("memory", "processes"), attacker
        return
    assert grades(cohort, A, sid(attack)) == grades(cohort, A, twin(attack)), attacker


def test_nothing_else_changed(attacked):
    """Right after the attackers were graded and given feedback (captured in the fixture)."""
    cohort, after = attacked["cohort"], attacked["after"]
    assert after["control"] == attacked["control"]
    assert attacked["control"][0][0] == {"tensu_list_check": 2, "top3_check": 2, "heikin_check": 2, "onaji_check": 2}
    assert after["course"] == attacked["before"]
    assert attacked["canary"].read_text(encoding="utf-8") == "元のまま"
    shadow, then = after["shadow"], attacked["shadow"]
    assert (shadow.st_mode, shadow.st_uid, shadow.st_mtime) == (then.st_mode, then.st_uid, then.st_mtime)
    assert (cohort.path / "gradebook.db").read_bytes().startswith(b"SQLite format 3")
    assert after["leftovers"] == []


def test_nothing_the_kernel_left_is_kept_or_published(attacked):
    cohort = attacked["cohort"]
    out = output_text(cohort, sid("links"), "tensu_list")
    assert "LEFT" in out and "shadow.txt" in out, out  # the links were made, in the kernel's own folder
    for folder in (cohort.autograded_dir(sid("links"), A), cohort.path / "feedback" / sid("links") / A):
        names = {p.name for p in folder.rglob("*")}
        assert not names & {"shadow.txt", "gradebook.db", "control.ipynb", "root", "fifo", "hard"}, names
        assert all(p.is_file() or p.is_dir() for p in folder.rglob("*"))
        assert not any(p.is_symlink() for p in folder.rglob("*"))


def test_the_kernel_has_a_cleared_environment_no_inherited_files_and_its_own_uid(attacked):
    import ast

    cohort = attacked["cohort"]
    env = set(ast.literal_eval(printed(cohort, sid("environment"), "ENV")))
    set_by_the_kernel = {"TERM", "CLICOLOR", "CLICOLOR_FORCE", "FORCE_COLOR", "PAGER", "GIT_PAGER", "JPY_SESSION_NAME",
                         "PYDEVD_USE_FRAME_EVAL", "PWD", "SHLVL", "_"}
    allowed = set(ENVIRONMENT_ALLOWED) | {"PATH"} | set_by_the_kernel
    assert not env & set(SECRET_ENV) and not (env & set(os.environ)) - allowed, env
    assert env - set_by_the_kernel <= allowed
    fds = ast.literal_eval(printed(cohort, sid("environment"), "FDS"))  # ipykernel's own pipes and sockets only
    assert fds["0"] == "/dev/null", fds
    assert not [t for t in fds.values() if t.startswith("/") and t != "/dev/null" and not t.startswith("/proc/")], fds
    uid = int(printed(cohort, sid("environment"), "UID"))
    assert uid >= 1_900_000_000 and uid != os.getuid() and uid != os.stat(cohort.path).st_uid


def test_limits_hold_for_the_whole_submission(attacked):
    cohort = attacked["cohort"]
    if attacked["outcomes"][(A, sid("memory"))].status != "failed":
        assert int(printed(cohort, sid("memory"), "ALIVE")) <= 1, "250 MB each, 400 MB for the whole submission"
    if attacked["outcomes"][(A, sid("processes"))].status != "failed":
        assert int(printed(cohort, sid("processes"), "MADE")) < LIMITS["processes"]
    assert printed(cohort, sid("disk"), "DISKFULL") == "OSError" and int(printed(cohort, sid("disk"), "WROTE_MB")) <= 20
    assert printed(cohort, sid("disk"), "NOFILES") == "OSError" and int(printed(cohort, sid("disk"), "FILES")) <= 300


def test_output_of_every_kind_is_capped_by_the_grader(attacked):
    cohort = attacked["cohort"]
    size = (cohort.autograded_dir(sid("output"), A) / f"{A}.ipynb").stat().st_size
    assert size < 200_000, size
    nb = nbformat.read(cohort.autograded_dir(sid("output"), A) / f"{A}.ipynb", as_version=4)
    outputs = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "tensu_list").outputs
    assert any("出力が多すぎるため" in o.get("text", "") for o in outputs)
    assert not any("書きかえ" in json.dumps(o.get("data", {}), ensure_ascii=False) for o in outputs)  # no update
    assert outputs[-1].output_type == "error" and len(outputs[-1].evalue) <= 2000


def test_hidden_tests_never_come_back_in_the_learners_feedback(attacked):
    cohort = attacked["cohort"]
    assert grades(cohort, H, "leaker")["aisatsu_check"] == 0
    pages = list((cohort.path / "feedback" / "leaker" / H).glob("*.html"))
    assert pages
    text = pages[0].read_text(encoding="utf-8")
    autograded = output_text(cohort, "leaker", "aisatsu_check", H)
    assert "ARG=さくら" in autograded and "ARG=ゆうき" not in autograded  # the first failed check stops the cell
    assert "ARG=さくら" not in text and "aisatsu" in text, "a cell with hidden tests keeps only its verdict"
    for argument in HIDDEN_ARGUMENTS:
        assert argument not in text and argument.encode().hex() not in text, argument
    plain = re.sub(r"<[^>]+>", "", text)
    assert "BEGIN HIDDEN" not in plain and "hidden=True" not in plain and "expect_call(aisatsu" not in plain


def test_feedback_is_per_learner(attacked):
    """One learner's broken autograded folder fails that learner only."""
    cohort = attacked["cohort"]
    broken = cohort.autograded_dir(twin("links"), A) / f"{A}.ipynb"
    broken.write_text("{ not a notebook", encoding="utf-8")
    released = feedback(cohort, [A], partial=True)
    assert [s for s, a, _ in released.failed] == [twin("links")]
    assert "フィードバック" in released.failed[0][2]
    assert set(released.learners[A]) >= {"control", twin("disk"), sid("helpers")}


# --- the exchange ---

def _inbound(cohort) -> Path:
    return Path(cohort.config().Exchange.root) / cohort.id / "inbound"


def test_the_exchange_refuses_links_special_files_and_hard_links(attacked, tmp_path):
    cohort = attacked["cohort"]
    work = tmp_path / "learners"
    learner.fetch(cohort, A, twin("disk"), work)
    learner.submit(cohort, A, twin("disk"), work)
    honest = next(p for p in _inbound(cohort).iterdir() if p.name.startswith(twin("disk") + "+"))

    def like(student: str) -> Path:
        return _inbound(cohort) / honest.name.replace(twin("disk"), student, 1)

    shutil.copytree(honest, like("x-links"))
    os.symlink(cohort.path / "gradebook.db", like("x-links") / "gradebook.db")
    shutil.copytree(honest, like("x-disk"))
    os.mkfifo(like("x-disk") / "fifo")
    shutil.copytree(honest, like("x-output"))
    os.link(cohort.path / "cohort.json", like("x-output") / "cohort.json")
    os.symlink(cohort.path / "submitted" / "control", like("x-memory"))

    before = {s: (cohort.submitted_dir(s, A) / f"{A}.ipynb").read_bytes() for s in ("x-links", "x-disk", "x-output")}
    collected = collect(cohort, [A])
    refused = "\n".join(collected.refused)
    for student, what in (("x-links", "シンボリックリンク"), ("x-disk", "FIFO"), ("x-output", "ハードリンク"),
                          ("x-memory", "シンボリックリンク")):
        assert f"{student} / {A}" in refused and what in refused, refused
    assert twin("disk") in collected.learners[A]
    for student, data in before.items():  # the earlier collected submission is kept, nothing of the link arrived
        assert (cohort.submitted_dir(student, A) / f"{A}.ipynb").read_bytes() == data
        assert not any(p.is_symlink() or not (p.is_file() or p.is_dir())
                       for p in cohort.submitted_dir(student, A).rglob("*"))
    assert not (cohort.submitted_dir("x-links", A) / "gradebook.db").exists()
    for path in [cohort.submitted_dir(twin("disk"), A), *cohort.submitted_dir(twin("disk"), A).rglob("*")]:
        assert not path.stat().st_mode & 0o022, path


def test_on_a_hub_nobody_submits_in_another_learners_name(attacked, tmp_path):
    """check_owner (set by `wagamama hub render`): the files must belong to the learner the folder names."""
    cohort = attacked["cohort"]
    names = ["wgtest-alice", "wgtest-bob"]
    for name in names:
        subprocess.run(["useradd", "--no-create-home", name], capture_output=True)
    try:
        config = cohort.path / "nbgrader_config.py"
        text = config.read_text(encoding="utf-8")
        config.write_text(text.replace("check_owner = False", "check_owner = True"), encoding="utf-8")
        import_roster(cohort, _roster(tmp_path, names), confirm=True)
        learner.fetch(cohort, A, "wgtest-alice", tmp_path / "alice")
        learner.submit(cohort, A, "wgtest-alice", tmp_path / "alice")
        honest = next(p for p in _inbound(cohort).iterdir() if p.name.startswith("wgtest-alice+"))
        shutil.copytree(honest, _inbound(cohort) / honest.name.replace("wgtest-alice", "wgtest-bob", 1))
        owner = pwd.getpwnam("wgtest-alice")  # alice hands in, also in bob's name
        for name in names:
            entry = _inbound(cohort) / honest.name.replace("wgtest-alice", name, 1)
            for p in [entry, *entry.rglob("*")]:
                os.lchown(p, owner.pw_uid, owner.pw_gid)
        collected = collect(cohort, [A])
        assert "wgtest-alice" in collected.learners[A]
        assert any(r.startswith(f"wgtest-bob / {A}") and "提出した人のもの" in r for r in collected.refused), collected.refused
        assert not cohort.submitted_dir("wgtest-bob", A).exists()
        config.write_text(text, encoding="utf-8")
    finally:
        for name in names:
            subprocess.run(["userdel", name], capture_output=True)


def _roster(tmp_path, names) -> Path:
    path = tmp_path / "roster-hub.csv"
    path.write_text("id,氏名\n" + "".join(f"{n},{n}\n" for n in names), encoding="utf-8")
    return path


# --- the same machinery attacks, the old way: test cells in the learner's kernel ---

@pytest.mark.parametrize("attack", sorted(MACHINERY))
def test_each_machinery_attack_forges_a_grade_when_tests_run_in_the_learners_kernel(attacked, attack):
    from nbgrader.preprocessors import Execute
    from nbgrader.utils import determine_grade, is_grade, is_solution

    cohort = attacked["cohort"]
    nb = nbformat.read(cohort.path / "source" / A / f"{A}.ipynb", as_version=4)
    answers = {**model_answers(cohort.path / "source" / A / f"{A}.ipynb"), **attacker_answers(attack)}
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if is_solution(cell) and gid in answers:
            cell.source = answers[gid]
    work = cohort.path.parent / f"old-way-{attack}"
    work.mkdir(exist_ok=True)
    Execute(timeout=20, kernel_name="python3").preprocess(nb, {"metadata": {"path": str(work)}})  # nbgrader's own
    scores = {c.metadata.nbgrader["grade_id"]: determine_grade(c)[0] for c in nb.cells
              if is_grade(c) and not is_solution(c)}
    assert scores["tensu_list_check"] == 2, (attack, scores)


def test_the_sweep_of_ended_graders_folders_follows_no_link(tmp_path):
    """sandbox.sweep removes /tmp/wagamama-kernels-<pid>-<start>-* of ended graders: a link planted under that
    name (by anyone who may write /tmp) or inside such a folder (where a kernel had its sockets) is never
    followed, a live grader's folder is kept, and a dead grader's pid now used by another process keeps nothing."""
    from wagamama.grading.launcher import started
    from wagamama.grading.sandbox import RUNTIME_PREFIX, sweep

    canary = tmp_path / "course"
    canary.mkdir()
    (canary / "gradebook.db").write_text("keep")
    dead, me = 2**22 + 12345, started(os.getpid())  # a pid above pid_max on this machine: no such process
    link = Path("/tmp") / f"{RUNTIME_PREFIX}{dead}-{me}-link"
    ended = Path("/tmp") / f"{RUNTIME_PREFIX}{dead}-{me}-ended"
    live = Path("/tmp") / f"{RUNTIME_PREFIX}{os.getpid()}-{me}-live"
    reused = Path("/tmp") / f"{RUNTIME_PREFIX}{os.getpid()}-{int(me) - 1}-reused"  # this pid, an older process
    link.symlink_to(canary)
    (ended / "sockets").mkdir(parents=True)
    (ended / "sockets" / "course").symlink_to(canary)
    (ended / "sockets" / "gradebook.db").hardlink_to(canary / "gradebook.db")
    live.mkdir()
    reused.mkdir()
    try:
        sweep()
        assert (canary / "gradebook.db").read_text() == "keep" and link.is_symlink()
        assert not ended.exists() and not reused.exists() and live.exists()
    finally:
        if link.is_symlink():
            link.unlink()
        for folder in (live, ended, reused):
            shutil.rmtree(folder, ignore_errors=True)
