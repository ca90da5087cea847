"""Her own material, carried from module to module: the files she saved, found where earlier modules put them,
and her app (design, Python handlers and the data they use) kept in one file and opened again elsewhere.

- ``find("my_sekkei.json")``: the newest of that file in this folder, in the lesson and assignment folders that
  write it (``05_sekkei``, ``ex05_sekkei``), beside this folder or one level up (a cohort's folder, Binder's
  ``selfstudy/``). None when she has none.
- ``my_design()``: her design from module 5, or the clearly labelled sample when she has none.
- ``save_app(app)`` writes ``my_app.json``: the design, the source of each Python handler, the helper functions
  and plain data those use, and where TinyDB keeps the app's data. ``load_app`` builds the same app again, with
  the same handlers, in another notebook (module 7, module 9, the Voilà page on her phone).
- ``my_app()``: her app from ``my_app.json``, else from her design, else the labelled sample app.

``load_app`` runs the handlers' code: her own code, in her own kernel. Nothing in the grading process calls it.
"""

from __future__ import annotations

import builtins
import copy
import inspect
import json
import linecache
import os
import shutil
import textwrap
import types
from pathlib import Path

from .components import App, Component, DesignError
from .design import load_design

WHERE = {
    "my_wagamama.json": ("01_kakidasu", "02_yusen", "ex01_wagamama"),
    "my_mondai.json": ("03_kotoba", "ex03_mondai"),
    "my_idea.json": ("04_idea", "ex04_idea"),
    "my_sekkei.json": ("05_sekkei", "ex05_sekkei"),
    "my_app.json": ("06_app", "ex06_app", "07_hozon", "09_happyou", "ex09_happyou"),
    "my_pitch.md": ("09_happyou", "ex09_happyou"),
}
FORMAT = "wagamama-app 1"
SAMPLE_MARK = "（見本）"


def candidates(name: str, here: str | Path | None = None) -> list[Path]:
    """Every copy of ``name`` where the modules save it, seen from ``here`` (this folder by default)."""
    here = Path(here or Path.cwd()).resolve()
    folders = WHERE.get(name, ())
    found = [here / name]
    for up in (here.parent, here.parent.parent):
        found += [up / f / name for f in folders]
    found += [p / name for f in folders for p in sorted(here.parent.parent.glob(f"*/{f}"))]
    unique = []
    for p in found:
        if p.is_file() and p.resolve() not in [u.resolve() for u in unique]:
            unique.append(p)
    return unique


def find(name: str, here: str | Path | None = None) -> Path | None:
    """Her newest ``name`` (by the time it was saved), or None."""
    found = candidates(name, here)
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _say(quiet: bool, text: str) -> None:
    if not quiet:
        print(text)


# --- her design (module 5) -------------------------------------------------------------------------------

SAMPLE_DESIGN = {
    "app": "touyu_mihon",
    "AppName": "灯油の配達日" + SAMPLE_MARK,
    "screens": [
        {"name": "Screen1", "Title": "灯油の配達日" + SAMPLE_MARK,
         "components": [
             {"type": "Label", "name": "Label1", "Text": "次の配達日は？"},
             {"type": "Button", "name": "Button1", "Text": "次はいつ？"},
             {"type": "Button", "name": "Button2", "Text": "配達の日を変える"},
             {"type": "TinyDB", "name": "TinyDB1"},
         ],
         "events": [
             {"when": "Button1.Click", "do": [
                 {"set": "Label1.Text", "to": {"get": "TinyDB1", "tag": "haitatsu", "default": "まだ決めていません"}}]},
             {"when": "Button2.Click", "do": [{"open": "Screen2"}]},
         ]},
        {"name": "Screen2", "Title": "配達の日を変える",
         "components": [
             {"type": "TextBox", "name": "TextBox1", "Hint": "例: 隔週火 2026-01-06から"},
             {"type": "Button", "name": "Button3", "Text": "保存する"},
             {"type": "TinyDB", "name": "TinyDB2"},
             {"type": "Notifier", "name": "Notifier1"},
         ],
         "events": [
             {"when": "Button3.Click", "do": [
                 {"store": "TinyDB2", "tag": "haitatsu", "value": {"get": "TextBox1.Text"}},
                 {"alert": "保存しました"}]},
         ]},
    ],
}
SAMPLE_STORY = {"問題文": "一人暮らしの高齢者は、冬の灯油の配達のときに、隔週の配達日を忘れて、灯油を切らすことで困っている。",
                "アイデア": "次の配達日を、スマートフォンですぐに見られるようにする", "型": "yotei"}


