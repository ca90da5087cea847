"""Play a learner in a real kernel, cell by cell, with the slips a Japanese IME typist makes.

The tests of checks (test_checks_in_japanese.py) and the beginner walk (bench/beginner_walk.py) use it:
one kernel per notebook, the answer cells rewritten and run again and again in it, each time followed by
the check cells below them, as a learner does with Shift+Enter.
"""

from __future__ import annotations

import ast
import io
import os
import re
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
JAPANESE = re.compile(r"[ぁ-んァ-ヶー一-龠々〆〇]")
MARKS = ("⭕", "✏️", "❌", "⚠️")
CHECK = __import__("wagamama.check").check.CHECK_CELL  # the cells the extension runs as checks
ENGLISH_ERROR = re.compile(r"^\s*[A-Za-z_.]*(Error|Exception|Warning|Interrupt)\b")


# --- a kernel as a learner's ---------------------------------------------------------------------------------

@dataclass
class Ran:
    """What a cell showed: its text outputs (stream, results, error lines without colours) and whether it
    ended in an error."""

    text: str
    error: bool
    seconds: float = 0.0


class Kernel:
    """A learner's kernel (the venv's python3, so the Japanese-errors extension is loaded as for learners)."""

    def __init__(self, cwd: Path, progress: Path | None = None, timeout: float = 60):
        from jupyter_client.manager import start_new_kernel

        env = {k: v for k, v in os.environ.items() if k != "WAGAMAMA_GRADING"}
        env["WAGAMAMA_PROGRESS"] = str(progress or Path(cwd) / ".progress.json")
        env.setdefault("MPLBACKEND", "Agg")
        self.timeout = timeout
        self.km, self.kc = start_new_kernel(kernel_name="python3", cwd=str(cwd), env=env)

    def run(self, source: str) -> Ran:
        import time

        parts: list[str] = []
        failed = False

        def hook(msg):
            nonlocal failed
            kind, content = msg["msg_type"], msg["content"]
            if kind == "stream":
                parts.append(content["text"])
            elif kind in ("execute_result", "display_data"):
                parts.append(content.get("data", {}).get("text/plain", ""))
            elif kind == "error":
                failed = True
                parts.append("\n".join(content.get("traceback") or [f"{content['ename']}: {content['evalue']}"]))

        start = time.monotonic()
        try:
            reply = self.kc.execute_interactive(source, timeout=self.timeout, output_hook=hook, allow_stdin=False)
        except TimeoutError:
            self.km.interrupt_kernel()
            return Ran("（時間切れ）TimeoutError", True, time.monotonic() - start)
        failed = failed or reply["content"]["status"] != "ok"
        return Ran(ANSI.sub("", "\n".join(parts)), failed, time.monotonic() - start)

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- what a reply must look like -----------------------------------------------------------------------------

def problems_of_reply(text: str, check_source: str = "", answer_source: str = "") -> list[str]:
    """Why a check's reply is not what a learner should read: no Japanese verdict, a traceback, an English
    error line with no Japanese after it, the check's own code shown, or a check tool said to be missing (the
    check imported its tools itself, and they never arrived when it refused to run)."""
    from wagamama import check

    found = []
    for tool in check.__all__:
        if f"{tool} がありません" in text:
            found.append(f"a check tool is missing: {tool}")
    if not any(m in text for m in MARKS):
        found.append("no verdict (⭕ ✏️ ❌ ⚠️)")
    if "Traceback" in text or "<チェック>" in text or 'File "' in text:
        found.append("a traceback")
    lines = [line for line in text.splitlines() if line.strip()]
    for i, line in enumerate(lines):
        if ENGLISH_ERROR.match(line) and not JAPANESE.search(" ".join(lines[i:i + 3])):
            found.append(f"an English error line: {line.strip()}")
    for line in check_source.splitlines():
        code = line.strip()
        data = code[:1] in "{[(\"'" or code[:1].isdigit()  # data a message may show as its expected value
        if len(code) >= 20 and not code.startswith("#") and not data and code in text and code not in answer_source:
            found.append(f"its own code: {code}")
    return found


# --- notebooks as a learner meets them -----------------------------------------------------------------------

@dataclass
class Part:
    """An answer cell and the checks that follow it (until the next answer cell)."""

    answer: int
    checks: list[int]
    model: str | None  # the model answer as typed (None: the notebook has none for this cell)
    examples: list[str] = field(default_factory=list)


def is_check(cell) -> bool:
    return cell.cell_type == "code" and bool(CHECK.match(cell.source.lstrip("\n")))


def lesson_answers() -> dict:
    return yaml.safe_load((REPO / "tests" / "lesson_answers.yaml").read_text(encoding="utf-8"))


