"""A tester's finger on any learner's app: open it, press every button on every screen it can reach, watch what
the phone shows, close it and open it again. Checks of a learner's own app (whatever her screens and components
are called) are built on this: every button does something visible, every screen can be reached, what she
stores comes back after the app is opened again.

Everything here reads the app only through what a tester could do and see: ``layout()``, ``visible_state()``,
``restart()``, ``click()``, ``type_text()``, the TinyDB log and snapshot, all of which answer with plain data. So
the same code runs on an App in the notebook and, while grading, on the judge's handles to the app in the
learner's kernel (:mod:`wagamama.grading.judge`): the deciding happens here, in the process that imports it.
What her app stored is put back afterwards, and the app is left as if opened again.
"""

from __future__ import annotations

TYPED = "チェック用の文字 7"


def _why(exc: BaseException) -> str:
    from ..check import explain

    text = str(exc)
    if type(exc).__name__ in ("DesignError", "AttributeError", "ValueError", "ScheduleError") and text and not text.isascii():
        return text
    return explain(exc)


def _buttons(app) -> dict[str, list[tuple[str, str]]]:
    """Screen → [(button name, its text)] in designer order."""
    return {s["screen"]: [(c["name"], c.get("text", "")) for c in s["components"] if c["type"] == "Button"]
            for s in app.layout()}


def _text_boxes(app, screen: str) -> list[str]:
    return [c["name"] for s in app.layout() if s["screen"] == screen for c in s["components"] if c["type"] == "TextBox"]


def _go(app, path: list[str]) -> None:
    """Open the app again and press the buttons of ``path`` (the way to a screen)."""
    app.restart()
    for name in path:
        app[name].click()


def _changed(before: dict, after: dict) -> list[str]:
    what = []
    if after["screen"] != before["screen"]:
        what.append(f"画面が {after['screen']} になった")
    if len(after["alerts"]) > len(before["alerts"]):
        what.append(f"お知らせ「{after['alerts'][-1]}」が出た")
    if after["screen"] == before["screen"]:
        for name, shown in after["components"].items():
            if before["components"].get(name) != shown:
                what.append(f"{name} が変わった")
    return what


def press(app, path: list[str], button: str, typed: str | None = TYPED) -> dict:
    """Go along ``path``, type ``typed`` into the empty text boxes of that screen, press ``button``: what changed."""
    _go(app, path)
    screen = app.visible_state()["screen"]
    if typed is not None:
        for box in _text_boxes(app, screen):
            if not app[box].Text:
                app[box].type_text(typed)
    before = app.visible_state()
    result = {"screen": screen, "button": button, "changed": [], "error": None, "opened": None}
    try:
        app[button].click()
    except Exception as exc:  # noqa: BLE001 (her handler: any error is a finding, said in Japanese)
        result["error"] = _why(exc)
        return result
    after = app.visible_state()
    result["changed"] = _changed(before, after)
    if after["screen"] != screen:
        result["opened"] = after["screen"]
    return result


def run(app, typed: str | None = TYPED) -> dict:
    """Every button of every screen reachable from Screen1, pressed once from a freshly opened app.

    Returns data: ``presses`` (one per button pressed), ``paths`` (screen → the buttons that lead there),
    ``unreached`` (screens no button leads to), ``texts`` (button → its text)."""
    snapshot = app.saved_data()
    buttons = _buttons(app)
    texts = {name: text for found in buttons.values() for name, text in found}
    paths: dict[str, list[str]] = {"Screen1": []}
    todo, presses = ["Screen1"], []
    try:
        while todo:
            screen = todo.pop(0)
            for name, _ in buttons.get(screen, []):
                found = press(app, paths[screen], name, typed)
                presses.append(found)
                if found["opened"] and found["opened"] not in paths:
                    paths[found["opened"]] = paths[screen] + [name]
                    todo.append(found["opened"])
    finally:
        app.put_saved_data(snapshot)
        app.restart()
    return {"presses": presses, "paths": paths, "unreached": [s for s in buttons if s not in paths], "texts": texts}


