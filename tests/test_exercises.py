"""Exercise integrity, for every assignment: real nbgrader, real exchange, typical answers.

Each case of grading/cases/<assignment>.yaml is handed in by its own learner; the source notebook
itself is handed in too. Then: the source scores full marks, the blank release scores zero without
an error, each wrong answer loses exactly the points its case says and gets the hint that names
the mistake, and hidden tests appear neither in the release nor in the feedback.
"""

import html
import re
from pathlib import Path

import nbformat
import pytest
import yaml

from wagamama.cases import hand_in, load_cases
from wagamama.cohort import create_cohort
from wagamama.grading.autograde import autograde
from wagamama.grading.collect import collect
from wagamama.grading.feedback import feedback
from wagamama.programs import load_programs
from wagamama.release import release
from wagamama.roster import import_roster

# One fixture grades every case of every assignment (about 250 notebooks on 2 cores): more than the default 600 s.
pytestmark = pytest.mark.timeout(1800)

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
CASES = [(a, name) for a in ASSIGNMENTS
         for name in yaml.safe_load((REPO / "grading" / "cases" / f"{a}.yaml").read_text(encoding="utf-8"))["cases"]]


def learner_id(case: str) -> str:
    return "c-" + case.replace("_", "-")


def cohorts_for(assignments: list[str]) -> dict[str, list[str]]:
    """Program → the assignments graded in its cohort: each assignment once, in the first program that has it
    (the core track first, then the longer tracks for their own modules)."""
    programs = load_programs()
    order = ["wagamama-lab"] + [p for p in programs if p != "wagamama-lab"]
    left, plan = list(assignments), {}
    for pid in order:
        mine = [a for a in programs[pid].assignments if a in left]
        if mine:
            plan[pid] = mine
            left = [a for a in left if a not in mine]
    assert not left, f"every exercise must belong to a program: {left}"
    return plan


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One cohort per program in which every case of its assignments was handed in, collected, graded, fed back.

    Yields (assignment → its cohort, (assignment, learner) → outcome)."""
    home = tmp_path_factory.mktemp("integrity")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        names = sorted({c for _, c in CASES} | {"source"})
        roster = home / "roster.csv"
        roster.write_text("id,氏名\n" + "".join(f"{learner_id(n)},{n}\n" for n in names), encoding="utf-8")
        by_assignment, outcomes = {}, {}
        for pid, assignments in cohorts_for(ASSIGNMENTS).items():
            cohort = create_cohort(f"integrity-{pid}", pid, "採点の確かめ")
            import_roster(cohort, roster)
            release(cohort, assignments)
            for a in assignments:
                by_assignment[a] = cohort
                cases = load_cases(a)
                for name in ["source"] + list(cases):
                    sid = learner_id(name)
                    hand_in(cohort, a, sid, cases.get(name), home / "learners" / pid / sid)
            collect(cohort, assignments)
            outcomes |= {(o.assignment, o.student): o for o in autograde(cohort, assignments, jobs=2)}
            feedback(cohort, assignments, partial=True)
        yield by_assignment, outcomes


def grades(cohort, a, sid) -> dict[str, float]:
    with cohort.gradebook() as gb:
        sub = gb.find_submission(a, sid)
        return {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"}


def cell_output(cohort, a, sid, grade_id) -> str:
    nb = nbformat.read(cohort.autograded_dir(sid, a) / f"{a}.ipynb", as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(o.get("text", "") + o.get("evalue", "") for o in cell.get("outputs", []))


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_source_notebook_scores_full_marks(graded, assignment):
    cohorts, outcomes = graded
    cohort = cohorts[assignment]
    o = outcomes[(assignment, learner_id("source"))]
    assert o.status in ("graded", "needs_manual"), o.reason
    with cohort.gradebook() as gb:
        max_auto = gb.find_submission(assignment, learner_id("source")).max_code_score
    assert sum(grades(cohort, assignment, learner_id("source")).values()) == max_auto > 0


@pytest.mark.parametrize("assignment, case", CASES)
def test_case_scores_exactly_as_expected(graded, assignment, case):
    cohorts, outcomes = graded
    cohort = cohorts[assignment]
    sid = learner_id(case)
    c = load_cases(assignment)[case]
    assert outcomes[(assignment, sid)].status != "failed", outcomes[(assignment, sid)].reason
    assert grades(cohort, assignment, sid) == pytest.approx(c.expect)
    for grade_id, words in c.hints.items():
        assert words in cell_output(cohort, assignment, sid, grade_id)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_autograded_part_has_two_realistic_wrong_answers(assignment):
    nb = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    parts = {c.metadata["nbgrader"]["grade_id"]: c.metadata["nbgrader"]["points"] for c in nb.cells
             if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"}
    cases = load_cases(assignment)
    assert set(cases["model"].expect) == set(parts) and cases["model"].auto_score == sum(parts.values())
    assert all(v == 0 for v in cases["blank"].expect.values())
    for part, points in parts.items():
        wrong = [c for c in cases.values() if not c.blank and c.expect[part] < points and part in c.hints]
        assert len(wrong) >= 2, f"{part}: needs two wrong answers that lose its points, with a hint"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_function_parts_have_hidden_tests(assignment):
    nb = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("solution")}
    tests = [c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    for grade_id, src in solutions.items():
        for fn in re.findall(r"^def (\w+)\(", src, re.M):  # called by a hidden test, or pressed as a button's handler
            assert any((f"expect_call({fn}," in t.split("### BEGIN HIDDEN TESTS")[-1]
                        or f'"{fn}"' in t.split("### BEGIN HIDDEN TESTS")[-1]) and "BEGIN HIDDEN TESTS" in t
                       for t in tests), f"{grade_id}: function {fn} has no hidden test"


def hidden_lines(assignment) -> list[str]:
    nb = nbformat.read(REPO / "exercises" / assignment / f"{assignment}.ipynb", as_version=4)
    lines = []
    for c in nb.cells:
        for block in re.findall(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS", c.source, re.S):
            lines += [line.strip() for line in block.splitlines() if len(line.strip()) > 12]
    return lines


def visible_text(path: Path) -> str:
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".html":
        text = html.unescape(re.sub(r"<[^>]+>", "", text))
    else:  # a notebook: its sources and outputs as they would be shown
        nb = nbformat.reads(text, as_version=4)
        text = "\n".join(c.source + "".join(str(o) for o in c.get("outputs", [])) for c in nb.cells)
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_hidden_tests_absent_from_release_and_feedback(graded, assignment):
    cohorts, _ = graded
    cohort = cohorts[assignment]
    lines = hidden_lines(assignment)
    assert lines, "the assignment has hidden tests"
    files = [cohort.path / "release" / assignment / f"{assignment}.ipynb"]
    files += sorted((cohort.path / "feedback").glob(f"*/{assignment}/*.html"))
    assert len(files) > 3
    for f in files:
        text = visible_text(f)
        for line in lines:
            assert re.sub(r"\s+", "", line) not in text, f"hidden test shown in {f}: {line}"
        assert "BEGINHIDDENTESTS" not in text and "hidden=True" not in text