def read_saved_design(path: Path) -> dict | None:
    """The design inside a saved my_sekkei.json (module 5 saves {"設計": …, "問題文": …}), if it loads."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    design = data.get("設計") if isinstance(data, dict) and "設計" in data else data
    if not isinstance(design, dict):
        return None
    try:
        load_design(design)
    except DesignError:
        return None
    return design


def my_design(keep_copy: bool = True, quiet: bool = False) -> dict:
    """Her design from module 5 (my_sekkei.json); the labelled sample when she has none.

    ``keep_copy``: a copy goes into this folder, so that it travels with this notebook (an assignment she
    hands in carries the design it was built from)."""
    for path in sorted(candidates("my_sekkei.json"), key=lambda p: -p.stat().st_mtime):
        design = read_saved_design(path)
        if design is None:
            _say(quiet, f"⚠️ {path} は読めないので使いません（設計の形が、こわれています）。")
            continue
        if keep_copy and path.resolve() != (Path.cwd() / "my_sekkei.json").resolve():
            shutil.copy2(path, Path.cwd() / "my_sekkei.json")
        _say(quiet, f"【あなたの設計】{path} を読み込みました: {design.get('AppName') or design.get('app')}")
        return design
    _say(quiet, "【見本の設計を使います】my_sekkei.json が見つかりませんでした。モジュール5（または課題5）の最後のセルで、"
                "設計を保存すると、次からはあなたの設計になります。見本のアプリの名前には「見本」とついています。")
    return copy.deepcopy(SAMPLE_DESIGN)


def story(quiet: bool = True) -> dict:
    """Her problem statement, idea and pattern saved with the design (module 5), or the sample's."""
    path = find("my_sekkei.json")
    if path is not None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(data, dict):
                return {k: data.get(k) for k in ("問題文", "アイデア", "型")}
        except (OSError, ValueError):
            pass
    _say(quiet, "【見本の問題文とアイデア】my_sekkei.json が見つかりませんでした。")
    return dict(SAMPLE_STORY)


# --- her app: saved and opened again -----------------------------------------------------------------------

def _source(func) -> str | None:
    try:
        text = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return None
    lines = text.splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)  # the decorator connects it; load_app connects it again
    return "\n".join(lines) + "\n"


def _names(code) -> set[str]:
    names, todo = set(), [code]
    while todo:
        c = todo.pop()
        names |= set(c.co_names)
        todo += [k for k in c.co_consts if isinstance(k, types.CodeType)]
    return names


def _plain(value) -> bool:
    try:
        return json.loads(json.dumps(value, ensure_ascii=False)) == value
    except (TypeError, ValueError):
        return False


class _Collector:
    def __init__(self, app: App):
        self.app = app
        self.saved = {"関数": {}, "データ": {}, "部品の変数": {}, "import": [], "アプリの変数": [], "保存できないもの": []}

    def take(self, func, seen: set[str]) -> None:
        code = func.__code__
        outer = dict(zip(code.co_freevars, [c.cell_contents for c in func.__closure__ or ()], strict=False))
        for name in sorted(_names(code) | set(code.co_freevars)):
            if name in seen or (name not in outer and name not in func.__globals__) or \
                    (name not in outer and hasattr(builtins, name)):
                continue
            seen.add(name)
            value = outer[name] if name in outer else func.__globals__[name]
            if value is self.app:
                self.saved["アプリの変数"].append(name)
            elif isinstance(value, Component):
                if value.app is self.app:
                    self.saved["部品の変数"][name] = value.name
            elif isinstance(value, types.ModuleType):
                self.saved["import"].append([value.__name__, None, name])
            elif callable(value) and getattr(value, "__module__", "") in ("__main__", func.__module__) \
                    and getattr(value, "__code__", None) is not None and _source(value):
                self.saved["関数"][name] = _source(value)
                self.take(value, seen)
            elif callable(value) and getattr(value, "__module__", None) and getattr(value, "__name__", None):
                self.saved["import"].append([value.__module__, value.__name__, name])
            elif _plain(value):
                self.saved["データ"][name] = value
            else:
                self.saved["保存できないもの"].append(name)


