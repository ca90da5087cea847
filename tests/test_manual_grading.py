"""Grading written answers with the rubric beside them (wagamama.manual_grading, `wagamama grade`).

One cohort for the module: five learners hand in assignment 1 with their own written reason (one hands in
nothing written, one writes HTML), real nbgrader autogrades them, and the tests grade the written answers
through the data functions and through the page served by Voilà in a real chromium.
"""

import math
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request

import nbformat
import pytest
import yaml
from conftest import REPO, need

from wagamama.app.serve import free_port
from wagamama.cases import Case, filled, load_cases, place_collected
from wagamama.cli import main
from wagamama.cohort import create_cohort
from wagamama.errors import WagamamaError
from wagamama.grading.autograde import autograde
from wagamama.manual_grading import (
    PAGE,
    GradingPage,
    Question,
    answers,
    copy_rubrics,
    find_cohort,
    grading_page,
    install,
    load_rubric,
    questions,
    read_answer,
    remaining,
    save_grade,
)
from wagamama.release import release
from wagamama.roster import import_roster
from wagamama.status import status

A = "ex01_wagamama"
AUTO = 8.0  # the model answers' autograded points; the written reason is worth 3 more
COHORT = "saiten-test"
NAMES = {"u01": "山田 花子", "u02": "佐藤 美咲", "u03": "鈴木 洋子", "u04": "高橋 さくら", "u05": "田中 由美"}
REASONS = {
    "u01": "毎週の習い事の迎えの時間が週によってちがい、4月7日には子どもを30分待たせました。家族みんなが困っています。",
    "u02": "迎えの時間をよくまちがえるので、いちばん点数が高いこれにしました。",
    "u03": "送り迎えアプリを作りたい。",
    "u04": 'ごみの日をよく忘れます。<b>太字</b><img src="x" onerror="document.title=\'XSS\'">',
}


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    home = tmp_path_factory.mktemp("saiten") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        c = create_cohort(COHORT, "wagamama-lab", "小山市 ワガママLab 採点の確かめ", "小山市")
        roster = home / "名簿.csv"
        roster.write_text("ID,氏名\n" + "".join(f"{s},{n}\n" for s, n in NAMES.items()), encoding="utf-8")
        import_roster(c, roster)
        release(c, [A])
        for sid in NAMES:
            case = Case(sid, "", {"reason": REASONS[sid]}, {}) if sid in REASONS else load_cases(A)["blank"]
            place_collected(c, A, sid, {f"{A}.ipynb": filled(c, A, case)}, "2026-05-01 10:00:00.000000 JST")
        outcomes = autograde(c, [A], jobs=2)
        assert sorted(o.status for o in outcomes) == ["graded"] + ["needs_manual"] * 4, outcomes
        yield c


@pytest.fixture
def fresh(cohort):
    """Every written answer back to 'waiting for a grade', as autograde left it."""
    with cohort.gradebook() as gb:
        for sid in NAMES:
            grade = gb.find_grade("reason", A, A, sid)
            comment = gb.find_comment("reason", A, A, sid)
            grade.manual_score, comment.manual_comment = None, None
            grade.needs_manual_grade = grade.auto_score is None
        gb.db.commit()
    return cohort


def reason(cohort) -> Question:
    (q,) = questions(cohort, A)
    return q


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


# --- data --------------------------------------------------------------------------------------------

def test_the_written_question_of_an_assignment_is_found_with_its_heading(cohort):
    q = reason(cohort)
    assert (q.notebook, q.cell, q.max_score) == (A, "reason", 3.0)
    assert q.title == "5. 選んだ理由を書く（3点・講師が読みます）"
    assert "2〜3 文で書きます" in q.prompt and "BEGIN SOLUTION" not in q.prompt
    assert questions(cohort, "ex02_yusen") == []  # not generated in this cohort: nothing to grade


def test_answers_with_names_are_the_submitted_text_in_id_order(fresh):
    items = answers(fresh, reason(fresh), show_names=True)
    assert [a.student for a in items] == ["u01", "u02", "u03", "u04", "u05"]
    assert [a.label for a in items] == [f"{NAMES[s]}（{s}）" for s in NAMES]
    by_id = {a.student: a for a in items}
    for sid, text in REASONS.items():
        assert by_id[sid].text == text and by_id[sid].problem == "" and by_id[sid].needs_manual
        assert by_id[sid].manual_score is None and by_id[sid].auto_score is None
    # u05 handed in the released notebook: nbgrader gave the untouched answer 0 points, nobody has to read it
    blank = by_id["u05"]
    assert blank.needs_manual is False and blank.auto_score == 0 and "ここに答えを書きます" in blank.text


