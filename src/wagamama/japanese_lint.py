"""Lint the Japanese in notebooks' markdown cells and in the guides with textlint (npm) and .textlintrc.json.

`python -m wagamama.japanese_lint [NOTEBOOK_OR_MD ...]` prints each problem as file, cell id, line,
and exits 1 when there are any. Files default to the notebooks in curriculum/ and exercises/, the
facilitator guides in curriculum/guides/ and exercises/GUIDE.md.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from .locations import content_root


def textlint_binary() -> Path | None:
    path = content_root() / "node_modules" / ".bin" / "textlint"
    return path if path.exists() else None


def notebooks() -> list[Path]:
    root = content_root()
    return sorted(p for d in ("curriculum", "exercises") for p in (root / d).rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts)


def guides() -> list[Path]:
    """The facilitator guides and the guide for instructors who write assignments."""
    root = content_root()
    return sorted((root / "curriculum" / "guides").glob("*.md")) + [root / "exercises" / "GUIDE.md"]


def lint(paths: list[Path]) -> list[str]:
    binary = textlint_binary()
    if binary is None:
        raise FileNotFoundError("textlint is not installed: run `make system-deps` (npm ci)")
    problems = []
    with tempfile.TemporaryDirectory() as tmp:
        where = {}
        for nb_path in paths:
            if nb_path.suffix == ".md":  # a guide: linted as it is, "cell" is the file itself
                md = Path(tmp) / f"{len(where):04d}.md"
                md.write_text(nb_path.read_text(encoding="utf-8"), encoding="utf-8")
                where[str(md)] = (nb_path, "-")
                continue
            nb = nbformat.read(nb_path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "markdown" and "### BEGIN SOLUTION" not in cell.source:
                    md = Path(tmp) / f"{len(where):04d}.md"
                    md.write_text(cell.source + "\n", encoding="utf-8")
                    where[str(md)] = (nb_path, cell.get("id", "?"))
        if not where:
            return []
        run = subprocess.run([str(binary), "--config", str(content_root() / ".textlintrc.json"), "--format", "json", *where],
                             capture_output=True, text=True, cwd=content_root())
        if run.returncode not in (0, 1):
            raise RuntimeError(f"textlint failed: {run.stderr.strip()}")
        for result in json.loads(run.stdout or "[]"):
            nb_path, cell_id = where[result["filePath"]]
            for m in result["messages"]:
                rel = nb_path.relative_to(content_root()) if nb_path.is_relative_to(content_root()) else nb_path
                problems.append(f"{rel} セル {cell_id} {m['line']}行目: {m['message']} ({m['ruleId']})")
    return problems


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    problems = lint([Path(a).resolve() for a in argv] or notebooks() + guides())
    print("\n".join(problems) if problems else "textlint: 問題はありません。")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
