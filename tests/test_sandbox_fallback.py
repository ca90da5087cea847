"""Grading without root (a laptop, one user): no cgroup, no uid of its own, still bubblewrap and its limits.

An unprivileged Unix user owns a cohort and runs `wagamama autograde` and `wagamama doctor` on it. The
scores are right, every kernel ran as that user in bubblewrap's own size-limited folder, and both
commands say which isolation was used (the fallback is never silent).
"""

import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from conftest import need_executable

from wagamama.cases import Case, filled, load_cases, place_collected
from wagamama.cohort import create_cohort
from wagamama.release import release
from wagamama.roster import import_roster

A = "ex02_yusen"
USER = "wgtest-laptop"
PROBE = "import os\nprint('UID', os.getuid())\nprint('ROOM', os.statvfs('.').f_blocks * os.statvfs('.').f_frsize)\n"


@pytest.fixture(scope="module")
def laptop(tmp_path_factory, other_users_run_python):
    need_executable("bwrap")
    subprocess.run(["useradd", "--no-create-home", USER], capture_output=True)
    home = Path(tempfile.mkdtemp(prefix="wagamama-laptop-"))  # pytest's own folders are private to root
    try:
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("WAGAMAMA_HOME", str(home))
            cohort = create_cohort("laptop", "wagamama-lab", "ひとりで採点")
            cohort.meta["sandbox"] = {"disk_mb": 30}
            cohort.save()
            release(cohort, [A])
            known = load_cases(A)
            cases = {"model": known["model"], "tensu-addition": known["tensu_addition"]}
            plays = {"model": Case("model", "", {"tensu_list": PROBE + "\n" + _model(cohort)}, {}),
                     "tensu-addition": known["tensu_addition"]}
            (home / "r.csv").write_text("id,氏名\n" + "".join(f"{s},{s}\n" for s in cases), encoding="utf-8")
            import_roster(cohort, home / "r.csv")
            for student, play in plays.items():
                place_collected(cohort, A, student, {f"{A}.ipynb": filled(cohort, A, play)},
                                "2026-05-01 10:00:00.000000 JST")
            user = pwd.getpwnam(USER)
            for p in [home, *home.rglob("*")]:
                os.lchown(p, user.pw_uid, user.pw_gid)
            env = {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "WAGAMAMA_HOME": str(home),
                   "HOME": str(home), "LANG": "C.UTF-8"}
            run = [sys.executable, "-m", "wagamama.cli"]
            runuser = shutil.which("runuser")
            graded = subprocess.run([runuser, "-u", USER, "--", *run, "autograde", "laptop", "--jobs", "2"],
                                    env=env, capture_output=True, text=True, cwd=home, timeout=600)
            doctor = subprocess.run([runuser, "-u", USER, "--", *run, "doctor", "laptop"], env=env,
                                    capture_output=True, text=True, cwd=home, timeout=120)
            yield cohort, cases, graded, doctor, user
    finally:
        subprocess.run(["userdel", USER], capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def _model(cohort) -> str:
    from wagamama.cases import model_answers

    return model_answers(cohort.path / "source" / A / f"{A}.ipynb")["tensu_list"]


def test_scores_are_right_without_root(laptop):
    cohort, cases, graded, _, _ = laptop
    assert graded.returncode == 0, graded.stdout + graded.stderr
    with cohort.gradebook() as gb:
        for student, case in cases.items():
            sub = gb.find_submission(A, student)
            assert {g.name: g.score for nb in sub.notebooks for g in nb.grades} == case.expect, student


def test_the_kernel_ran_as_the_grader_in_a_limited_folder(laptop):
    import nbformat

    cohort, _, _, _, user = laptop
    nb = nbformat.read(cohort.autograded_dir("model", A) / f"{A}.ipynb", as_version=4)
    text = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "tensu_list").outputs[0].text
    assert f"UID {user.pw_uid}" in text
    room = int(text.split("ROOM ", 1)[1].split()[0])
    assert room <= 30 * 1024 * 1024


def test_both_commands_say_which_isolation_was_used(laptop):
    _, _, graded, doctor, _ = laptop
    for out in (graded.stdout, doctor.stdout):
        assert "cgroup なし" in out and "採点するユーザーと同じユーザー" in out and "bubblewrap" in out, out


def test_without_bubblewrap_grading_stops_with_a_japanese_reason(home, tmp_path):
    """No silent fallback to a weaker isolation: without bwrap, nothing is graded and the reason is said."""
    cohort = create_cohort("nobwrap", "wagamama-lab", "bubblewrap なし")
    release(cohort, [A])
    (tmp_path / "r.csv").write_text("id,氏名\nu1,受講者\n", encoding="utf-8")
    import_roster(cohort, tmp_path / "r.csv")
    place_collected(cohort, A, "u1", {f"{A}.ipynb": filled(cohort, A, load_cases(A)["model"])},
                    "2026-05-01 10:00:00.000000 JST")
    bin_without_bwrap = tmp_path / "bin"
    bin_without_bwrap.mkdir()
    for tool in ("prlimit", "setpriv", "mount", "umount", "sh", "tar", "alembic"):
        for folder in (os.path.dirname(sys.executable), "/usr/bin", "/bin", "/usr/sbin", "/sbin"):
            if os.path.exists(os.path.join(folder, tool)):
                os.symlink(os.path.join(folder, tool), bin_without_bwrap / tool)
                break
    env = {**os.environ, "PATH": str(bin_without_bwrap), "WAGAMAMA_HOME": os.environ["WAGAMAMA_HOME"]}
    done = subprocess.run([sys.executable, "-m", "wagamama.cli", "autograde", "nobwrap"], env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "bubblewrap（bwrap）が入っていません" in done.stderr and "採点しませんでした" in done.stderr, done.stderr
    assert not cohort.autograded_dir("u1", A).exists()
