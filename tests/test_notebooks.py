"""Notebooks are code: committed clean, ids ASCII, lessons execute top to bottom."""

import json
import subprocess
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted(p for d in ("curriculum", "exercises", "binder") for p in (REPO / d).rglob("*.ipynb")
                   if ".ipynb_checkpoints" not in p.parts)
LESSONS = [p for p in NOTEBOOKS if p.is_relative_to(REPO / "curriculum")]


def test_there_are_notebooks():
    assert LESSONS and len(NOTEBOOKS) > len(LESSONS)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_ascii_ids(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        assert cell["id"].isascii()
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None, f"{path.name}: clear outputs ({cell['id']})"
    nbformat.validate(nbformat.reads(json.dumps(nb), as_version=4))


def test_git_tracks_no_notebook_with_outputs():
    files = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=REPO, capture_output=True, text=True).stdout.split()
    for f in files:
        nb = json.loads((REPO / f).read_text(encoding="utf-8"))
        assert not any(c.get("outputs") or c.get("execution_count") for c in nb["cells"] if c["cell_type"] == "code"), f


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_header_and_metadata(path):
    nb = nbformat.read(path, as_version=4)
    first, last = nb.cells[0].source, nb.cells[-1].source
    assert first.startswith("# ") and "所要時間" in first and "このノートで学ぶこと" in first
    assert "まとめ" in last
    meta = nb.metadata["wagamama"]
    assert meta["minutes"] > 0
    assert "dss_l" not in meta, "the DSS-L items of a lesson are in programs.yaml only (curriculum/dss_l.yaml ids)"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_executes_top_to_bottom(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=60, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [c for c in nb.cells if c.cell_type == "code" and any(o.output_type == "error" for o in c.outputs)]
    # Only cells marked raises-exception (errors shown on purpose, checks before an answer) may fail.
    unexpected = {c.id: "".join(o.get("evalue", "") for o in c.outputs)[:300] for c in errors
                  if "raises-exception" not in c.metadata.get("tags", [])}
    assert not unexpected, unexpected


def test_first_lesson_teaches_errors_and_question_zero(tmp_path):
    nb = nbformat.read(REPO / "curriculum" / "00_hajimete" / "00_hajimete.ipynb", as_version=4)
    NotebookClient(nb, timeout=30, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = {c.id: "\n".join(o.get("evalue", "") + o.get("text", "") for o in c.outputs) for c in nb.cells if c.cell_type == "code"}
    assert "U+3000" in out["error_space"] and "U+FF18" in out["ime_demo"]
    assert "unterminated string literal" in out["error_quote_code"]
    assert "まだ解答が書かれていません" in out["q0_check"]
    assert '数値が必要ですが、文字列 "８" が入っています' in out["fullwidth_demo"]
    # With the answer typed in, question 0 passes.
    answer = next(c for c in nb.cells if c.id == "q0_answer")
    answer.source = "kaisu = 8"
    NotebookClient(nb, timeout=30, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    check = next(c for c in nb.cells if c.id == "q0_check")
    assert "正解です" in check.outputs[0]["text"]


def test_minutes_agree_in_the_header_the_metadata_and_programs_yaml():
    """One figure per notebook (re-estimated by bench/beginner_walk.py): 所要時間 in its header, its metadata and
    curriculum/programs.yaml say the same."""
    import re

    import yaml

    catalog = yaml.safe_load((REPO / "curriculum" / "programs.yaml").read_text(encoding="utf-8"))
    for entries in (catalog["lessons"], catalog["assignments"]):
        for key, entry in entries.items():
            nb = nbformat.read(REPO / entry["path"], as_version=4)
            said = re.search(r"所要時間: 約(\d+)分", nb.cells[0].source)
            assert said, f"{key}: no 所要時間 in its header"
            assert int(said.group(1)) == nb.metadata["wagamama"]["minutes"] == entry["minutes"], key
