"""Progress without a server: which self-checks a learner has passed, in a small local file.

Self-study copies of the assignments (see ``selfstudy``) mark each check cell: the line after its
``# チェック`` line names the part (``part``), the last line records a pass (``passed``); a check that fails
on the way records "tried" or "not attempted" through ``check`` (``failed``). The file is
``~/.wagamama/progress.json`` (or ``$WAGAMAMA_PROGRESS``); nothing is sent anywhere.

The last check run in this kernel is kept in memory (``last``): hints and model answers follow it, whatever
the clock says. ``follow`` names the part as soon as a marked cell starts, so that a check that refuses to
run (the answer cell above stopped with an error) still counts for that part.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import tempfile
from pathlib import Path

import nbformat

from .locations import content_root
from .programs import get_program

_current: tuple[str, str] | None = None  # (assignment, check cell) being run
_last: dict[str, str] = {}  # assignment → the check cell run last in this kernel
MARK = re.compile(r"progress\.part\(\s*(['\"])(\w+)\1\s*,\s*(['\"])(\w+)\3\s*\)")


def path() -> Path:
    return Path(os.environ.get("WAGAMAMA_PROGRESS", Path.home() / ".wagamama" / "progress.json"))


def load() -> dict:
    try:
        data = json.loads(path().read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (FileNotFoundError, ValueError):
        return {}  # a broken file starts over: progress is a convenience, never a grade


def _record(assignment: str, check: str, state: str) -> None:
    data = load()
    entry = data.setdefault(assignment, {}).setdefault(check, {"state": "", "tries": 0})
    if state == "tried":
        entry["tries"] += 1
    entry["state"] = state
    entry["time"] = dt.datetime.now().isoformat(timespec="microseconds")
    path().parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path().parent, prefix=".progress.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
    os.replace(tmp, path())


def part(assignment: str, check: str) -> None:
    global _current
    _current = (assignment, check)
    _last[assignment] = check


def follow(shell) -> None:
    """Name the part when a marked check cell starts (before the check itself may refuse to run)."""
    if shell is None or getattr(shell, "_wagamama_progress", False):
        return
    shell._wagamama_progress = True

    def started(info) -> None:
        found = MARK.search(getattr(info, "raw_cell", "") or "")
        if found:
            part(found.group(2), found.group(4))

    shell.events.register("pre_run_cell", started)


def passed(assignment: str, check: str) -> None:
    global _current
    _record(assignment, check, "done")
    _current = None


def failed(kind: str) -> None:
    """Called by check's feedback errors: ``kind`` is "tried" (an answer, not right yet) or "not attempted"."""
    global _current
    if _current is not None:
        _record(*_current, kind)
        _current = None


def last(assignment: str) -> str | None:
    """The check cell the learner ran last in this assignment (what ``hint()`` talks about): the one run last
    in this kernel; in a kernel that has run none yet, the one recorded last."""
    if assignment in _last:
        return _last[assignment]
    entries = {k: e for k, e in load().get(assignment, {}).items() if isinstance(e, dict)}
    return max(entries, key=lambda k: entries[k].get("time", ""), default=None)


def checks_of(assignment: str) -> list[str]:
    """The autograded check cells of an assignment, in order (from its source notebook)."""
    return list(titles_of(assignment))


HEADING = re.compile(r"^##\s+(?:\d+\.\s*)?(.+?)\s*(?:（[^（）]*(?:点|読みます|入りません)[^（）]*）)?\s*$", re.M)


def heading_title(source: str) -> str | None:
    """「全部の点数をリストにする関数」 from 「## 1. 全部の点数をリストにする関数（2点）」."""
    found = HEADING.findall(re.sub(r"```.*?```", "", source, flags=re.S))  # not a heading shown as an example
    return found[-1].strip() if found else None