def test_hidden_names_are_numbered_in_a_fixed_order_that_is_not_the_roster(fresh):
    q = reason(fresh)
    hidden = answers(fresh, q, show_names=False)
    assert [a.label for a in hidden] == [f"受講者{i}" for i in range(1, 6)]
    assert sorted(a.student for a in hidden) == sorted(NAMES)
    assert [a.student for a in answers(fresh, q, show_names=False)] == [a.student for a in hidden]  # stable
    assert [a.student for a in hidden] != sorted(NAMES)  # shuffled by a hash of cohort, assignment and learner
    assert all(a.text == (REASONS.get(a.student) or a.text) for a in hidden)


def test_the_page_sends_no_name_or_id_to_the_browser_when_names_are_hidden(fresh):
    """Everything the widgets hold (what Voilà sends to the browser), for every answer, is searched for names and IDs."""
    import ipywidgets as w

    page = GradingPage(fresh)

    def texts(widget):
        yield from (str(getattr(widget, k, "")) for k in ("value", "description", "placeholder", "tooltip"))
        yield from (str(label) for label in getattr(widget, "_options_labels", ()))
        yield from (str(t) for t in getattr(widget, "titles", ()))
        for child in getattr(widget, "children", ()):
            if isinstance(child, w.Widget):
                yield from texts(child)

    shown = []
    for i in range(len(page.items)):
        page._go(i)
        shown.append("\n".join(texts(page.root)))
    everything = "\n".join(shown)
    assert "受講者5" in everything and "5. 選んだ理由を書く" in everything and "3点 具体的に伝わる" in everything
    for sid, name in NAMES.items():
        assert name not in everything and sid not in everything
    assert '<img src="x"' not in everything and "&lt;b&gt;太字&lt;/b&gt;&lt;img src=&quot;x&quot;" in everything
    page.names.value = True
    assert f"{NAMES['u01']}（u01）" in "\n".join(texts(page.root))


def test_rubric_is_read_from_the_cohort_copy_which_may_be_edited(cohort):
    copy = cohort.path / "rubrics" / f"{A}.yaml"
    assert copy.read_bytes() == (REPO / "grading" / "rubrics" / f"{A}.yaml").read_bytes()
    rubric = load_rubric(cohort, A, "reason")
    assert [lv.score for lv in rubric.levels] == [3, 2, 1, 0] and rubric.points == 3
    assert rubric.levels[0].label == "具体的に伝わる" and rubric.path == copy
    assert all(lv.description and lv.comment for lv in rubric.levels) and rubric.tips
    assert load_rubric(cohort, A, "diary") is None
    original = copy.read_text(encoding="utf-8")
    try:
        copy.write_text(original.replace("具体的に伝わる", "よく伝わる"), encoding="utf-8")
        assert load_rubric(cohort, A, "reason").levels[0].label == "よく伝わる"
        assert copy_rubrics(cohort) == [] and "よく伝わる" in copy.read_text(encoding="utf-8")  # not overwritten
    finally:
        copy.write_text(original, encoding="utf-8")


def test_a_broken_rubric_is_named(cohort, tmp_path):
    bad = cohort.path / "rubrics" / f"{A}.broken.yaml"
    try:
        bad.write_text(yaml.safe_dump({"assignment": A, "cell": "x", "levels": {"3": "only a string"}}), encoding="utf-8")
        with pytest.raises(WagamamaError, match=r"ex01_wagamama\.broken\.yaml の形が読めません"):
            load_rubric(cohort, A, "x")
    finally:
        bad.unlink()


