"""Every check answers in Japanese, in every state of its answer cell, and never passes a worked example.

A learner who types with a Japanese IME is played in a real kernel (the venv's, with the extension learners
have), one kernel per notebook: every lesson, every assignment as nbgrader releases it to a cohort, and every
self-study copy. For each answer cell, in order, the checks below it are run

- before the answer cell has run at all, and with its starter left (None, ..., raise NotImplementedError);
- after the model answer, then with each slip typed into it (a bare word, 第2・第4水曜, ４, 、, ：, “ ”, ＂,
  a full-width space, ¥n), so that a stale right value sits behind the slip; with the starter's raise line
  left under a right answer;
- with each worked example above it copied in (as it is, renamed to the name asked for, or put inside the
  function's def line);
- and with the model answer again, which passes every check (tests/lesson_answers.yaml for the lessons).

Every reply is Japanese with a verdict (⭕ ✏️ ❌ ⚠️), no traceback, no English error line alone, none of the
check's own code; after an answer cell that stopped with an error, never ⭕; a worked example never passes.
"""

from __future__ import annotations

import os
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest
from learner_play import (
    FIX_WORDS,
    Kernel,
    copies,
    defined_names,
    lesson_answers,
    parts_of,
    problems_of_reply,
    slipped,
)

from wagamama.cases import model_answers

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]  # the first test plays every notebook (2–4 minutes on 2 cores)

REPO = Path(__file__).resolve().parents[1]
LESSONS = sorted(p for p in (REPO / "curriculum").glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)
ASSIGNMENTS = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
NOTEBOOKS = [("lesson", p.stem) for p in LESSONS] + [(kind, a) for kind in ("released", "selfstudy") for a in ASSIGNMENTS]

# Answers the learner chooses freely, where the worked example is one right answer among many.
EXAMPLE_IS_AN_ANSWER = {
    ("ex00_hajimete", "yobina"): "呼び名は自由です。例の「さくら」も、正しい呼び名の1つです。",
}


@dataclass
class Played:
    problems: list[str] = field(default_factory=list)  # replies a learner should not read
    examples_passed: list[str] = field(default_factory=list)  # worked examples a check passed
    models_failed: list[str] = field(default_factory=list)  # model answers a check did not pass
    misread: list[str] = field(default_factory=list)  # slips whose replies do not say what to fix
    replies: int = 0
    examples: int = 0


@pytest.fixture(scope="module")
def folders(tmp_path_factory, request):
    """The lessons (a copy of curriculum/, data and all) and the assignments as learners get them; the notebooks
    the selected tests read are played at once, two at a time."""
    from wagamama.selfstudy import build

    root = tmp_path_factory.mktemp("learner")
    shutil.copytree(REPO / "curriculum", root / "curriculum")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(root / "home"))
        build(root / "selfstudy", released=root / "released")
    # Two learners at a time (a kernel each): the plays wait on their kernels more than they compute.
    wanted = {(item.callspec.params["kind"], item.callspec.params["name"]) for item in request.session.items
              if item.module is request.module and "kind" in getattr(getattr(item, "callspec", None), "params", {})}
    if "test_worked_examples_are_found_and_copied" in {item.originalname for item in request.session.items}:
        wanted |= {kn for kn in NOTEBOOKS if kn[0] != "released"}
    with ThreadPoolExecutor(max_workers=int(os.environ.get("WAGAMAMA_PLAY_WORKERS", "2"))) as pool:
        list(pool.map(lambda kn: play(root, *kn), [kn for kn in NOTEBOOKS if kn in wanted]))
    return root


_played: dict[tuple[str, str], Played] = {}


def notebook_path(folders: Path, kind: str, name: str) -> Path:
    if kind == "lesson":
        return folders / "curriculum" / name / f"{name}.ipynb"
    return folders / kind / name / f"{name}.ipynb"


