"""What a self-study copy says where a cohort's copy talks about the cohort.

A learner alone has no instructor and no Nbgrader menu. ``adapt(nb, assignment)`` (called by
``selfstudy.build`` for each copy) rewrites the sentences about submitting and about the instructor reading the
written answers, puts a self-check against the rubric under each written answer (``rubric_check``), says near
the top how to save and restore her work (Binder forgets everything when it stops; see ``backup``), and ends
with what she does next: the next lesson or assignment of her track, her progress, a backup.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import yaml

from .locations import content_root

BACKUP_NOTE = """## 💾 書いたものを消さないために

Binder（ブラウザーだけで学ぶ場所）は、しばらく使わないと止まります。止まると、書いた答えも、保存したファイルも消えます。
終わる前に、新しいセルで次の2行を実行します。

```python
from wagamama.backup import save_button
save_button()
```

ボタンを押すと、書いたノート、`my_*.json` のファイル、進みぐあいが、`wagamama-backup-日付.zip` の1つのファイルにまとまります。
左のファイル一覧で、そのファイルを右クリックして「ダウンロード」を選びます。
次に学ぶときは、`from wagamama.backup import restore_button` と `restore_button()` を実行して、そのファイルを選びます。続きから始められます。
ターミナルなら、`wagamama backup` と `wagamama restore ファイル名` でも同じことができます。"""

SELF_CHECK = "from wagamama.selfstudy_ending import rubric_check\n\nrubric_check({cell!r})  # ルーブリック（採点の基準）で、自分の答えを確かめます"


def _first_program_with(assignment: str):
    from .programs import load_programs

    programs = load_programs()
    for pid in ["wagamama-lab"] + [p for p in programs if p != "wagamama-lab"]:
        steps = programs[pid].steps
        if any(s.kind == "assignment" and s.id == assignment for s in steps):
            return steps
    return []


def next_step(assignment: str) -> str:
    """The next step after ``assignment`` in the first track that has it, in words (with where it is)."""
    from .programs import catalog

    steps = _first_program_with(assignment)
    here = next((i for i, s in enumerate(steps) if s.kind == "assignment" and s.id == assignment), None)
    if here is None or here + 1 >= len(steps):
        return ("これで、このコースの課題は全部おわりです。あなたのアプリを家族や近所の人に使ってもらい、"
                "気づいたことから、次のワガママ日記を書いてみましょう。")
    step = steps[here + 1]
    if step.kind == "lesson":
        path = catalog()["lessons"].get(step.id, {}).get("path", f"curriculum/{step.id}")
        return f"次は、ノート「{step.title}」（`{path}`）を上から読みます。"
    return f"次は、課題「{step.title}」（`selfstudy/{step.id}/{step.id}.ipynb`）です。"


def ending(assignment: str) -> str:
    return ("一人で学んでいるときは、提出はありません。進みぐあいは `selfstudy/progress.ipynb` で見られます。"
            + next_step(assignment) +
            "Binder で学んでいるときは、終わる前に、いちばん上の「書いたものを消さないために」のとおりに保存します。")


_SENTENCE = re.compile(r"[^。\n]*。")


def _rewrite(text: str, assignment: str) -> str:
    text = re.sub(r"（(\d+)点・講師が読みます）", r"（\1点・ルーブリックで自分で確かめます）", text)

    def one(m: re.Match) -> str:
        s = m.group(0)
        if "Nbgrader" in s or "Submit" in s or "提出できます" in s:
            return ending(assignment)
        if "講師が読" in s:
            lead = re.match(r"^\s*(?:-\s*)?", s).group(0)
            return lead + "文章の答えは、答えのすぐ下に出るルーブリック（採点の基準）で、自分で確かめます。"
        if "講師に届" in s or "提出するのは" in s:
            return ""
        return s

    lines = [_SENTENCE.sub(one, line) for line in text.split("\n")]
    return "\n".join(line for line in lines if line.strip() not in ("", "-") or line == "")


def adapt(nb, assignment: str) -> None:
    """Turn a cohort's copy into one that speaks to a learner alone (see the module's docstring)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = _rewrite(cell.source, assignment)
        cells.append(cell)
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("grade") and meta.get("solution"):
            cells.append(nbformat.v4.new_code_cell(SELF_CHECK.format(cell=meta["grade_id"]),
                                                   id=f"selfcheck-{meta['grade_id']}"))
    first = next((i for i, c in enumerate(cells) if c.get("id") == "selfstudy-setup"), 0)
    cells.insert(first + 1, nbformat.v4.new_markdown_cell(BACKUP_NOTE, id="selfstudy-backup"))
    if not any("提出はありません" in c.source for c in cells if c.cell_type == "markdown"):
        cells.append(nbformat.v4.new_markdown_cell("## 次にすること\n\n" + ending(assignment), id="selfstudy-next"))
    nb.cells = cells


# --- in the learner's notebook ------------------------------------------------------------------------------

def _rubric(assignment: str, cell: str) -> dict | None:
    folder = content_root() / "grading" / "rubrics"
    for path in sorted({*folder.glob(f"{assignment}.yaml"), *folder.glob(f"{assignment}.*.yaml")}):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("cell") == cell:
            return data
    return None


def _answer(cell: str) -> str | None:
    """Her written answer, as saved in this folder's notebook (Ctrl+S first)."""
    for path in sorted(Path.cwd().glob("*.ipynb")):
        try:
            nb = nbformat.read(path, as_version=4)
        except Exception:  # noqa: BLE001 (a broken notebook: nothing to show)
            continue
        for c in nb.cells:
            if c.cell_type == "markdown" and c.metadata.get("nbgrader", {}).get("grade_id") == cell:
                return c.source
    return None


def rubric_check(cell: str) -> None:
    """The rubric of a written answer, with what can be counted in her saved answer; she decides her level."""
    assignment = Path.cwd().name
    rubric = _rubric(assignment, cell)
    if rubric is None:
        print("この答えのルーブリックは見つかりませんでした。答えを声に出して読み、だれが読んでも分かるかを確かめます。")
        return
    print(f"📝 自分で確かめる（{rubric.get('points', '')}点）: {rubric.get('criterion', '')}")
    text = _answer(cell)
    if text is None or not text.strip() or "ここに答えを書きます" in text:
        print("あなたの答え: まだ書いていないか、ノートを保存していません。書いたら `Ctrl` + `S` で保存して、もう一度実行します。")
    else:
        sentences = [s for s in re.split(r"[。！？!?]\s*", text.strip()) if s.strip()]
        letters = len(re.sub(r"\s", "", text))
        print(f"あなたの答え（保存したノートから）: {len(sentences)}文、{letters}字")
    print("\n次の段階の説明を読み、あなたの答えに、いちばん近いものを選びます。")
    levels = sorted(rubric.get("levels", {}).items(), key=lambda kv: -float(kv[0]))
    for score, level in levels:
        if float(score) <= 0:
            continue
        print(f"\n【{score}】{level.get('label', '')}\n  {str(level.get('description', '')).strip()}")
        if level.get("example"):
            print(f"  例: {str(level['example']).strip()}")
    advice = next((str(level["comment"]).strip() for score, level in levels[1:2] if level.get("comment")), "")
    if advice:
        print(f"\n💡 いちばん上の段階に近づけるヒント: {advice}")