def test_saving_twice_overwrites_only_that_grade(fresh):
    q = reason(fresh)
    before = gradebook_rows(fresh)
    left = remaining(fresh, q)
    assert (left.question, left.question_total, left.assignment, left.other) == (4, 5, 4, 0)

    save_grade(fresh, q, "u02", 2, "「いつ」困っているかを足しましょう。\n")
    after = gradebook_rows(fresh)
    changed = {k for k in after if after[k] != before[k]}
    assert changed == {("u02", "grade", "reason"), ("u02", "comment", "reason")}
    assert after[("u02", "grade", "reason")] == (None, 2.0, False)
    assert after[("u02", "comment", "reason")][1] == "「いつ」困っているかを足しましょう。"
    assert remaining(fresh, q).question == 3 and remaining(fresh, q).assignment == 3

    save_grade(fresh, q, "u02", 1.5, "書き直しました。")
    again = gradebook_rows(fresh)
    assert {k for k in again if again[k] != after[k]} == {("u02", "grade", "reason"), ("u02", "comment", "reason")}
    assert again[("u02", "grade", "reason")] == (None, 1.5, False)
    assert again[("u02", "comment", "reason")][1] == "書き直しました。"
    with fresh.gradebook() as gb:
        sub = gb.find_submission(A, "u02")
        assert sub.score == AUTO + 1.5 and sub.needs_manual_grade is False
    assert [a.manual_score for a in answers(fresh, q, True) if a.student == "u02"] == [1.5]


@pytest.mark.parametrize("cell, score, message", [
    ("diary_check", 3, "講師が採点する問題ではありません"),  # an autograder test: its points come from the tests
    ("diary", 1, "講師が採点する問題ではありません"),        # an answer cell without points
    ("nothing", 1, "講師が採点する問題ではありません"),
    ("reason", 4, "点数は 0 から 3 まで"),
    ("reason", -1, "点数は 0 から 3 まで"),
    ("reason", math.nan, "点数は 0 から 3 まで"),
    ("reason", "たくさん", "数ではありません"),
])
def test_the_page_cannot_write_a_grade_it_should_not(fresh, cell, score, message):
    before = gradebook_rows(fresh)
    q = Question(A, A, cell, 3.0, "", "")
    with pytest.raises(WagamamaError, match=message):
        save_grade(fresh, q, "u01", score, "コメント")
    assert gradebook_rows(fresh) == before


def test_a_linked_answer_file_is_not_followed(fresh):
    q = reason(fresh)
    notebook = fresh.autograded_dir("u04", A) / f"{A}.ipynb"
    aside = notebook.with_suffix(".aside")
    notebook.rename(aside)
    try:
        notebook.symlink_to(fresh.autograded_dir("u01", A) / f"{A}.ipynb")
        text, problem = read_answer(fresh, "u04", q)
        assert text == "" and "リンク" in problem
        notebook.unlink()
        notebook.write_text('{"cells": "not a list"}', encoding="utf-8")
        assert read_answer(fresh, "u04", q) == ("", "採点済みのノートがこわれていて読めません。")
    finally:
        notebook.unlink()
        aside.rename(notebook)
    assert read_answer(fresh, "u04", q) == (REASONS["u04"], "")


def test_the_page_travels_with_the_cohort_and_finds_it(cohort):
    page = cohort.path / PAGE
    assert page.is_file() and (cohort.path / "rubrics" / "ex03_mondai.yaml").is_file()
    nb = nbformat.read(page, as_version=4)
    assert "grading_page()" in nb.cells[0].source and not nb.cells[0].outputs
    page.write_text("edited", encoding="utf-8")
    assert install(cohort) == page and "grading_page()" in page.read_text(encoding="utf-8")
    (cohort.path / "source" / "sub").mkdir(exist_ok=True)
    assert find_cohort(cohort.path / "source" / "sub").path == cohort.path
    with pytest.raises(WagamamaError, match="講座のフォルダが見つかりません"):
        find_cohort(REPO / "tests")
    assert "講座のフォルダが見つかりません" in grading_page(REPO / "tests").value


def test_a_cohort_with_nothing_to_grade_says_so(cohort, capsys):
    other = create_cohort("saiten-empty", "oneday", "まだ提出のない講座")
    assert "講師が採点する答えは、まだありません" in grading_page(other.path).children[1].value
    assert main(["grade", "no-such-cohort", "--no-browser"]) == 1
    assert "講座「no-such-cohort」が見つかりません" in capsys.readouterr().err


# --- the page in a real browser ----------------------------------------------------------------------

SCORES = {"u01": 3, "u02": 2, "u03": 1, "u04": 0}
TYPED = {"u01": "いつ、だれが困っているかが、よく分かります。", "u03": "だれが困っているのかを書いてみましょう。",
         "u04": "ごみの日のことを、もう少しくわしく書きましょう。"}  # u02 keeps the rubric's suggested comment


