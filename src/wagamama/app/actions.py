"""Simple actions written as data: what an event does when it is not a Python function.

These are the handlers a beginner writes in a design, and the ones the .aia export turns into
blocks faithfully. An action is one dict:

- ``{"set": "Label1.Text", "to": <value>}``                       set a property
- ``{"store": "TinyDB1", "tag": "mukae", "value": <value>}``       TinyDB.StoreValue
- ``{"alert": <value>}``                                            Notifier.ShowAlert (first Notifier of the screen)
- ``{"open": "Screen2"}``                                           open another screen
- ``{"back": true}``                                                close this screen (back to the one that opened it)

A <value> is a literal (text, number, True/False), ``{"get": "TextBox1.Text"}``, ``{"get": "TinyDB1", "tag": t,
"default": d}`` (TinyDB.GetValue) or ``{"join": [<value>, ...]}``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .components import Screen

VERBS = ("set", "store", "alert", "open", "back")


def _said(value) -> str:
    """How a value looks to the learner: ``...`` is what they typed, not "Ellipsis"."""
    return "..." if value is Ellipsis else str(value)


def _value_problems(value, screen: Screen, where: str) -> list[str]:
    if value is Ellipsis:
        return [f"{where}: ... のところが、まだ残っています。... を消して、値を書きます。"]
    if value is None:
        return [f"{where}: 値がありません。文字か数を書きます。"]
    if isinstance(value, str | int | float):  # bool is an int: True / False for Enabled, Checked ...
        return []
    if isinstance(value, dict) and set(value) == {"join"}:
        parts = value["join"]
        if not isinstance(parts, list) or not parts:
            return [f"{where}: join には、つなぐものをリストで書きます（例: {{\"join\": [\"迎えは \", ...]}}）。"]
        return [p for part in parts for p in _value_problems(part, screen, where)]
    if isinstance(value, dict) and "get" in value:
        target = value["get"]
        if "tag" in value:
            return _component_problems(target, "TinyDB", screen, where)
        return _property_problems(target, screen, where)
    return [f"{where}: 値 {value!r} が読めません。文字、数、{{\"get\": \"TextBox1.Text\"}} のどれかで書きます。"]


def _elsewhere(component, screen: Screen, where: str) -> list[str]:
    if component is None:
        return []
    return [f"{where}: {component.name} は {component.screen.name} の部品です。イベントの動きで使えるのは、同じ画面"
            f"（{screen.name}）の部品だけです。{screen.name} にも部品を置きます（保存の TinyDB なら、画面ごとに1つ置き、"
            "同じ名札を使えば中身は共有されます）。"]


def _component_problems(name, type_: str, screen: Screen, where: str) -> list[str]:
    component = screen.app.find(name) if isinstance(name, str) else None
    if component is not None and component.screen is not screen:
        return _elsewhere(component, screen, where)
    if component is None:
        return [f"{where}: 「{_said(name)}」という部品が、この画面（{screen.name}）にありません。名前のつづりを確かめます。"]
    if component.type != type_:
        return [f"{where}: {name} は {component.type} です。ここには {type_} の部品の名前を書きます。"]
    return []


def _property_problems(target, screen: Screen, where: str) -> list[str]:
    name, dot, prop = target.partition(".") if isinstance(target, str) else ("", "", "")
    if not dot:
        return [f"{where}: 「{target}」は「部品の名前.プロパティ」の形で書きます（例: Label1.Text）。"]
    component = screen.app.find(name)
    if component is not None and component.screen is not screen:
        return _elsewhere(component, screen, where)
    if component is None:
        return [f"{where}: 「{name}」という部品が、この画面（{screen.name}）にありません。名前のつづりを確かめます。"]
    if prop not in component._props:
        return [f"{where}: " + component._unknown(prop)]
    return []


def problems(steps, screen: Screen, where: str) -> list[str]:
    """Japanese messages for actions that cannot run; [] when all can."""
    if not isinstance(steps, list):
        return [f"{where}: do には、動きをリストで書きます（例: [{{\"set\": \"Label1.Text\", \"to\": \"こんにちは\"}}]）。"]
    found = []
    for step in steps:
        verbs = [v for v in VERBS if isinstance(step, dict) and v in step]
        if step is Ellipsis:
            found.append(f"{where}: ... のところが、まだ残っています。... を消して、動きを書きます。")
            continue
        if len(verbs) != 1:
            found.append(f"{where}: 動き {step!r} が読めません。set、store、alert、open、back のどれか1つで始めます。")
            continue
        verb = verbs[0]
        if verb == "set":
            found += _property_problems(step["set"], screen, where)
            found += (_value_problems(step["to"], screen, where) if "to" in step
                      else [f"{where}: set には、入れる値を \"to\" で書きます。"])
        elif verb == "store":
            found += _component_problems(step["store"], "TinyDB", screen, where)
            if not isinstance(step.get("tag"), str) or not step.get("tag", "").strip():
                found.append(f"{where}: store には、保存の名札（タグ）を \"tag\" で書きます。")
            found += (_value_problems(step["value"], screen, where) if "value" in step
                      else [f"{where}: store には、保存する値を \"value\" で書きます。"])
        elif verb == "alert":
            found += _value_problems(step["alert"], screen, where)
            if not any(c.type == "Notifier" for c in screen.walk()):
                found.append(f"{where}: alert を使うには、この画面（{screen.name}）に Notifier を置きます。")
        elif verb == "back":
            if screen.name == "Screen1":
                found.append(f"{where}: Screen1 は最初の画面なので、もどる先がありません。")
        elif step["open"] not in screen.app.screens:
            found.append(f"{where}: 「{step['open']}」という画面はありません。画面の名前を確かめます。")
    return found


def evaluate(value, screen: Screen):
    if isinstance(value, dict) and "join" in value:
        return "".join(str(evaluate(part, screen)) for part in value["join"])
    if isinstance(value, dict) and "tag" in value:
        return screen.app[value["get"]].get_value(value["tag"], value.get("default", ""))
    if isinstance(value, dict):
        name, _, prop = value["get"].partition(".")
        return getattr(screen.app[name], prop)
    return value


def run(steps: list, screen: Screen) -> None:
    for step in steps:
        if "set" in step:
            name, _, prop = step["set"].partition(".")
            setattr(screen.app[name], prop, evaluate(step["to"], screen))
        elif "store" in step:
            screen.app[step["store"]].store_value(step["tag"], evaluate(step["value"], screen))
        elif "alert" in step:
            next(c for c in screen.walk() if c.type == "Notifier").show_alert(evaluate(step["alert"], screen))
        elif "back" in step:
            screen.app.close_screen()
        else:
            screen.app.open_screen(step["open"])


def values(steps: list):
    """Every <value> in the actions, nested ones included."""
    def inner(value):
        yield value
        if isinstance(value, dict) and "join" in value:
            for part in value["join"]:
                yield from inner(part)
    for step in steps:
        for key in ("to", "value", "alert"):
            if key in step:
                yield from inner(step[key])
