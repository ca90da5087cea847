"""Self-study copies of the assignments, with tiered hints and model answers, for Binder and laptops.

``build(dest)`` runs nbgrader's generate_assignment over ``exercises/`` (solutions and hidden tests
stripped, visible self-checks kept) and writes ``dest/<assignment>/``. Each check cell is marked for
``progress``; beside each notebook, ``.hints.json`` holds per check: what the part asks (hint 1), the
shape of a model answer with its details blanked out (hint 2) and the model answer itself, which
``answer()`` shows only after a genuine attempt (a check that said ❌, not "not attempted").
``WAGAMAMA_MODEL_ANSWERS=off`` (a cohort's instructors decide) switches model answers off.
The copies are generated, never committed.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
import tokenize
from pathlib import Path

import nbformat

from . import progress
from .cases import model_answers
from .locations import content_root
from .selfstudy_ending import adapt

HINTS = ".hints.json"
INTRO = """## 一人で学ぶときの使い方

- 答えを書いたら、すぐ下のチェックのセルを実行します。通ったかどうかは、このパソコンに記録されます。
- 困ったら、新しいセルに `hint(1)` と書いて実行します。いま取り組んでいる問題の、やることが出ます。
- それでも分からないときは `hint(2)` です。答えの形（骨組み）が出ます。
- 一度答えを書いてチェックしたあとなら、`answer()` で見本の答えを見られます。
- 進みぐあいは、`progress.ipynb` か、ターミナルの `wagamama progress` で見られます。
"""
SETUP = "from wagamama.selfstudy import answer, hint  # 一人で学ぶためのヒント（hint(1)、hint(2)、answer()）"


def scaffold(code: str) -> str:
    """The shape of an answer: keywords, the names asked for and punctuation stay; values and other
    names become ___ (the layout of the model answer is kept)."""
    keep = {"def", "return", "for", "in", "if", "elif", "else", "while", "with", "as", "import", "from", "try",
            "except", "and", "or", "not", "True", "False", "None", "print", "len", "sorted", "open", "json"}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return "___"
    lines = code.splitlines(keepends=True)
    for tok in reversed(tokens):
        blank = tok.type in (tokenize.STRING, tokenize.NUMBER, tokenize.COMMENT) or (
            tok.type == tokenize.NAME and tok.string not in keep and not _is_defined_name(tokens, tok))
        if blank and tok.start[0] == tok.end[0]:
            row, (c0, c1) = tok.start[0] - 1, (tok.start[1], tok.end[1])
            lines[row] = lines[row][:c0] + ("" if tok.type == tokenize.COMMENT else "___") + lines[row][c1:]
    return re.sub(r"___(?:[.\s]*___)+", "___", "".join(lines)).strip()


def _is_defined_name(tokens, tok) -> bool:
    """What the exercise asks for is part of the shape: the name after ``def``, and a variable assigned at
    the start of a line (``daikin = ...``)."""
    i = tokens.index(tok)
    after_def = i > 0 and tokens[i - 1].string == "def"
    assigned = (i + 1 < len(tokens) and tokens[i + 1].string == "=" and tok.start[1] == 0)
    return after_def or assigned


def _task(cells, index: int) -> str:
    """The instructions above an answer cell: the closest markdown cell before it."""
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown":
            return cell.source.strip()
    return ""


def model_answers_on() -> bool:
    """Model answers are on unless the instructors switched them off (WAGAMAMA_MODEL_ANSWERS=off)."""
    return os.environ.get("WAGAMAMA_MODEL_ANSWERS", "on").lower() not in ("off", "0", "false", "no")


def _mark(nb, assignment: str, source: Path, with_answers: bool) -> dict:
    """Mark check cells for progress; return the hints of each check (no model answers unless ``with_answers``)."""
    answers = model_answers(source)
    hints, last_solution = {}, None
    for i, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution"):
            last_solution = (i, meta["grade_id"])
        elif meta.get("grade") and cell.cell_type == "code" and last_solution:
            check = meta["grade_id"]
            index, part = last_solution
            hints[check] = {"part": part, "task": _task(nb.cells, index), "shape": scaffold(answers.get(part, "")),
                            "answer": answers.get(part, "") if with_answers else ""}
            cell.source = (f"from wagamama import progress; progress.part({assignment!r}, {check!r})\n"
                           f"{cell.source}\nprogress.passed({assignment!r}, {check!r})")
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(INTRO, id="selfstudy-intro"))
    nb.cells.insert(1, nbformat.v4.new_code_cell(SETUP, id="selfstudy-setup"))
    nb.metadata.setdefault("wagamama", {})["selfstudy"] = assignment
    return hints


def build(dest: Path) -> list[Path]:
    """Generate the self-study copies of every assignment into ``dest``; return the notebooks.

    With model answers switched off, the hint files hold none (a learner cannot read them from the file)."""
    from .cohort import create_cohort
    from .nbgrader_log import ensure
    from .programs import catalog, load_programs

    assignments = list(catalog()["assignments"])
    dest = Path(dest)
    made = []
    with tempfile.TemporaryDirectory() as tmp:
        old = os.environ.get("WAGAMAMA_HOME")
        os.environ["WAGAMAMA_HOME"] = tmp
        try:
            cohorts = {}  # assignment → a cohort of the first program that has it (the core track first)
            programs = load_programs()
            for pid in ["wagamama-lab"] + [p for p in programs if p != "wagamama-lab"]:
                if any(a not in cohorts for a in programs[pid].assignments):
                    cohort = create_cohort(f"selfstudy-{pid}", pid, "一人で学ぶ")
                    cohorts |= {a: cohort for a in programs[pid].assignments if a not in cohorts}
            for a in assignments:
                cohort = cohorts[a]
                ensure(cohort.api().generate_assignment(a), f"自習用の課題「{a}」の生成")
                out = dest / a
                if out.exists():
                    shutil.rmtree(out)
                shutil.copytree(cohort.path / "release" / a, out)
                hints = {}
                for nb_path in sorted(out.glob("*.ipynb")):
                    nb = nbformat.read(nb_path, as_version=4)
                    hints.update(_mark(nb, a, cohort.path / "source" / a / nb_path.name, model_answers_on()))
                    adapt(nb, a)  # a learner alone: her next step, self-checks against the rubric, backups
                    nbformat.write(nb, nb_path)
                    made.append(nb_path)
                (out / HINTS).write_text(json.dumps(hints, ensure_ascii=False, indent=1), encoding="utf-8")
        finally:
            if old is None:
                os.environ.pop("WAGAMAMA_HOME", None)
            else:
                os.environ["WAGAMAMA_HOME"] = old
    shutil.copyfile(content_root() / "binder" / "progress.ipynb", dest / "progress.ipynb")
    return made


# --- in the learner's notebook ------------------------------------------------------------------------

def _hints() -> tuple[str, dict] | None:
    path = Path.cwd() / HINTS
    if not path.exists():
        return None
    return path.parent.name, json.loads(path.read_text(encoding="utf-8"))


def _current() -> tuple[str, dict] | None:
    found = _hints()
    if found is None:
        print("ヒントは、一人で学ぶための課題（selfstudy/ の中）で使えます。講座では、講師に聞いてください。")
        return None
    assignment, hints = found
    check = progress.last(assignment)
    if check not in hints:
        print("まず、答えを書いて、その下のチェックのセルを実行します。そのあとで hint(1) を実行すると、"
              "そのチェックの問題のヒントが出ます。")
        return None
    return check, hints[check]


def hint(level: int = 1) -> None:
    """Level 1: what the part asks. Level 2: the shape of a model answer."""
    found = _current()
    if found is None:
        return
    check, h = found
    if level <= 1:
        print(f"💡 ヒント1（{check}）: この問題でやることです。\n\n{h['task']}\n\nもっと知りたいときは hint(2) です。")
    else:
        print(f"💡 ヒント2（{check}）: 答えの形です。___ のところを考えて書きます。\n\n{h['shape']}\n\n"
              "一度チェックしたあとなら、answer() で見本の答えを見られます。")


def answer() -> None:
    """The model answer, after a genuine attempt only, and only where model answers are on."""
    found = _current() if model_answers_on() else None
    if found is None or not found[1].get("answer"):
        if not model_answers_on() or found is not None:
            print("この講座では、見本の答えは表示しない設定です。講師に聞いてください。")
        return
    check, h = found
    assignment = Path.cwd().name
    tries = progress.load().get(assignment, {}).get(check, {})
    if tries.get("state") != "done" and not tries.get("tries"):
        print("見本の答えは、自分の答えを書いてチェックしたあとに見られます。まず、思うとおりに書いてみましょう。"
              "まちがっていても大丈夫です。")
        return
    print(f"📖 見本の答え（{check}）: ほかの書き方でも、チェックに通れば正解です。\n\n{h['answer']}")
