"""Parallel, sandboxed autograde against plain sequential nbgrader; reruns, interruptions, PostgreSQL.

The typical answers of grading/cases/ex01_wagamama.yaml are collected for one learner each.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, ended_graders_folders, sandbox_leftovers

from wagamama.cases import filled, load_cases, place_collected
from wagamama.cohort import create_cohort
from wagamama.grading.autograde import RECORD, autograde
from wagamama.release import release
from wagamama.roster import import_roster

A = "ex01_wagamama"
NB = f"{A}.ipynb"
CASES = load_cases(A)


def sid(case: str, copy: int = 0) -> str:
    return f"c-{case.replace('_', '-')}" + (f"-{copy}" if copy else "")


def cohort_with_cases(cohort_id: str, db_url: str | None = None, copies: int = 1):
    cohort = create_cohort(cohort_id, "wagamama-lab", "並列採点の確かめ", db_url=db_url)
    learners = [(sid(name, k), case) for k in range(copies) for name, case in CASES.items()]
    roster = cohort.path / "roster.csv"
    roster.write_text("id,氏名\n" + "".join(f"{s},{s}\n" for s, _ in learners), encoding="utf-8")
    import_roster(cohort, roster)
    release(cohort, [A])
    for s, case in learners:
        place_collected(cohort, A, s, {NB: filled(cohort, A, case)}, "2026-05-01 10:00:00.000000 JST")
    return cohort, {s: case.auto_score for s, case in learners}


def gradebook_rows(cohort) -> dict:
    """Every grade and comment of the assignment, as plain values."""
    rows = {}
    with cohort.gradebook() as gb:
        for sub in gb.assignment_submissions(A):
            for nb in sub.notebooks:
                for g in nb.grades:
                    rows[(sub.student.id, "grade", g.name)] = (g.auto_score, g.manual_score, g.needs_manual_grade)
                for c in nb.comments:
                    rows[(sub.student.id, "comment", c.name)] = (c.auto_comment, c.manual_comment)
    return rows


def graded_cells(folder) -> list[dict]:
    """The autograded notebook's cells, without the execution timings."""
    nb = nbformat.read(folder / NB, as_version=4)
    cells = []
    for cell in nb.cells:
        cell = dict(cell)
        cell["metadata"] = {k: v for k, v in cell["metadata"].items() if k != "execution"}
        cells.append(cell)
    return cells


def plain_nbgrader(cohort, tmp_path):
    """A copy of the cohort, graded by `nbgrader autograde` alone (sequential, no sandbox)."""
    plain = tmp_path / "plain"
    shutil.copytree(cohort.path, plain)
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", A, f"--CourseDirectory.root={plain}",
                    f"--CourseDirectory.db_url=sqlite:///{plain / 'gradebook.db'}"],
                   cwd=plain, check=True, capture_output=True)
    return plain


def test_same_grades_comments_and_notebooks_as_sequential_nbgrader(home, tmp_path):
    cohort, expected = cohort_with_cases("parallel")
    plain = plain_nbgrader(cohort, tmp_path)
    outcomes = autograde(cohort, [A], jobs=2)
    assert {o.student: o.score for o in outcomes} == expected

    ours = gradebook_rows(cohort)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(cohort, "path", plain)
        theirs = gradebook_rows(cohort)
    assert ours == theirs and len(ours) > 5 * len(expected)
    for s in expected:
        assert graded_cells(cohort.autograded_dir(s, A)) == graded_cells(plain / "autograded" / s / A), s


def test_rerun_skips_and_never_touches_manual_grades(home):
    cohort, expected = cohort_with_cases("rerun")
    autograde(cohort, [A], jobs=2)
    model = sid("model")
    with cohort.gradebook() as gb:
        grade = gb.find_grade("reason", A, A, model)
        grade.manual_score = 2
        grade.needs_manual_grade = False  # as the formgrader and the grading page do
        comment = gb.find_comment("reason", A, A, model)
        comment.manual_comment = "場面が目に浮かびます。"
        gb.db.commit()

    assert {o.status for o in autograde(cohort, [A], jobs=2)} == {"skipped"}
    forced = autograde(cohort, [A], jobs=2, force=True)
    assert "skipped" not in {o.status for o in forced}
    with cohort.gradebook() as gb:
        assert gb.find_grade("reason", A, A, model).manual_score == 2
        assert gb.find_comment("reason", A, A, model).manual_comment == "場面が目に浮かびます。"
        assert gb.find_submission(A, model).score == expected[model] + 2
        assert not gb.find_grade("reason", A, A, model).needs_manual_grade, "graded by a person: stays graded"
        assert not gb.find_submission(A, model).needs_manual_grade


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "killed"])
def test_an_interrupted_run_is_completed_by_the_next(home, how):
    cohort, expected = cohort_with_cases("stopped", copies=2)  # 20 submissions: the run is still going when stopped
    before = set(Path("/tmp").glob("wagamama-kernels-*"))
    # Ctrl-C as in a terminal: Python ignores SIGINT for good when it starts with SIGINT ignored
    run = subprocess.Popen([sys.executable, "-m", "wagamama.cli", "autograde", "stopped", "--jobs", "2"],
                           env={**os.environ, "WAGAMAMA_HOME": str(home)}, cwd=REPO, start_new_session=True,
                           preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while not list((cohort.path / "autograded").glob(f"*/{A}/{RECORD}")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert run.poll() is None, "the run ended before it could be stopped"
    os.killpg(run.pid, how)
    out, _ = run.communicate(timeout=120)
    if how == signal.SIGINT:
        assert run.returncode == 130 and "中断しました" in out, out
    finished = len(list((cohort.path / "autograded").glob(f"*/{A}/{RECORD}")))
    assert 1 <= finished < len(expected)
    left = set(Path("/tmp").glob("wagamama-kernels-*")) - before  # the stopped run's graders' private folders
    if how == signal.SIGINT:
        assert not left, "on Ctrl-C each grader removes its own folder"
    else:  # kill -9 cleans up nothing; the folders stay until the killed graders have ended
        assert left
        deadline = time.monotonic() + 30
        while left - ended_graders_folders() and time.monotonic() < deadline:
            time.sleep(0.1)

    outcomes = autograde(cohort, [A], jobs=2)
    assert {o.student: o.score for o in outcomes} == expected
    assert sum(o.status == "skipped" for o in outcomes) >= finished
    time.sleep(0.5)  # kernels of the killed run die with their grading processes (bwrap --die-with-parent)
    assert sandbox_leftovers(cohort.path) == []
    assert not [d for d in left if d.exists()], "the next run sweeps the folders of graders that ended"


def test_postgresql_gradebook(home, postgres):
    cohort, expected = cohort_with_cases("pg", db_url=postgres("wagamama_pg"))
    assert str(cohort.config().CourseDirectory.db_url).startswith("postgresql")
    outcomes = autograde(cohort, [A], jobs=2)
    assert {o.student: o.score for o in outcomes} == expected
    assert not (cohort.path / "gradebook.db").exists()