def save_app(app: App, path: str | Path = "my_app.json", quiet: bool = False, **about) -> Path | None:
    """Keep ``app`` in one file (my_app.json): its design, its Python handlers with what they use, where its
    data is. ``about``: anything else to keep with it (「型」「問題文」…). The labelled sample is never saved
    (a sample file must not stand in for hers later)."""
    path = Path(path)
    if SAMPLE_MARK in str(app.AppName):
        _say(quiet, "見本のアプリなので、保存しませんでした。あなたの設計（my_sekkei.json）ができたら、あなたのアプリを保存します。")
        return None
    collector = _Collector(app)
    handlers, lost = [], []
    for component in [*app.screens.values(), *app.components()]:
        for event, handler in component.handlers.items():
            if isinstance(handler, list):
                continue
            code = _source(handler)
            if code is None:
                lost.append(f"{component.name}.{event}")
                continue
            handlers.append({"when": f"{component.name}.{event}", "name": handler.__name__, "code": code})
            collector.take(handler, {handler.__name__})
    design = app.to_design()
    for screen in design["screens"]:
        screen["events"] = [e for e in screen["events"] if "do" in e]
    try:
        data_dir = os.path.relpath(app.data_dir.resolve(), path.resolve().parent)
    except ValueError:  # another drive (Windows)
        data_dir = str(app.data_dir.resolve())
    record = {"形式": FORMAT, "設計": design, "python": handlers, **collector.saved, "データの場所": data_dir, **about}
    path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
    _say(quiet, f"💾 アプリを {path} に保存しました（画面 {len(app.screens)}、部品 {len(list(app.components()))}、"
                f"Python の動き {len(handlers)}）。")
    for what in lost:
        _say(quiet, f"⚠️ {what} の関数は、保存できませんでした。def で書いた関数にすると、保存できます。")
    for name in collector.saved["保存できないもの"]:
        _say(quiet, f"⚠️ 動きの中で使っている {name} は、保存できませんでした。文字、数、リスト、辞書にすると保存できます。")
    return path


def _run_code(code: str, ns: dict, filename: str) -> None:
    """Run a handler's saved code; its text stays known to inspect, so the app can be saved again."""
    linecache.cache[filename] = (len(code), None, code.splitlines(keepends=True), filename)
    exec(compile(code, filename, "exec"), ns)  # noqa: S102 (her own code, in her own kernel)


def load_app(path: str | Path = "my_app.json") -> App:
    """The app kept by save_app, with its handlers connected again and its data where it was."""
    path = Path(path)
    record = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(record, dict) or record.get("形式") != FORMAT:
        raise DesignError(f"{path} は、save_app で保存したアプリのファイルではありません。")
    app = load_design(record["設計"])
    place = Path(record.get("データの場所") or Path("app_data") / app.name)
    app.data_dir = place if place.is_absolute() else (path.resolve().parent / place)
    ns: dict = {"__name__": "__main__", "__builtins__": builtins, "app": app}
    from . import patterns
    ns.update({name: getattr(patterns, name) for name in patterns.__all__})
    for module, attr, alias in record.get("import", []):
        try:
            mod = __import__(module, fromlist=["_"])
            ns[alias] = getattr(mod, attr) if attr else mod
        except (ImportError, AttributeError):
            continue
    for name in record.get("アプリの変数", []):
        ns[name] = app
    ns.update({c.name: c for c in [*app.screens.values(), *app.components()]})
    ns.update({alias: app[name] for alias, name in record.get("部品の変数", {}).items() if app.find(name)})
    ns.update(copy.deepcopy(record.get("データ", {})))

    for name, code in record.get("関数", {}).items():
        _run_code(code, ns, f"<{path.name} {name}>")
    for h in record.get("python", []):
        _run_code(h["code"], ns, f"<{path.name} {h['name']}>")
        component, _, event = h["when"].rpartition(".")
        app[component].when(event, ns[h["name"]])
    app.origin = str(path)
    return app


