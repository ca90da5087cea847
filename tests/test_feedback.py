"""Feedback when it is ready: held until written answers are graded, --partial says what is still being read,
the page is Japanese with no test code, a time limit is said in Japanese, and the CLI lists what to look at."""

import re

import pytest

from wagamama.cases import Case, filled, load_cases, place_collected
from wagamama.cli import main
from wagamama.cohort import create_cohort
from wagamama.grading.autograde import autograde
from wagamama.grading.feedback import feedback
from wagamama.release import release
from wagamama.roster import import_roster

A = "ex01_wagamama"


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    home = tmp_path_factory.mktemp("feedback")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        c = create_cohort("fb", "wagamama-lab", "フィードバック")
        c.meta["sandbox"] = {"cell_seconds": 3}
        c.save()
        release(c, [A])
        (home / "r.csv").write_text("id,氏名\nu1,一\nu2,二\n", encoding="utf-8")
        import_roster(c, home / "r.csv")
        stamp = "2026-05-01 10:00:00.000000 JST"
        place_collected(c, A, "u1", {f"{A}.ipynb": filled(c, A, load_cases(A)["model"])}, stamp)
        slow = Case("slow", "", {"top": "while True:\n    pass"}, {})  # the last answer cell never ends
        place_collected(c, A, "u2", {f"{A}.ipynb": filled(c, A, slow)}, stamp)
        autograde(c, [A], jobs=2)
        yield c


def page(cohort, student) -> str:
    pages = list((cohort.path / "feedback" / student / A).glob("*.html"))
    return pages[0].read_text(encoding="utf-8") if pages else ""


def test_feedback_waits_for_the_written_answers(cohort, capsys):
    done = feedback(cohort, [A])
    assert sorted(s for s, _, _ in done.held) == ["u1", "u2"] and not done.learners
    assert [n for _, _, n in done.held] == [1, 1]
    assert page(cohort, "u1") == ""
    assert main(["feedback", "fb"]) == 0
    out = capsys.readouterr().out
    assert "2 件のフィードバックを返していません（採点されていない答え 2 件）" in out and "--partial" in out


def test_partial_feedback_says_what_is_still_being_read_in_japanese(cohort):
    done = feedback(cohort, [A], partial=True)
    assert sorted(done.learners[A]) == ["u1", "u2"]
    text = page(cohort, "u1")
    plain = re.sub(r"<[^>]+>", "", text)
    assert "講師がまだ読んでいます" in plain and "文章で答える問題" in plain and "得点" in plain
    assert "Score" not in plain and "Test cell" not in plain and "Comments" not in plain
    assert "min_count=5" not in plain and "expect_call(score" not in plain, "no test code"
    slow = re.sub(r"<[^>]+>", "", page(cohort, "u2"))
    assert "時間切れ" in slow and "CellTimeoutError" not in slow


def test_once_graded_the_feedback_goes_out_without_the_note(cohort):
    with cohort.gradebook() as gb:
        for student in ("u1", "u2"):
            grade = gb.find_grade("reason", A, A, student)
            grade.manual_score = 2
            grade.needs_manual_grade = False
            comment = gb.find_comment("reason", A, A, student)
            comment.manual_comment = "場面が目に浮かびます。"
        gb.db.commit()
    done = feedback(cohort, [A])
    assert not done.held and sorted(done.learners[A]) == ["u1", "u2"]
    plain = re.sub(r"<[^>]+>", "", page(cohort, "u1"))
    assert "講師がまだ読んでいます" not in plain and "場面が目に浮かびます。" in plain and "講師のコメント" in plain


def test_the_instructor_sees_which_submissions_hit_a_limit(cohort, capsys):
    main(["feedback", "fb", "--partial"])
    out = capsys.readouterr().out
    assert "時間切れや、Python が止まった提出物" in out
    assert "u2 / ex01_wagamama: 時間切れ: ex01_wagamama.ipynb の top が" in out and "u1 /" not in out