def play(folders: Path, kind: str, name: str) -> Played:
    """Play one notebook once (the tests below read the same play)."""
    if (kind, name) in _played:
        return _played[(kind, name)]
    path = notebook_path(folders, kind, name)
    nb = nbformat.read(path, as_version=4)
    if kind == "lesson":
        models = lesson_answers().get(name, {})
    else:
        models = model_answers(REPO / "exercises" / name / f"{name}.ipynb")
    parts = parts_of(nb, models)
    assert parts, f"{name}: no answer cell with a check below it"
    by_answer = {p.answer: p for p in parts}
    checks = {c for p in parts for c in p.checks}
    out = Played()
    with Kernel(path.parent, progress=folders / f"progress-{kind}-{name}.json") as kernel:

        def run_checks(part, state: str, answer_source: str, answer_failed: bool) -> list:
            replies = []
            for c in part.checks:
                check = nb.cells[c]
                reply = kernel.run(check.source)
                out.replies += 1
                where = f"{name} [{nb.cells[part.answer].id} → {check.id}] {state}"
                for problem in problems_of_reply(reply.text, check.source, answer_source):
                    out.problems.append(f"{where}: {problem}\n{reply.text[-700:]}")
                if answer_failed and "⭕" in reply.text:
                    out.problems.append(f"{where}: ⭕ after the answer cell stopped with an error\n{reply.text[-700:]}")
                replies.append(reply)
            return replies

        def answer(part, state: str, source: str, said: bool = False):
            ran = kernel.run(source)
            verdict = ran.text.lstrip().startswith(("❌", "✏️", "⚠️"))  # a check's verdict shown in the cell
            if ran.error and not verdict and "💡" not in ran.text:
                out.problems.append(f"{name} [{nb.cells[part.answer].id}] {state}: the answer cell's error has no "
                                    f"Japanese explanation\n{ran.text[-500:]}")
            failed = ran.error and not verdict
            return (failed, ran.text) if said else failed

        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code" or i in checks:
                continue
            if i not in by_answer:
                kernel.run(cell.source)
                continue
            part = by_answer[i]
            run_checks(part, "答えのセルを実行する前", "", False)
            run_checks(part, "最初のまま", cell.source, answer(part, "最初のまま", cell.source))
            base = part.model or cell.source
            if part.model:
                answer(part, "見本の答え", part.model)
                run_checks(part, "見本の答え", part.model, False)
            for slip, source in slipped(base).items():
                failed, text = answer(part, slip, source, said=True)
                replies = run_checks(part, slip, source, failed)
                said = text + "\n".join(r.text for r in replies)
                if failed and not any(word in said for word in FIX_WORDS[slip]):
                    first = next((line for line in said.splitlines() if line.startswith(("💡", "❌", "✏️"))), "")
                    named = re.search(r"ことば「(.+?)」", first)
                    why = "" if not named or not any("#" in line and named.group(1) in line.split("#", 1)[1]
                                                     for line in source.splitlines()) \
                        else " (the word named is in a # comment: wagamama.explain should not read comments)"
                    out.misread.append(f"{name} [{cell.id}] {slip}{why}: {first[:160]}\n    "
                                       f"{source.splitlines()[0][:100]}")
            if part.model and kind != "lesson":
                left = part.model + "\nraise NotImplementedError()"
                for reply in run_checks(part, "raise の行が残ったまま", left, answer(part, "raise の行", left)):
                    if "✏️" not in reply.text:
                        out.problems.append(f"{name} [{cell.id}] raise の行が残ったまま: not ✏️\n{reply.text[-500:]}")
            names = defined_names(base)
            for example in part.examples if kind != "released" else []:
                if (name, cell.id) in EXAMPLE_IS_AN_ANSWER:
                    continue
                for how, source in copies(example, base).items():
                    kernel.run(f"for _name in {names!r}:\n    globals().pop(_name, None)")
                    failed = answer(part, f"例を写す（{how}）", source)
                    replies = run_checks(part, f"例を写す（{how}）", source, failed)
                    out.examples += 1
                    if replies and all(not r.error for r in replies):
                        out.examples_passed.append(f"{name} [{cell.id}] {how}:\n{source}\n→ {replies[-1].text[-300:]}")
            if part.model:
                answer(part, "見本の答え（もう一度）", part.model)
                for c, reply in zip(part.checks, run_checks(part, "見本の答え（もう一度）", part.model, False), strict=True):
                    if reply.error:
                        out.models_failed.append(f"{name} [{cell.id} → {nb.cells[c].id}]\n{reply.text[-500:]}")
    _played[(kind, name)] = out
    return out


@pytest.mark.parametrize("kind, name", NOTEBOOKS, ids=[f"{k}-{n}" for k, n in NOTEBOOKS])
def test_every_check_answers_in_japanese_whatever_the_learner_typed(folders, kind, name):
    played = play(folders, kind, name)
    assert played.replies > 0
    assert not played.problems, f"{len(played.problems)} replies:\n\n" + "\n\n".join(played.problems[:8])