def problems(result: dict, connected: dict | None = None) -> list[str]:
    """What a learner reads when her app is not done yet, one line per button or screen (Japanese)."""
    connected = connected or {}
    found = []
    for p in result["presses"]:
        label = f"{p['button']}「{result['texts'].get(p['button'], '')}」（{p['screen']}）"
        if p["error"]:
            found.append(f"{label}: 押すとエラーになります。{p['error']}")
        elif not p["changed"]:
            how = connected.get(p["button"])
            tip = ("押しても、画面が何も変わりません。print では、アプリの画面に出ません。"
                   "見せたいことは、ラベルの .Text に入れます。") if how else \
                  "押しても、画面が何も変わりません。押したときの動きを書きます。"
            found.append(f"{label}: {tip}")
    for screen in result["unreached"]:
        found.append(f"{screen}（画面）: どのボタンからも開けません。ほかの画面のボタンに、{screen} を開く動きを書きます"
                     f"（設計なら {{\"open\": \"{screen}\"}}、Python なら app.open_screen(\"{screen}\")）。")
    return found


def buttons_with(app, func) -> list[str]:
    """The buttons whose Click runs ``func`` now (the function itself, not an older version of it)."""
    names = [name for found in _buttons(app).values() for name, _ in found]
    return [name for name in names if app[name].handlers.get("Click") is func]


def python_buttons(app) -> dict[str, str]:
    """Button → the name of the Python function its Click runs (buttons with design actions are left out)."""
    return {c["component"]: c["python"] for c in app.connections()
            if c["type"] == "Button" and c["event"] == "Click" and c["python"]}


def way_to(app, button: str) -> list[str] | None:
    """The buttons to press from Screen1 to reach the screen of ``button`` (None: that screen cannot be reached)."""
    screen = next((s for s, found in _buttons(app).items() if button in [n for n, _ in found]), None)
    if screen == "Screen1":
        return []
    return run(app)["paths"].get(screen)


def comes_back(app, button: str, typed: str = TYPED) -> dict:
    """Type into the text boxes, press ``button`` (the one that saves), open the app again and press the other
    buttons: which TinyDB tags were stored, and which of them were read after opening again.

    Returns data: ``stored`` and ``read`` ([namespace, tag] pairs), ``read_others`` (tags read that were not
    stored now), ``error`` (pressing the saving button failed), ``changed`` (what the saving press showed),
    ``unreachable`` (no way to the button's screen)."""
    snapshot = app.saved_data()
    tour = run(app, typed)
    screen = next((p["screen"] for p in tour["presses"] if p["button"] == button), None)
    out = {"stored": [], "read": [], "read_others": [], "error": None, "changed": [], "unreachable": screen is None}
    if screen is None:
        return out
    try:
        app.clear_store_log()
        found = press(app, tour["paths"][screen], button, typed)
        out["error"], out["changed"] = found["error"], found["changed"]
        stored = {tuple(e[1:]) for e in app.store_log() if e[0] == "store"}
        out["stored"] = sorted(list(s) for s in stored)
        if not stored or found["error"]:
            return out
        after = app.saved_data()
        read: set = set()
        others = [p for p in tour["presses"] if p["button"] != button]
        for other in [None, *others]:  # None: only open the app again (Screen1's Initialize may read)
            app.put_saved_data(after)  # every try starts from what was saved, as after closing the app
            app.restart()
            if other is not None:
                try:
                    for step in tour["paths"].get(other["screen"], []):
                        app[step].click()
                    app[other["button"]].click()
                except Exception:  # noqa: BLE001 (an error here is the other checks' business)
                    pass
            read |= {tuple(e[1:]) for e in app.store_log() if e[0] == "get"}
        out["read"] = sorted(list(r) for r in read & stored)
        out["read_others"] = sorted(list(r) for r in read - stored)
    finally:
        app.put_saved_data(snapshot)
        app.restart()
    return out