def parts_of(nb, models: dict[str, str]) -> list[Part]:
    """The answer cells of a notebook and their checks: nbgrader's solution cells in an assignment (``models``
    by grade_id); in a lesson, the code cell just above each run of check cells (``models`` by cell id)."""
    cells = nb.cells
    graded = any(c.metadata.get("nbgrader", {}).get("solution") for c in cells)
    parts: list[Part] = []
    after_check = False
    for i, cell in enumerate(cells):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        checking = is_check(cell) or bool(graded and meta.get("grade") and not meta.get("solution"))
        if graded and meta.get("solution"):
            parts.append(Part(i, [], models.get(meta["grade_id"])))
        elif checking and (graded or after_check) and parts:
            parts[-1].checks.append(i)
        elif checking:
            j = _previous_code(cells, i)
            parts.append(Part(j, [i], models.get(cells[j].id)))
        after_check = checking
    for n, part in enumerate(parts):
        before = parts[n - 1] if n else None
        start = (max(before.checks) if before.checks else before.answer) + 1 if before else 0
        part.examples = examples_in(cells[start:part.answer])
    return [p for p in parts if p.checks]


def _previous_code(cells, i) -> int:
    """The code cell before cell i that is not a check: the answer a lesson's check looks at."""
    j = i - 1
    while j >= 0 and (cells[j].cell_type != "code" or is_check(cells[j])):
        j -= 1
    return j


FENCE = re.compile(r"```python\n(.*?)```", re.S)


def examples_in(cells) -> list[str]:
    """Worked examples shown before an answer cell: example code cells and ```python blocks in the text."""
    found = []
    for cell in cells:
        if cell.cell_type == "markdown":
            found += [block.strip("\n") for block in FENCE.findall(cell.source)]
        elif cell.cell_type == "code" and not is_check(cell) and not cell.metadata.get("nbgrader", {}).get("solution"):
            found.append(cell.source)
    return [f for f in found if f.strip() and "import " not in f.split("\n")[0]]


def defined_names(source: str) -> list[str]:
    """Top-level names an answer cell defines (assignments and defs)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return list(dict.fromkeys(names))


# --- slips ---------------------------------------------------------------------------------------------------

def _tokens(source: str):
    try:
        return list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return []


def _offset(source: str, pos: tuple[int, int]) -> int:
    lines = source.splitlines(keepends=True)
    return sum(len(line) for line in lines[:pos[0] - 1]) + pos[1]


def _literals(source: str) -> list[tokenize.TokenInfo]:
    """String literals that are values (not docstrings)."""
    toks = _tokens(source)
    out = []
    for k, tok in enumerate(toks):
        if tok.type != tokenize.STRING:
            continue
        before = next((t for t in reversed(toks[:k]) if t.type not in (tokenize.NL, tokenize.COMMENT)), None)
        if before is None or before.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            continue  # a docstring or a bare string statement
        out.append(tok)
    return out


def _replace(source: str, tok, text: str) -> str:
    a, b = _offset(source, tok.start), _offset(source, tok.end)
    return source[:a] + text + source[b:]


def _first(source: str, kind: int, strings: tuple[str, ...] = ()) -> tokenize.TokenInfo | None:
    return next((t for t in _tokens(source) if t.type == kind and (not strings or t.string in strings)), None)


def _code_line(source: str) -> int:
    """Index of the first line that is code (not blank, not a comment)."""
    lines = source.splitlines()
    return next((i for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")), 0)


def _prepend(source: str, line: str) -> str:
    return line + "\n" + source


def _word(source: str, word: str) -> str:
    lit = next(iter(_literals(source)), None)
    if lit is not None:
        return _replace(source, lit, word)
    target = _first(source, tokenize.NAME, ("None",)) or _first(source, tokenize.NUMBER)
    return _replace(source, target, word) if target else _prepend(source, f"basho = {word}")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def _digit(source: str) -> str:
    num = _first(source, tokenize.NUMBER)
    if num is not None:
        return _replace(source, num, _fullwidth(num.string))
    target = _first(source, tokenize.NAME, ("None",)) or next(iter(_literals(source)), None)
    return _replace(source, target, "４") if target else _prepend(source, "kazu = ４")


def _op(source: str, op: str, typed: str, fallback: str) -> str:
    tok = _first(source, tokenize.OP, (op,))
    return _replace(source, tok, typed) if tok else _prepend(source, fallback)


def _colon(source: str) -> str:
    toks = _tokens(source)
    depth, target = [], None
    for tok in toks:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth.append(tok.string)
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth and depth.pop()
        elif tok.type == tokenize.OP and tok.string == ":" and depth and depth[-1] == "{":
            target = tok
            break
    if target is None:
        target = _first(source, tokenize.OP, (":",))
    return _replace(source, target, "：") if target else _prepend(source, 'kaimono = {"場面"： "買い物"}')


def _quotes(source: str, left: str, right: str) -> str:
    lit = next(iter(_literals(source)), None)
    if lit is None:
        target = _first(source, tokenize.NAME, ("None",)) or _first(source, tokenize.NUMBER)
        return _replace(source, target, f"{left}通院{right}") if target else _prepend(source, f"bamen = {left}通院{right}")
    text = lit.string
    q = next(i for i, c in enumerate(text) if c in "\"'")
    quote = text[q] * 3 if text[q:q + 3] in ('"""', "'''") else text[q]
    inner = text[q + len(quote):len(text) - len(quote)]
    return _replace(source, lit, text[:q] + left + inner + right)


