"""Designs as plain data (a dict or YAML text), and the checks that say in Japanese what is missing.

``load_design`` builds an App and refuses only what cannot be built (an unknown type, a bad or repeated
name, an unknown property, an event of a missing component), listing every such problem at once.
``problems`` then says what an unfinished design still lacks: a button that does nothing, a screen no
one can reach, a text that is empty, a store tag that is read but never stored.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from . import actions
from .components import App, Component, DesignError, Screen

DESIGN_KEYS = {"app", "AppName", "screens"}
SCREEN_KEYS = {"name", "components", "events"}


def _read(design) -> dict:
    if isinstance(design, Path) or (isinstance(design, str) and design.strip().endswith((".yaml", ".yml"))):
        design = Path(design).read_text(encoding="utf-8")
    if isinstance(design, str):
        try:
            design = yaml.safe_load(design)
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            where = f"{mark.line + 1}行目" if mark else "どこか"
            raise DesignError(f"設計の YAML が読めません（{where}）。字下げ（行の始めの空白）と「:」のあとの空白を確かめます。") from None
    if not isinstance(design, dict):
        raise DesignError("設計は辞書（{ } で囲んだもの）で書きます。見本の形を確かめます。")
    return design


def _add_components(parent: Component, items, where: str, found: list[str]) -> None:
    if not isinstance(items, list):
        found.append(f"{where}: components は、部品のリスト（[ ] で囲んだもの）で書きます。")
        return
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or "type" not in item or "name" not in item:
            found.append(f"{where} の {n} 番目の部品: \"type\" と \"name\" を書きます（例: {{\"type\": \"Button\", \"name\": \"Button1\"}}）。")
            continue
        props = {k: v for k, v in item.items() if k not in ("type", "name", "components")}
        try:
            component = parent.add(item["type"], item["name"], **props)
        except (DesignError, AttributeError) as e:
            found.append(f"{where} の {n} 番目の部品（{item['name']}）: {e}")
            continue
        if "components" in item:
            _add_components(component, item["components"], f"{where} > {component.name}", found)


def load_design(design) -> App:
    """Build an App from a design dict, YAML text or a .yaml file; DesignError lists what cannot be built."""
    design = _read(design)
    found = [f"設計に「{k}」という項目はありません。使えるのは app、AppName、screens です。"
             for k in design if k not in DESIGN_KEYS]
    try:
        app = App(design.get("app", ""), design.get("AppName"))
    except DesignError as e:
        raise DesignError(found + e.problems) from None
    screens = design.get("screens")
    if not isinstance(screens, list) or not screens:
        raise DesignError(found + ["screens に、画面を1つ以上書きます（最初の画面は Screen1 です）。"])
    built: list[tuple[Screen, dict]] = []
    for n, spec in enumerate(screens, 1):
        if not isinstance(spec, dict):
            found.append(f"{n} 番目の画面が辞書になっていません。{{\"name\": \"Screen1\", ...}} の形で書きます。")
            continue
        props = {k: v for k, v in spec.items() if k not in SCREEN_KEYS}
        try:
            built.append((app.screen(spec.get("name", ""), **props), spec))
        except (DesignError, AttributeError) as e:
            found.append(f"{n} 番目の画面: {e}")
    for screen, spec in built:
        _add_components(screen, spec.get("components", []), screen.name, found)
    for screen, spec in built:
        events = spec.get("events", [])
        if not isinstance(events, list):
            found.append(f"{screen.name}: events は、イベントのリストで書きます。")
            continue
        for event in events:
            if not isinstance(event, dict) or "when" not in event or "do" not in event:
                found.append(f"{screen.name} のイベント {event!r}: \"when\" と \"do\" を書きます"
                             "（例: {\"when\": \"Button1.Click\", \"do\": [...]}）。")
                continue
            try:
                screen.when(str(event["when"]), do=event["do"])
            except DesignError as e:
                where = f"{screen.name} のイベント {event['when']}"
                found += [f"{screen.name} の {p}" if p.startswith(str(event["when"])) else f"{where}: {p}"
                          for p in e.problems]
    if found:
        raise DesignError(found)
    return app


def check_design(design) -> list[str]:
    """Every problem of a design, as Japanese messages; [] when it is complete. Never raises."""
    try:
        return load_design(design).problems()
    except DesignError as e:
        return e.problems


# --- what an unfinished design still lacks ---------------------------------------------------------

def _code_constants(func) -> tuple[set[str], set[str]]:
    """Names and string constants a Python handler uses (nested functions included)."""
    names, consts, todo = set(), set(), [getattr(func, "__code__", None)]
    while todo:
        code = todo.pop()
        if code is None:
            continue
        names |= set(code.co_names)
        for c in code.co_consts:
            if isinstance(c, str):
                consts.add(c)
            elif hasattr(c, "co_names"):
                todo.append(c)
    return names, consts


def _handlers(screen: Screen):
    for component in [screen, *screen.walk()]:
        for event, handler in component.handlers.items():
            yield component, event, handler


def _opens(screen: Screen) -> set[str]:
    targets = set()
    for _, _, handler in _handlers(screen):
        if isinstance(handler, list):
            targets |= {step["open"] for step in handler if "open" in step}
        else:
            names, consts = _code_constants(handler)
            if "open_screen" in names:
                targets |= consts & set(screen.app.screens)
    return targets


def problems(app: App) -> list[str]:
    found: list[str] = []
    for screen in app.screens.values():
        if not screen.children:
            found.append(f"{screen.name}（画面）: 部品がありません。ラベルやボタンを置きます。")
        set_targets, python = set(), False
        for _, _, handler in _handlers(screen):
            if isinstance(handler, list):
                set_targets |= {step["set"] for step in handler if "set" in step}
            else:
                python = True
        for c in screen.walk():
            where = f"{c.name}（{screen.name} の{c.kind.label}）"
            if c.type == "Button" and not c.handlers:
                label = f"「{c.Text}」" if c.Text else ""
                found.append(f"{where}{label}: 押されたときの動きがありません。"
                             f"イベント {c.name}.Click に、することを書きます。")
            if c.kind.needs_text and not c.Text.strip():
                found.append(f"{where}: Text が空です。使う人に見える言葉を書きます（例: 「保存する」）。")
            if c.type == "Label" and not c.Text.strip() and f"{c.name}.Text" not in set_targets and not python:
                found.append(f"{where}: Text が空で、どのイベントでも文字が入りません。最初に見せる言葉を書くか、"
                             f"イベントで {c.name}.Text に文字を入れます。")
            if c.type == "ListView" and not c.Elements and f"{c.name}.Elements" not in set_targets and not python:
                found.append(f"{where}: Elements（選ぶもの）が空です。[\"月\", \"火\"] のように書きます。")
            if c.kind.container and not c.children:
                found.append(f"{where}: 中に部品がありません。並べる部品を入れるか、この部品を消します。")
    reached, todo = {"Screen1"}, ["Screen1"]
    while todo:
        for target in _opens(app.screens[todo.pop()]) - reached:
            reached.add(target)
            todo.append(target)
    for name in app.screens:
        if name not in reached and "Screen1" in app.screens:
            found.append(f"{name}（画面）: どの画面からも開けません。ほかの画面のボタンのイベントに "
                         f"{{\"open\": \"{name}\"}} を書きます。")
    stored, read, python_consts = set(), {}, set()
    for screen in app.screens.values():
        for component, event, handler in _handlers(screen):
            if isinstance(handler, list):
                stored |= {step["tag"] for step in handler if "store" in step}
                for value in actions.values(handler):
                    if isinstance(value, dict) and "tag" in value:
                        read.setdefault(value["tag"], f"{component.name}.{event}")
            else:
                names, consts = _code_constants(handler)
                if "store_value" in names:
                    python_consts |= consts
    for tag, where in read.items():
        if tag not in stored and tag not in python_consts:
            near = [t for t in stored if t.startswith(tag) or tag.startswith(t)]
            found.append(f"{where}: 名札（タグ）「{tag}」を読み出していますが、どこでも保存していません。"
                         + (f"保存しているのは「{'」「'.join(sorted(near or stored))}」です。同じ名札にそろえます。"
                            if stored else "store で保存する動きを書きます。"))
    return found


# --- back to data ----------------------------------------------------------------------------------

def _component_data(c: Component) -> dict:
    data = {"type": c.type, "name": c.name, **c.properties()}
    if c.children:
        data["components"] = [_component_data(child) for child in c.children]
    return data


def to_design(app: App) -> dict:
    """The design as plain data (load_design of it builds the same app). Python handlers are named,
    not included: they live in the notebook's code."""
    screens = []
    for screen in app.screens.values():
        props = {k: v for k, v in screen.properties().items() if k != "AppName"}
        events = [{"when": f"{c.name}.{event}", "do": h} if isinstance(h, list)
                  else {"when": f"{c.name}.{event}", "python": getattr(h, "__name__", "?")}
                  for c, event, h in _handlers(screen)]
        screens.append({"name": screen.name, **props,
                        "components": [_component_data(c) for c in screen.children], "events": events})
    return {"app": app.name, "AppName": app.AppName, "screens": screens}
