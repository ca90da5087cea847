"""An IPython extension for learners' kernels: Python's errors explained in Japanese, checks always in Japanese.

Loaded for every kernel of this Python (``<prefix>/etc/ipython/ipython_kernel_config.py``, written by
:func:`install`: ``make start``, the hub, Binder and the learner image all run it). It

- adds, under Python's own message, a short Japanese explanation (:mod:`wagamama.explain`) that names
  the character or the word and says what to type instead;
- runs a check cell (a cell whose first line starts with ``# チェック``) through
  :func:`wagamama.check.run_check`, so that whatever state the answer cell is in — not run, stopped with
  an error, a placeholder left — the check answers in Japanese and never shows its own code;
- remembers whether the last cell that was not a check ended in an error, so that a check says "the
  answer cell stopped" only when it did (running a check before answering is not an error above).

Grading kernels do not load it (``WAGAMAMA_GRADING`` is set by the grader's launcher): what nbgrader
records is Python's own output. Test cells never run in those kernels anyway.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_state: dict = {"loaded": False, "answer_error": None}
CONFIG = "c.IPKernelApp.extensions = ['wagamama.japanese_errors']\n"


def loaded() -> bool:
    return _state["loaded"]


def answer_error() -> BaseException | None:
    """The error of the last cell run that was not a check, or None when it ran to the end."""
    return _state["answer_error"]


def _is_check(source: str) -> bool:
    from .check import CHECK_CELL

    first = next((line for line in source.splitlines() if line.strip()), "")
    return bool(CHECK_CELL.match(first))


def _as_check(lines: list[str]) -> list[str]:
    source = "".join(lines)
    if not _is_check(source) or "run_check(" in source:
        return lines
    return [f"__import__('wagamama.check').check.run_check({source!r}, globals())\n"]


def _remember(result) -> None:
    source = getattr(result.info, "raw_cell", "") or ""
    if _is_check(source) or not source.strip():
        return
    _state["answer_error"] = result.error_before_exec or result.error_in_exec


def _with_japanese(formatter, shell):
    """Wrap one of IPython's traceback formatters: Python's lines, then ours."""

    def structured_traceback(etype, evalue, *args, **kwargs):
        lines = formatter(etype, evalue, *args, **kwargs)
        try:
            from .explain import explain

            text = explain(evalue, names=list(shell.user_ns))
        except Exception:  # an explanation must never hide Python's own message
            return lines
        return [*lines, "", *(f"💡 {line}" for line in text.splitlines())]

    return structured_traceback


def load_ipython_extension(shell) -> None:
    if os.environ.get("WAGAMAMA_GRADING") or _state["loaded"]:
        return
    _state["loaded"] = True
    shell.input_transformers_post.append(_as_check)
    shell.events.register("post_run_cell", _remember)
    shell.InteractiveTB.structured_traceback = _with_japanese(shell.InteractiveTB.structured_traceback, shell)
    shell.SyntaxTB.structured_traceback = _with_japanese(shell.SyntaxTB.structured_traceback, shell)


def install(prefix: Path = Path(sys.prefix)) -> Path:
    """Load the extension in every IPython kernel of this Python environment."""
    path = prefix / "etc" / "ipython" / "ipython_kernel_config.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    if CONFIG not in text:
        path.write_text(text + ("# ワガママLab: Python のエラーを日本語でも説明します。\n" if not text else "") + CONFIG,
                        encoding="utf-8")
    return path