# --- the sample app: what appears only when she has nothing yet ----------------------------------------------

SAMPLE_CODE = '''
def miseru():
    itsu = TinyDB1.get_value("haitatsu", "隔週火 2026-01-06から")
    Label1.Text = tsugi_no_hi_bun("灯油の配達", itsu)
'''


def sample_app() -> App:
    """The labelled sample app (灯油の配達日（見本）), with its Python handler."""
    app = load_design(copy.deepcopy(SAMPLE_DESIGN))
    from . import patterns
    ns = {"__name__": "__main__", "app": app, **{name: getattr(patterns, name) for name in patterns.__all__}}
    ns.update({c.name: c for c in app.components()})
    _run_code(SAMPLE_CODE, ns, "<見本のアプリ>")
    app["Button1"].on_click(ns["miseru"])
    app.origin = "見本"
    return app


def my_app(quiet: bool = False) -> App:
    """Her app: from my_app.json (module 6, 7 or 9), else built from her design (module 5), else the sample."""
    path = find("my_app.json")
    if path is not None:
        try:
            app = load_app(path)
        except (OSError, ValueError, DesignError, SyntaxError, NameError) as e:
            _say(quiet, f"⚠️ {path} からアプリを作れませんでした（{e}）。設計から作ります。")
        else:
            _say(quiet, f"【あなたのアプリ】{path} から「{app.AppName}」を開きました。")
            return app
    design_path = find("my_sekkei.json")
    design = read_saved_design(design_path) if design_path else None
    if design is not None:
        app = load_design(design)
        app.origin = str(design_path)
        _say(quiet, f"【あなたの設計】{design_path} から「{app.AppName}」を作りました。"
                    "Python の動きは、モジュール6で my_app.json に保存すると、ここにも入ります。")
        return app
    _say(quiet, "【見本のアプリを使います】my_app.json も my_sekkei.json も見つかりませんでした。"
                "見本のアプリの名前には「見本」とついています。")
    return sample_app()


# --- the page she opens on her phone ------------------------------------------------------------------------

PAGE_CODE = "from wagamama.app.saved import my_app\n\napp = my_app(quiet=True)\napp.preview()"


def write_page(dest: str | Path = "my_app_page.ipynb", pitch: str | None = None) -> Path:
    """A small notebook for the Voilà page: her pitch (Markdown) and her app, nothing else."""
    import nbformat

    cells = []
    if pitch:
        cells.append(nbformat.v4.new_markdown_cell(pitch, id="pitch"))
    cells.append(nbformat.v4.new_code_cell(PAGE_CODE, id="app"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    dest = Path(dest)
    nbformat.write(nb, dest)
    return dest


def describe_app(app: App) -> str:
    """Her app in words, for the pitch: screens, what each button says, what is kept."""
    parts = []
    for screen in app.screens.values():
        buttons = [f"「{c.Text}」" for c in screen.walk() if c.type == "Button" and c.Text]
        shown = f"{screen.Title or screen.name}の画面"
        parts.append(shown + (f"には、{'、'.join(buttons)}のボタンがあります。" if buttons else "があります。"))
    kept = sorted({step["tag"] for c in [*app.screens.values(), *app.components()] for h in c.handlers.values()
                   if isinstance(h, list) for step in h if "store" in step})
    if kept:
        parts.append("覚えておくことの名札は、" + "、".join(f"「{k}」" for k in kept) + "です。")
    return f"画面は{len(app.screens)}つです。" + "".join(parts)
