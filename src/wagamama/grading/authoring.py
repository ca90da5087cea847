"""Test cells that the judge can run: checked when an assignment is generated, not when it is graded.

A test cell runs in the grading process (:mod:`wagamama.grading.judge`), not in the learner's kernel.
It may use ``wagamama.check``, Python's builtins, a few standard modules it imports itself, the names
test cells define, and the learner's names: those that answer cells define, and objects the set-up
cells make for her (an app, its components). It must not rely on what only exists inside the
learner's interpreter. :class:`CheckTestCells` runs first in nbgrader's GenerateAssignment (the
cohort's ``nbgrader_config.py``) and stops generation with a Japanese message that names the cell
and says how to write it instead. exercises/GUIDE.md explains the same to an instructor.
"""

from __future__ import annotations

import ast
import builtins

from nbgrader import utils as nbutils
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import check

MODULES = {"json", "re", "math", "csv", "io", "unicodedata", "datetime", "statistics", "collections", "itertools",
           "functools", "pandas", "wagamama.check", "wagamama.app"}
FORBIDDEN = {
    "get_ipython": "テストは受講者のカーネルの外で動くので、IPython はありません",
    "globals": "テストの外の名前は、名前をそのまま書けば受講者のカーネルから読めます",
    "locals": "名前をそのまま書きます",
    "vars": "名前をそのまま書きます",
    "eval": "テストの中では使えません",
    "exec": "テストの中では使えません",
    "compile": "テストの中では使えません",
    "__import__": "import 文で、決まったモジュールだけを読み込みます",
    "open": "受講者のフォルダのファイルは learner_file(\"名前\")、課題のデータは assignment_file(\"data/…\") で開きます",
    "Path": "受講者のフォルダのファイルは learner_file(\"名前\")、課題のデータは assignment_file(\"data/…\") で開きます",
    "input": "テストの中では使えません",
    "breakpoint": "テストの中では使えません",
    "display": "チェックの結果は print で出します",
}


class AuthoringError(Exception):
    """A test cell the judge cannot run as written (the message is Japanese and names the cell)."""


APP_MAKERS = {"App", "load_design", "screen", "add"}  # calls that make the learner's app or its components


def _app_objects(tree: ast.AST) -> set[str]:
    """Names a set-up cell binds to the app toolkit's objects (``app = App(…)``, ``Button1 = s.add(…)``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            func = node.value.func
            called = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if called in APP_MAKERS:
                found |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return found


def _defined(tree: ast.AST) -> tuple[set[str], set[str]]:
    """(every name the code binds, the names it binds with def or class)."""
    names, functions = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            functions.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names, functions


def _parse(cell) -> ast.AST | None:
    try:
        return ast.parse(cell.source)
    except SyntaxError:
        return None


def problems(nb) -> list[str]:
    """Everything that would make the notebook's test cells unjudgeable, in Japanese (empty: all fine)."""
    learner, setup, setup_functions, app_objects = set(), set(), set(), set()
    for cell in nb.cells:
        if cell.cell_type != "code" or (nbutils.is_grade(cell) and not nbutils.is_solution(cell)):
            continue
        tree = _parse(cell)
        if tree is None:
            continue
        names, functions = _defined(tree)
        if nbutils.is_solution(cell):
            learner |= names
        else:
            setup |= names
            setup_functions |= functions
            app_objects |= _app_objects(tree)
    found: list[str] = []
    shadowing = sorted(n for n in learner if hasattr(builtins, n) or n in check.__all__)
    if shadowing:
        found.append(f"答えのセルの名前 {'、'.join(shadowing)} が、Python か wagamama.check の名前と同じです。"
                     "テストから受講者の答えとして読めないので、別の名前にします。")
    tested: set[str] = set(check.__all__)
    for cell in nb.cells:
        if cell.cell_type != "code" or not (nbutils.is_grade(cell) and not nbutils.is_solution(cell)):
            continue
        where = f"テストのセル {cell.metadata.get('nbgrader', {}).get('grade_id', '?')}"
        tree = _parse(cell)
        if tree is None:
            found.append(f"{where}: Python として読めません（% や ! のコマンドは使えません）。")
            continue
        own, _ = _defined(tree)
        tested |= own
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr.startswith("__"):
                found.append(f"{where}: {node.attr} のような「__」で始まる属性は、受講者のカーネルの中にしかありません。"
                             "関数は呼び出した結果で確かめます。")
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                modules = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
                for module in modules:
                    if module not in MODULES:
                        found.append(f"{where}: モジュール {module} はテストの中では使えません"
                                     f"（使えるもの: {'、'.join(sorted(MODULES))}）。")
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                name = node.id
                if name in FORBIDDEN:
                    found.append(f"{where}: {name} は使えません。{FORBIDDEN[name]}。")
                elif name in tested or name in learner or name in app_objects or hasattr(builtins, name):
                    continue
                elif name in setup_functions:
                    found.append(f"{where}: 準備のセルの関数 {name} を使っています。採点のときは受講者のカーネルで動くので、"
                                 "結果を受講者が変えられます。関数はテストのセル（見えるテストの部分）か wagamama のパッケージに書きます。")
                elif name in setup:
                    found.append(f"{where}: 準備のセルの {name} を使っています。採点のときは受講者のカーネルにあり、"
                                 "受講者が変えられます。くらべる値やデータは、テストのセルの中で作ります"
                                 "（課題のデータは assignment_file(\"data/…\") で読みます）。")
                else:
                    found.append(f"{where}: 名前 {name} がどこにもありません（答えのセルにも、テストのセルにも）。")
    return list(dict.fromkeys(found))


class CheckTestCells(NbGraderPreprocessor):
    """Stop nbgrader's generate_assignment when a test cell is written the way the judge cannot run."""

    def preprocess(self, nb, resources):
        found = problems(nb)
        if found:
            notebook = resources.get("unique_key", "ノート")
            message = (f"{notebook}: テストのセルの書き方を直してください（exercises/GUIDE.md）。"
                       + " / ".join(found))
            self.log.error(message)
            raise AuthoringError(message)
        return nb, resources
