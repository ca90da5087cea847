"""The Japanese in every notebook and facilitator guide passes textlint with the repo's presets (.textlintrc.json)."""

import shutil

from conftest import need

from wagamama import japanese_lint


def test_notebooks_and_guides_pass_textlint():
    need(shutil.which("node") is not None and japanese_lint.textlint_binary() is not None,
         "textlint (Node.js and npm packages)", "sudo make system-deps")
    problems = japanese_lint.lint(japanese_lint.notebooks() + japanese_lint.guides())
    assert problems == [], "\n".join(problems)


def test_textlint_can_fail(tmp_path):
    """The linter really runs: a machine-like, dearu/desumasu-mixed text is flagged."""
    need(japanese_lint.textlint_binary() is not None, "textlint", "sudo make system-deps")
    import nbformat
    from nbformat.v4 import new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell("これはペンです。これはペンである。\n\n- ✅ **重要**: 完璧に理解できます！", id="bad")])
    path = tmp_path / "bad.ipynb"
    nbformat.write(nb, path)
    problems = japanese_lint.lint([path])
    assert any("bad" in p for p in problems) and len(problems) >= 2


def test_a_guide_is_linted_too(tmp_path):
    need(japanese_lint.textlint_binary() is not None, "textlint", "sudo make system-deps")
    guide = tmp_path / "guide.md"
    guide.write_text("# 手引き\n\nこれはペンです。これはペンである。\n", encoding="utf-8")
    assert any(p.startswith(str(guide)) or "guide.md" in p for p in japanese_lint.lint([guide]))
