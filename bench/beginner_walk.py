"""A timed beginner walk: a learner who types with a Japanese IME goes through each notebook cell by cell.

`python bench/beginner_walk.py [NOTEBOOK_ID ...]` plays every lesson and assignment in a real kernel, as
tests/test_checks_in_japanese.py does, but as one learner: she reads each text cell, runs each cell, types each
answer with one slip first (a different slip from one answer to the next), reads what the answer cell and the
check say, fixes the slip, types the answer, and runs the check again. It prints, per notebook, the minutes
this takes by the model below, the minutes the notebook's header says, and the stuck points: slips whose
first reply does not name what to fix.

The minutes are a model of a beginner, not a stopwatch on a person; its figures are set here, in one place:
"""

from __future__ import annotations

import difflib
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from learner_play import JAPANESE, Kernel, lesson_answers, parts_of, slipped  # noqa: E402

READ_CPM = 250  # Japanese characters a minute: instructions read carefully, once
CODE_LINE_SECONDS = 8  # to read one line of example code (data lines are skimmed as fast)
RUN_SECONDS = 15  # find the cell, Shift+Enter, look at what it shows
TYPE_CPM = 25  # characters typed a minute, switching the IME on and off, with corrections
PASTE_MINUTES = 0.1  # a line she copies from a cell above (an example, the starter, her earlier answer)
THINK_MINUTES = {"code": 2.0, "line": 0.5, "sentence": 1.0}  # before typing: a piece of code, each further line
# of logic, each sentence of her own (a diary entry's trouble, a なぜ, an idea)
FIX_MINUTES = 1.0  # after reading the reply: find the character and change it
FIRST_TIME_MINUTES = 15  # the very first notebook: open JupyterLab, find the notebook, learn Shift+Enter and the IME key
# What a reply must name for the learner to fix each slip without help.
FIX_WORDS = {
    "ことばを \" \" で囲まない（通院）": ("囲", "\" \""),
    "ことばを \" \" で囲まない（第2・第4水曜）": ("囲", "\" \""),
    "全角の数字 ４": ("全角",),
    "リストの区切りに 、": ("読点", "「、」", "コンマ"),
    "辞書に全角の ：": ("コロン", "："),
    "日本語の引用符 “ ”": ("引用符", "“"),
    "全角の引用符 ＂": ("引用符", "＂"),
    "全角スペース": ("全角スペース",),
    "¥n（円マーク）": ("¥", "円マーク", "\\n"),
}


def minutes_said(nb) -> int | None:
    found = re.search(r"所要時間: 約(\d+)分", nb.cells[0].source)
    return int(found.group(1)) if found else None


def sentences(source: str) -> list[str]:
    """Her own words in an answer: Japanese strings that are values (not dict keys)."""
    found = re.finditer(r"[\"']([^\"'\n]*[ぁ-んァ-ヶ一-龠][^\"'\n]*)[\"'](?!\s*:)", source)
    return [m.group(1) for m in found if len(m.group(1)) >= 5]  # not a date or a yes/no


