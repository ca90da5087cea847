"""Test cells the judge can run: every exercise passes the check, and a test written the old way stops
the release with the cell named and what to do (exercises/GUIDE.md)."""

import json
from pathlib import Path

import nbformat
import pytest

from wagamama.cohort import create_cohort
from wagamama.errors import WagamamaError
from wagamama.grading.authoring import problems
from wagamama.release import release

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(REPO.glob("exercises/*/*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.parent.name for p in NOTEBOOKS])
def test_every_exercise_is_written_for_the_judge(path):
    assert problems(nbformat.read(path, as_version=4)) == []


OLD_WAYS = {
    "globals": ('expect_call(globals()["tensu_list"], rei, expected=[12, 12, 4, 10, 5])', "globals は使えません"),
    "dunder": ("assert tensu_list.__code__.co_argcount == 1", "__code__"),
    "set-up helper": ("assert score(rei[0]) == 12", "準備のセルの関数 score"),
    "set-up data": ("assert len(MIHON) == 5", "準備のセルの MIHON"),
    "file": ('open("my_wagamama.json").read()', "learner_file"),
    "module": ("import os\nos.getcwd()", "モジュール os"),
    "ipython": ("get_ipython()", "get_ipython"),
}


@pytest.mark.parametrize("how", sorted(OLD_WAYS))
def test_a_test_written_the_old_way_stops_the_release(home, how):
    line, said = OLD_WAYS[how]
    cohort = create_cohort("authoring", "wagamama-lab", "テストの書き方")
    source = cohort.path / "source" / "ex02_yusen" / "ex02_yusen.ipynb"
    nb = json.loads(source.read_text(encoding="utf-8"))
    cell = next(c for c in nb["cells"] if c["metadata"].get("nbgrader", {}).get("grade_id") == "tensu_list_check")
    cell["source"] = "".join(cell["source"]) + "\n" + line + "\n"
    source.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(WagamamaError) as raised:
        release(cohort, ["ex02_yusen"])
    message = str(raised.value)
    assert "tensu_list_check" in message and said in message and "GUIDE.md" in message, message
    assert not (cohort.path / "release" / "ex02_yusen").exists()