@pytest.mark.parametrize("kind, name", NOTEBOOKS, ids=[f"{k}-{n}" for k, n in NOTEBOOKS])
def test_after_a_slip_the_learner_reads_what_to_fix(folders, kind, name):
    """The reply names the slip: 全角 for ４, 読点 for 、, 引用符 for “ ”, and so on (not another cause)."""
    played = play(folders, kind, name)
    assert not played.misread, f"{len(played.misread)} slips:\n" + "\n".join(played.misread[:12])


@pytest.mark.parametrize("kind, name", NOTEBOOKS, ids=[f"{k}-{n}" for k, n in NOTEBOOKS])
def test_a_worked_example_copied_into_the_answer_cell_never_passes(folders, kind, name):
    if kind == "released":
        pytest.skip("the same cells as the self-study copy, played there")
    played = play(folders, kind, name)
    assert not played.examples_passed, "\n\n".join(played.examples_passed)


@pytest.mark.parametrize("kind, name", NOTEBOOKS, ids=[f"{k}-{n}" for k, n in NOTEBOOKS])
def test_the_model_answers_pass_every_check(folders, kind, name):
    played = play(folders, kind, name)
    assert not played.models_failed, "\n\n".join(played.models_failed)


def test_the_lesson_answers_are_for_cells_that_exist():
    for lesson, answers in lesson_answers().items():
        nb = nbformat.read(REPO / "curriculum" / lesson / f"{lesson}.ipynb", as_version=4)
        ids = {c.id for c in nb.cells if c.cell_type == "code"}
        assert set(answers) <= ids, f"{lesson}: {set(answers) - ids}"


def test_worked_examples_are_found_and_copied(folders):
    """The example test is not empty: examples above answer cells are found in lessons and assignments."""
    counted = {(k, n): play(folders, k, n).examples for k, n in NOTEBOOKS if k != "released"}
    assert sum(counted.values()) > 50
    for name in ("02_yusen", "04_idea"):
        assert counted[("lesson", name)] > 5, counted
    assert counted[("selfstudy", "ex04_idea")] > 3, counted


MINE = ["ex00_hajimete", "ex01_wagamama", "ex02_yusen", "ex03_mondai", "ex04_idea", "ex05_sekkei", "ex07_hozon",
        "ex08_machi"]


@pytest.mark.parametrize("name", ASSIGNMENTS)
def test_self_study_checks_keep_their_check_line_first_and_their_hints_add_something(folders, name):
    import json

    nb = nbformat.read(notebook_path(folders, "selfstudy", name), as_version=4)
    hints = json.loads((folders / "selfstudy" / name / ".hints.json").read_text(encoding="utf-8"))
    marked = [c for c in nb.cells if "progress.part(" in c.source]
    assert len(marked) == len(hints)
    for cell in marked:
        first, second = cell.source.split("\n")[:2]
        assert first.startswith("# チェック") and second.startswith("from wagamama import progress; progress.part(")
    for check, h in hints.items():
        assert h["title"] and not h["title"].endswith("_check"), (check, h["title"])
        assert "___" in h["shape"], (check, h["shape"])
        if name in MINE:  # the assignments of this curriculum name a mistake and a section for every part
            assert h["mistakes"] and all(m["note"] and m["says"] for m in h["mistakes"]), check
            assert h["reread"].startswith("レッスン「") and "）の「" in h["reread"], (check, h["reread"])


def test_run_all_then_hint_talks_about_the_last_check_even_when_the_checks_refused(folders, tmp_path):
    """Run All on a fresh self-study copy: every answer cell stops (raise NotImplementedError), every check refuses
    to run, and still each is recorded as not attempted, and hint(1) is about the last one."""
    import json

    from nbclient import NotebookClient

    path = notebook_path(folders, "selfstudy", "ex02_yusen")
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("hint(1)"))
    progress_file = tmp_path / "progress.json"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_PROGRESS", str(progress_file))
        NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    recorded = json.loads(progress_file.read_text(encoding="utf-8"))["ex02_yusen"]
    assert {k: v["state"] for k, v in recorded.items()} == {c: "not attempted" for c in
                                                            ("tensu_list_check", "top3_check", "heikin_check", "onaji_check")}
    said = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "ヒント1「いちばん大きい点数のワガママを、全部取り出す」" in said and "よくあるまちがい" in said