def walk(path: Path, models: dict[str, str], workdir: Path) -> dict:
    nb = nbformat.read(path, as_version=4)
    parts = parts_of(nb, models)
    by_answer = {p.answer: p for p in parts}
    checks = {c for p in parts for c in p.checks}
    minutes = {"read": 0.0, "run": 0.0, "type": 0.0, "think": 0.0, "slips": 0.0}
    if path.stem == "00_hajimete":
        minutes["run"] += FIRST_TIME_MINUTES
    stuck, slip_names, turn = [], list(slipped("x = \"a\"\ny = {\"a\": 1, \"b\": 2}\nz = 1")), 0
    seen = {line.strip() for c in nb.cells for line in c.source.splitlines() if line.strip()}  # lines she can copy
    seen_words: set[str] = set()
    extra = False
    sections: list[tuple[str, float]] = []  # each heading and the minutes spent before it
    started = time.monotonic()
    optional = {}  # minutes spent in the parts marked ▲ (the walk takes them too)
    with Kernel(workdir) as kernel:
        for i, cell in enumerate(nb.cells):
            before = sum(minutes.values())
            if cell.cell_type == "markdown":
                heading = next((line for line in cell.source.splitlines() if line.startswith("## ")), None)
                if heading is not None:
                    extra = "▲" in heading
                    sections.append((heading[3:], sum(minutes.values())))
                minutes["read"] += len(re.sub(r"[\s|`#*>:-]", "", cell.source)) / READ_CPM  # the words, not the markup
                written = models.get(cell.metadata.get("nbgrader", {}).get("grade_id")) \
                    if cell.metadata.get("nbgrader", {}).get("solution") else None
                if written:  # a written answer (read by the instructor): she thinks, then types each sentence
                    minutes["think"] += THINK_MINUTES["sentence"] * max(written.count("。"), 1)
                    minutes["type"] += len(written.strip()) / TYPE_CPM
                optional[i] = extra and sum(minutes.values()) - before
                continue
            if i in checks:
                continue
            minutes["run"] += RUN_SECONDS / 60
            part = by_answer.get(i)
            if part is None:
                minutes["read"] += sum(1 for line in cell.source.splitlines() if line.strip()) * CODE_LINE_SECONDS / 60
                kernel.run(cell.source)
                optional[i] = extra and sum(minutes.values()) - before
                continue
            answer = part.model or cell.source
            lines = [line.strip() for line in answer.splitlines() if line.strip() and not line.lstrip().startswith("#")]
            pasted = [line for line in lines if line in seen]
            for line in lines:
                if line in seen:
                    minutes["type"] += PASTE_MINUTES
                    continue
                like = max(seen, key=lambda s: difflib.SequenceMatcher(None, s, line).ratio(), default="")
                match = difflib.SequenceMatcher(None, like, line)
                if match.ratio() > 0.6:  # copied from a line above, then changed
                    changed = sum(j2 - j1 for op, _, _, j1, j2 in match.get_opcodes() if op != "equal")
                    minutes["type"] += PASTE_MINUTES + changed / TYPE_CPM
                else:
                    minutes["type"] += len(line) / TYPE_CPM
            own = [t for t in sentences(answer) if t not in seen_words]
            code = [line for line in lines if line not in pasted and not sentences(line)]
            minutes["think"] += THINK_MINUTES["sentence"] * len(own)
            if code:
                minutes["think"] += THINK_MINUTES["code"] + THINK_MINUTES["line"] * (len(code) - 1)
            seen.update(lines)
            seen_words.update(sentences(answer))
            slips = slipped(answer)
            name = next((slip_names[(turn + k) % len(slip_names)] for k in range(len(slip_names))
                         if slip_names[(turn + k) % len(slip_names)] in slips), None)
            turn += 1
            if name is not None:
                ran = kernel.run(slips[name])
                said = ran.text if ran.error else ""
                for c in part.checks:
                    said += "\n" + kernel.run(nb.cells[c].source).text
                    minutes["run"] += RUN_SECONDS / 60
                japanese = "".join(JAPANESE.findall(said)) or said
                minutes["slips"] += len(japanese) / READ_CPM + FIX_MINUTES
                if not any(w in said for w in FIX_WORDS[name]) and "⭕" not in said:
                    first = next((line for line in said.splitlines() if JAPANESE.search(line)), said[:80])
                    stuck.append(f"{cell.id}: {name} → {first.strip()[:120]}")
            kernel.run(answer)
            for c in part.checks:
                minutes["run"] += RUN_SECONDS / 60
                reply = kernel.run(nb.cells[c].source)
                minutes["read"] += len("".join(JAPANESE.findall(reply.text))) / READ_CPM
            optional[i] = extra and sum(minutes.values()) - before
    total = sum(minutes.values())
    extra_minutes = sum(v for v in optional.values() if v)
    return {"minutes": minutes, "total": total, "optional": extra_minutes, "said": minutes_said(nb), "stuck": stuck,
            "sections": sections,
            "seconds": time.monotonic() - started, "answers": len(parts)}


def main(argv: list[str]) -> int:
    from wagamama.cases import model_answers
    from wagamama.selfstudy import build

    wanted = set(argv)
    lessons = {p.stem: p for p in sorted((REPO / "curriculum").glob("*/*.ipynb"))}
    assignments = sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        shutil.copytree(REPO / "curriculum", root / "curriculum")
        import os

        os.environ["WAGAMAMA_HOME"] = str(root / "home")
        # nbgrader runs `alembic` from PATH: the venv's, also when this runs as .venv/bin/python without activating it
        os.environ["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
        build(root / "selfstudy", released=root / "released")
        rows = []
        for name, path in lessons.items():
            if not wanted or name in wanted:
                folder = root / "curriculum" / path.parent.name
                rows.append((name, walk(folder / path.name, lesson_answers().get(name, {}), folder)))
        for name in assignments:
            if not wanted or name in wanted:
                folder = root / "released" / name
                models = model_answers(REPO / "exercises" / name / f"{name}.ipynb")
                rows.append((name, walk(folder / f"{name}.ipynb", models, folder)))
    print(f"{'notebook':16} {'walk':>5} {'▲':>4} {'core':>5} {'header':>6}  read  run type think slips  answers")
    for name, r in rows:
        m = r["minutes"]
        print(f"{name:16} {r['total']:5.0f} {r['optional']:4.0f} {r['total'] - r['optional']:5.0f} {r['said'] or 0:6}  "
              f"{m['read']:4.0f} {m['run']:4.0f} {m['type']:4.0f} {m['think']:5.0f} {m['slips']:5.0f}  {r['answers']:7}")
        for s in r["stuck"]:
            print(f"    stuck: {s}")
        if len(rows) == 1:  # one notebook asked for: where the time goes, heading by heading
            for heading, at in r["sections"]:
                print(f"    {at:5.0f} 分 → {heading}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