def _space(source: str) -> str:
    lines = source.splitlines(keepends=True)
    k = _code_line(source)
    line = lines[k] if lines else ""
    outside = re.sub(r'"[^"]*"|\'[^\']*\'', lambda m: "x" * len(m.group(0)), line)
    indent = len(line) - len(line.lstrip())
    at = outside.find(" ", indent)
    if at < 0 or not line.strip():
        return _prepend(source, "kazu　= 3")
    lines[k] = line[:at] + "\u3000" + line[at + 1:]
    return "".join(lines)


def _yen(source: str) -> str:
    lit = next(iter(_literals(source)), None)
    if lit is not None and not lit.string.endswith(('"""', "'''")):
        return _replace(source, lit, lit.string[:-1] + "¥n" + lit.string[-1])
    lines = source.splitlines(keepends=True)
    k = _code_line(source)
    if not lines:
        return "print(¥n)"
    code, _, comment = lines[k].rstrip("\n").partition("  #")
    lines[k] = code + " + ¥n" + (f"  #{comment}" if comment else "") + "\n"
    return "".join(lines)


# What the learner must read, after a slip, to fix it without help (in the answer cell's 💡 line or the check).
FIX_WORDS = {
    "ことばを \" \" で囲まない（通院）": ("で囲みます", "で囲まれていません"),
    "ことばを \" \" で囲まない（第2・第4水曜）": ("で囲みます", "で囲まれていません"),
    "全角の数字 ４": ("全角",),
    "リストの区切りに 、": ("読点", "「、」", "コンマ"),
    "辞書に全角の ：": ("コロン", "："),
    "日本語の引用符 “ ”": ("引用符",),
    "全角の引用符 ＂": ("引用符",),
    "全角スペース": ("全角スペース",),
    "¥n（円マーク）": ("¥", "円マーク", "\\n"),
}

SLIPS = {
    "ことばを \" \" で囲まない（通院）": lambda s: _word(s, "通院"),
    "ことばを \" \" で囲まない（第2・第4水曜）": lambda s: _word(s, "第2・第4水曜"),
    "全角の数字 ４": _digit,
    "リストの区切りに 、": lambda s: _op(s, ",", "、", 'rei = ["ごみ出し"、"通院"]'),
    "辞書に全角の ：": _colon,
    "日本語の引用符 “ ”": lambda s: _quotes(s, "“", "”"),
    "全角の引用符 ＂": lambda s: _quotes(s, "＂", "＂"),
    "全角スペース": _space,
    "¥n（円マーク）": _yen,
}


def slipped(source: str) -> dict[str, str]:
    """Each slip typed into ``source`` (only those that change it)."""
    out = {}
    for name, slip in SLIPS.items():
        text = slip(source)
        if text != source:
            out[name] = text
    return out


# --- worked examples copied into an answer cell --------------------------------------------------------------

def _top_assigned(source: str) -> list[str]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [t.id for node in tree.body if isinstance(node, ast.Assign) for t in node.targets if isinstance(t, ast.Name)]


def _defs(source: str) -> list[ast.FunctionDef]:
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return []
    return [node for node in tree.body if isinstance(node, ast.FunctionDef)]


def copies(example: str, answer: str) -> dict[str, str]:
    """A worked example copied into an answer cell the ways a learner does: as it is; with its name changed
    to the one the task asks for; for a function, renamed, or its lines put inside the function's def line."""
    out = {"そのまま写す": example}
    wanted_defs = _defs(answer)
    wanted_vars = [n for n in _top_assigned(answer)]
    if wanted_defs:
        fn = wanted_defs[0]
        theirs = _defs(example)
        if theirs:
            out["関数の名前だけ変える"] = re.sub(rf"\b{re.escape(theirs[0].name)}\b", fn.name, example)
        else:
            lines = [line for line in example.splitlines() if line.strip() and not line.lstrip().startswith("print(")]
            made = _top_assigned(example)
            body = ["    " + line for line in lines] + ([f"    return {made[0]}"] if made else [])
            head = answer.splitlines()[fn.lineno - 1]
            out["関数の中に写す"] = head + "\n" + "\n".join(body)
    elif wanted_vars:
        theirs = _top_assigned(example)
        if theirs and theirs[-1] != wanted_vars[-1]:
            out["名前だけ変える"] = re.sub(rf"\b{re.escape(theirs[-1])}\b", wanted_vars[-1], example)
    return out