def titles_of(assignment: str) -> dict[str, str]:
    """check cell → the Japanese title of its part (the heading above it in the notebook), in order."""
    found = {}
    for nb_path in sorted((content_root() / "exercises" / assignment).glob("*.ipynb")):
        title = ""
        for cell in nbformat.read(nb_path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if cell.cell_type == "markdown":
                title = heading_title(cell.source) or title
            elif meta.get("grade") and not meta.get("solution"):
                found[meta["grade_id"]] = title or meta["grade_id"]
    return found


def current_program() -> str:
    """The track the learner is on, from her own records: a track whose own assignments (in no other track she
    could be on) she has answered, the most recent first; the core track when there is none. A check run on a
    part she has not answered yet (a notebook run from top to bottom to look at it) does not choose a track."""
    from .programs import load_programs

    data = load()
    programs = load_programs()
    latest = {}
    for pid, program in programs.items():
        others = {a for q, p in programs.items() if q != pid for a in p.assignments}
        own = [a for a in program.assignments if a not in others]
        times = [e.get("time", "") for a in own for e in data.get(a, {}).values()
                 if isinstance(e, dict) and e.get("state") != "not attempted"]
        if times:
            latest[pid] = max(times)
    return max(latest, key=latest.get) if latest else "wagamama-lab"


def summary(program: str | None = None) -> list[dict]:
    data = load()
    rows = []
    for step in get_program(program or current_program()).steps:
        if step.kind != "assignment":
            continue
        titles = titles_of(step.id)
        states = data.get(step.id, {})
        done = sum(1 for c in titles if states.get(c, {}).get("state") == "done")
        todo = next((c for c in titles if states.get(c, {}).get("state") != "done"), None)
        rows.append({"id": step.id, "title": step.title, "done": done, "total": len(titles),
                     "next": todo, "next_title": titles.get(todo)})
    return rows


def tracks() -> str:
    """Every track (program) with how far the learner is in it, and how to look at one."""
    from .programs import load_programs

    lines = ["コース（講座プログラム）ごとの進みぐあい（チェックに通った数 / 全部の数）"]
    now = current_program()
    for pid, program in load_programs().items():
        rows = summary(pid)
        done, total = sum(r["done"] for r in rows), sum(r["total"] for r in rows)
        mark = "▶" if pid == now else "・"
        lines.append(f"{mark} {program.title}（{pid}）: 課題 {len(rows)} 件、チェック {done} / {total}")
    lines.append(f"▶ の印が、いま進めているコースです。ほかのコースは progress.report(\"{now}\") の名前を変えて見ます。")
    return "\n".join(lines)


def report(program: str | None = None) -> str:
    program = program or current_program()
    rows = summary(program)
    lines = [f"{get_program(program).title}: これまでの進みぐあい（チェックに通った数 / 全部の数）"]
    for r in rows:
        mark = "✅" if r["done"] == r["total"] else ("▶" if r["done"] else "・")
        lines.append(f"{mark} {r['title']}（{r['id']}）: {r['done']} / {r['total']}")
    todo = next((r for r in rows if r["done"] < r["total"]), None)
    if todo is None:
        lines.append("🎉 全部の課題のチェックに通りました。おつかれさまでした。")
    else:
        lines.append(f"次は「{todo['title']}」の「{todo['next_title']}」です（フォルダー selfstudy/{todo['id']}/ の中のノート）。")
    return "\n".join(lines)


def chart(program: str | None = None):
    """A bar per assignment: the share of checks passed, with Japanese labels."""
    import matplotlib.pyplot as plt
    import matplotlib_fontja  # noqa: F401  (Japanese font, shipped with the package)

    program = program or current_program()
    rows = summary(program)
    fig, ax = plt.subplots(figsize=(7, 0.45 * len(rows) + 1))
    ax.barh([r["title"] for r in rows][::-1], [r["done"] / max(r["total"], 1) * 100 for r in rows][::-1], color="#3f51b5")
    ax.set_xlim(0, 100)
    ax.set_xlabel("チェックに通った割合（%）")
    ax.set_title(f"{get_program(program).title} の進みぐあい")
    fig.tight_layout()
    return fig