def _no_redirect_status(url: str) -> int:
    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    try:
        return urllib.request.build_opener(Stop).open(url, timeout=10).status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_grade_three_answers_in_the_browser(fresh):
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium", "sudo make system-deps")
    from playwright.sync_api import expect, sync_playwright

    cohort = fresh
    rubric = load_rubric(cohort, A, "reason")
    order = [a.student for a in answers(cohort, reason(cohort), show_names=False)]  # who 受講者N is
    label_of = {sid: f"受講者{i}" for i, sid in enumerate(order, 1)}
    student_of = {v: k for k, v in label_of.items()}

    port = free_port()
    env = dict(os.environ, WAGAMAMA_HOME=str(cohort.path.parents[1]))
    proc = subprocess.Popen([sys.executable, "-m", "wagamama.cli", "grade", COHORT, "--port", str(port), "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        printed = []
        deadline = time.monotonic() + 90
        while not (printed and printed[-1].startswith("http://")) and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            printed.append(line.rstrip("\n"))
        url = printed[-1]
        assert re.fullmatch(rf"http://127\.0\.0\.1:{port}/\?token=[0-9a-f]{{32}}", url), printed
        assert "文章の答えを採点するページ" in printed[0] and "小山市 ワガママLab 採点の確かめ" in printed[0]
        assert _no_redirect_status(f"http://127.0.0.1:{port}/") in (302, 403)  # no page without the token

        seen, shown_html = [], []
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"])
            page = browser.new_page()
            page.on("dialog", lambda d: pytest.fail(f"a dialog opened: {d.message}"))
            page.goto(url)
            page.get_by_text("文章の答えの採点").first.wait_for(timeout=90_000)
            page.get_by_role("button", name="3点 具体的に伝わる").wait_for(timeout=30_000)
            assert page.get_by_text("この問題: 採点待ち 4 件（答え 5 件）。この課題: 採点待ち 4 件。").is_visible()
            for level in rubric.levels:
                assert page.get_by_text(level.description).first.is_visible()
            body = page.inner_text("body")
            assert all(name not in body and sid not in body for sid, name in NAMES.items())
            comment = page.get_by_placeholder("受講者へのコメントを書きます。フィードバックに出ます。")

            for _ in range(3):
                label = page.locator(".wagamama-learner").inner_text()
                sid = student_of[label]
                seen.append(sid)
                shown_html.append(page.locator(".wagamama-answer").inner_html())
                level = next(lv for lv in rubric.levels if lv.score == SCORES[sid])
                page.get_by_role("button", name=f"{SCORES[sid]}点 {level.label}").click()
                expect(comment).to_have_value(level.comment)  # the rubric's suggested comment for the level
                if sid in TYPED:
                    comment.fill(TYPED[sid])
                page.get_by_role("button", name="保存して次へ").click()
                page.get_by_text(f"{label} に {SCORES[sid]}点を保存しました。").wait_for(timeout=30_000)

            page.get_by_text("この問題: 採点待ち 1 件（答え 5 件）。この課題: 採点待ち 1 件。").wait_for(timeout=10_000)
            last = student_of[page.locator(".wagamama-learner").inner_text()]  # the one still waiting comes next
            shown_html.append(page.locator(".wagamama-answer").inner_html())
            assert last not in seen and last != "u05"
            assert page.evaluate("document.title") != "XSS" and page.locator('img[src="x"]').count() == 0
            u04 = shown_html[(seen + [last]).index("u04")]
            assert "&lt;b&gt;太字&lt;/b&gt;&lt;img" in u04  # the answer is shown as text, never as HTML

            page.get_by_label("名前を表示する").check()
            page.locator(".wagamama-learner", has_text=f"{NAMES[last]}（{last}）").wait_for(timeout=10_000)
            page.screenshot(path=cohort.path / "logs" / "saiten.png", full_page=True)
            browser.close()
    finally:
        proc.send_signal(2)  # Ctrl+C
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "採点のページを止めました" in out
    assert _listening(port, want=False, seconds=15)  # Voilà stopped with it

    with cohort.gradebook() as gb:
        for sid in seen:
            grade, note = gb.find_grade("reason", A, A, sid), gb.find_comment("reason", A, A, sid)
            level = next(lv for lv in rubric.levels if lv.score == SCORES[sid])
            assert (grade.manual_score, grade.needs_manual_grade) == (SCORES[sid], False)
            assert note.manual_comment == TYPED.get(sid, level.comment)
            assert gb.find_submission(A, sid).score == AUTO + SCORES[sid]
        assert gb.find_grade("reason", A, A, last).manual_score is None
        assert gb.find_submission(A, last).needs_manual_grade

    st = status(cohort)  # what `wagamama status` shows
    for sid in seen:
        assert (st.cells[(sid, A)].state, st.cells[(sid, A)].score) == ("graded", AUTO + SCORES[sid])
    assert st.cells[(last, A)].state == "needs_manual"


@pytest.mark.slow
def test_the_page_on_the_cohorts_jupyter_server_as_the_hub_serves_it(fresh, tmp_path):
    """The hub's formgrader service is a Jupyter server as grader-<id> with root_dir = the cohort folder at
    /services/<id>/ (hub/config.py): the page opens there through Voilà's server extension and in JupyterLab."""
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium", "sudo make system-deps")
    from playwright.sync_api import expect, sync_playwright

    from wagamama.hub.config import config_files

    grader = tmp_path / "grader"  # the grader service's JUPYTER_CONFIG_PATH, as the hub writes it
    for name, text in config_files(str(fresh.path.parents[1] / "exchange"))["grader"].items():
        (grader / name).parent.mkdir(parents=True, exist_ok=True)
        (grader / name).write_text(text, encoding="utf-8")
    port, token, base = free_port(), "t0ken", f"/services/{COHORT}/"
    lab = shutil.which("jupyter-lab", path=os.path.dirname(sys.executable))
    args = [lab, f"--ServerApp.root_dir={fresh.path}", f"--ServerApp.base_url={base}", "--ServerApp.ip=127.0.0.1",
            f"--ServerApp.port={port}", "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", "--no-browser",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")
    with open(tmp_path / "server.log", "w") as log:
        server = subprocess.Popen(args, cwd=fresh.path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                  env=dict(os.environ, JUPYTER_CONFIG_PATH=str(grader)))
    try:
        assert _listening(port, want=True), (tmp_path / "server.log").read_text()
        rubric = load_rubric(fresh, A, "reason")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, headless=True, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-sync"])
            page = browser.new_page(viewport={"width": 1200, "height": 1000})
            page.goto(f"http://127.0.0.1:{port}{base}voila/render/{PAGE}?token={token}")
            page.get_by_role("button", name="2点 おおよそ伝わる").click(timeout=90_000)
            expect(page.get_by_placeholder("受講者へのコメントを書きます。フィードバックに出ます。")).to_have_value(
                rubric.levels[1].comment)
            assert page.locator(".wagamama-learner").inner_text().startswith("受講者")

            page.goto(f"http://127.0.0.1:{port}{base}lab/tree/{PAGE}?token={token}")
            # the notebook's kernel is ready (JupyterLab's toolbar says so) before the cell is run with Shift+Enter
            page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(timeout=90_000)
            # Shift+Enter is pressed again while the cell shows no run ("[ ]:"), for a key that reached the editor
            # before it was ready (a fresh clone's first JupyterLab start); a run in progress ("[*]:") is waited on
            button, prompt = page.get_by_role("button", name="保存して次へ"), page.locator(".jp-InputPrompt").first
            deadline = time.monotonic() + 180
            try:
                while not button.is_visible():
                    assert time.monotonic() < deadline, (prompt.inner_text(), (tmp_path / "server.log").read_text())
                    if not re.search(r"\[[0-9*]+\]", prompt.inner_text()):
                        page.locator(".jp-Cell .cm-content").first.click()
                        page.keyboard.press("Shift+Enter")
                    page.wait_for_timeout(3000)
            finally:
                page.screenshot(path=tmp_path / "lab.png")
            assert page.get_by_text("この問題: 採点待ち 4 件（答え 5 件）").first.is_visible()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=30)


def _listening(port: int, want: bool, seconds: float = 60) -> bool:
    """Wait until something listens on the port (want=True) or nothing does; return whether it came to that."""
    import socket

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if (s.connect_ex(("127.0.0.1", port)) == 0) == want:
                return True
        time.sleep(0.3)
    return False
