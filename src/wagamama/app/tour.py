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
    result = {"screen": screen, "button": button, "changed": [], "error": None, "opened": None, "starter": False,
              "disabled": not before["components"].get(button, {}).get("Enabled", True)}
    if result["disabled"]:  # a button that cannot be pressed now (Enabled is False): nothing to ask of it
        return result
    try:
        app[button].click()
    except NotImplementedError:
        result["starter"] = True
        result["error"] = "raise NotImplementedError の行が、まだ残っています。"
        return result
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
        if p.get("disabled"):
            continue
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


# --- checks of a learner's own app (used by the lessons' and assignments' check cells) ----------------------

def _ok(text: str) -> None:
    print(f"⭕ 正解です: {text}")


def connected(app, func, name: str):
    """The buttons that run ``func``; NotAttempted / Incorrect in Japanese when there is none."""
    from ..check import Incorrect, NotAttempted

    if not callable(func):
        raise Incorrect(f"❌ {name}: {name} が関数になっていません。\n"
                        f"💡 ヒント: def {name}(): の形で関数を作り、そのすぐ上の行で、ボタンとつなぎます。")
    found = buttons_with(app, func)
    if found:
        return found
    stale = [b for b, fn in python_buttons(app).items() if fn == name]
    try:
        func()  # is it still the starter? (whatever it changed is undone below)
    except NotImplementedError:
        raise NotAttempted(f"✏️ まだ解答が書かれていません: {name}。raise NotImplementedError の行を消して、答えを書きます。"
                           ) from None
    except Exception:  # noqa: BLE001 (an error inside shows when the button is pressed)
        pass
    finally:
        app.restart()
    if stale:
        raise Incorrect(f"❌ {name}: {stale[0]} には、前に実行した {name} がつながったままです。いまの {name} はつながっていません。\n"
                        f"💡 ヒント: def {name}(): のすぐ上の @app[\"{stale[0]}\"].on_click の行を消さずに、そのセルをもう一度実行します。")
    raise Incorrect(f"❌ {name}: いまの {name} が、どのボタンともつながっていません。\n"
                    f"💡 ヒント: def {name}(): のすぐ上の行に、@app[\"Button1\"].on_click のように、あなたのボタンの名前で"
                    "つなぐ印を書いて、そのセルをもう一度実行します。ボタンの名前は、設計の一覧で確かめます。")


def expect_button(app, func, name: str, hidden: bool = False) -> dict:
    """Her function ``func`` runs when one of her buttons is pressed, and pressing it changes what the phone
    shows, with no error and no { } left over. Returns what the press did."""
    from ..check import Incorrect, NotAttempted

    button = connected(app, func, name)[0]
    snapshot = app.saved_data()
    try:
        path = way_to(app, button)
        if path is None:
            raise Incorrect(f"❌ {name}: {button} のある画面に、Screen1 からどのボタンでも行けません。\n"
                            "💡 ヒント: Screen1 のボタンに、その画面を開く動きを書きます。")
        found = press(app, path, button)
        shown = app.visible_state()
    finally:
        app.put_saved_data(snapshot)
        app.restart()
    label = f"{name}（{button} を押したとき）"
    if found["starter"]:
        raise NotAttempted(f"✏️ まだ解答が書かれていません: {name}。raise NotImplementedError の行を消して、答えを書きます。")
    if found["error"]:
        why = "（見えないテスト用の別の日で確かめました）" if hidden else found["error"]
        raise Incorrect(f"❌ {label}: 押すとエラーになります。{why}\n"
                        "💡 ヒント: 部品の中身は app[\"TextBox1\"].Text のように .Text をつけて読みます。"
                        "ことばは \" \" で囲みます。")
    if not found["changed"]:
        raise Incorrect(f"❌ {label}: 押しても、画面が何も変わりません。\n"
                        "💡 ヒント: print では、アプリの画面に出ません。app[\"Label1\"].Text = … のように、"
                        "見せたいことをラベルの .Text に入れます。")
    texts = [str(v.get("Text", "")) for v in shown["components"].values()]
    if any("{" in t and "}" in t for t in texts):
        raise Incorrect(f"❌ {label}: ラベルに {{ }} がそのまま出ています。\n💡 ヒント: 引用符の前に f を書いて、f文字列にします。")
    if "None" in texts:
        raise Incorrect(f"❌ {label}: ラベルに None と出ています。\n"
                        "💡 ヒント: 答えを作る関数が return で文を返しているか確かめます。")
    _ok(f"{label}: {'、'.join(found['changed'])}")
    return found


def expect_comes_back(app, func, name: str, typed: str = TYPED, hidden: bool = False) -> dict:
    """Pressing the button that runs ``func`` stores something in TinyDB and shows that it did; after the app is
    opened again, what was stored is read again (by a button or by Screen1's Initialize)."""
    from ..check import Incorrect, NotAttempted

    button = connected(app, func, name)[0]
    found = comes_back(app, button, typed)
    label = f"{name}（{button} を押したとき）"
    if found["unreachable"]:
        raise Incorrect(f"❌ {label}: {button} のある画面に、Screen1 からどのボタンでも行けません。\n"
                        "💡 ヒント: Screen1 のボタンに、その画面を開く動きを書きます。")
    if found["error"] and "NotImplementedError" in found["error"]:
        raise NotAttempted(f"✏️ まだ解答が書かれていません: {name}。raise NotImplementedError の行を消して、答えを書きます。")
    if found["error"]:
        why = "（見えないテスト用の別の文字で確かめました）" if hidden else found["error"]
        raise Incorrect(f"❌ {label}: 押すとエラーになります。{why}\n"
                        "💡 ヒント: 保存するのは部品そのものではなく、app[\"TextBox1\"].Text のような中身です。"
                        "名札は \" \" で囲みます。")
    if not found["stored"]:
        raise Incorrect(f"❌ {label}: TinyDB に何も保存していません。\n"
                        "💡 ヒント: app[\"TinyDB1\"].store_value(\"名札\", 保存する値) の行を書きます。")
    tags = "」「".join(tag for _, tag in found["stored"])
    if not found["read"]:
        others = "」「".join(tag for _, tag in found["read_others"])
        tip = (f"読み出しているのは「{others}」です。保存と読み出しで、名札を1文字もちがえずにそろえます。" if others else
               f"miseru の中か、Screen1 の Initialize（@app[\"Screen1\"].on_initialize）で、"
               f"get_value(\"{found['stored'][0][1]}\", …) を使って読み出します。")
        raise Incorrect(f"❌ {label}: 保存した名札「{tags}」を、アプリを開き直したあと、どこでも読み出していません。"
                        "これでは、保存したことが、もどってきません。\n💡 ヒント: " + tip)
    if not found["changed"]:
        raise Incorrect(f"❌ {label}: 保存はできています。でも、押しても画面が何も変わらないので、使う人には保存できたか分かりません。\n"
                        "💡 ヒント: app[\"Notifier1\"].show_alert(\"保存しました\") か、ラベルの .Text で知らせます。")
    _ok(f"{label}: 名札「{tags}」に保存して、開き直したあとも読み出しています")
    return found


def expect_every_button(app, name: str = "アプリ全体", typed: str | None = TYPED, hidden: bool = False) -> dict:
    """Every screen can be reached from Screen1, and every button on them does something visible, without error."""
    from ..check import Incorrect

    result = run(app, typed)
    found = problems(result, python_buttons(app))
    if hidden:
        found = [f.split("押すとエラーになります。")[0] + "押すとエラーになります（見えないテスト: 何も書かずに押しました）。"
                 if "押すとエラーになります。" in f else f for f in found]
    if found:
        raise Incorrect(f"❌ {name}: 直すところが {len(found)} か所あります。\n" + "\n".join("  ・" + f for f in found)
                        + "\n💡 ヒント: ・ の行を上から1つずつ直します。直したら、そのセルとこのチェックを、もう一度実行します。")
    _ok(f"{name}: 画面 {len(result['paths'])} つ、ボタン {len(result['presses'])} 個。どのボタンも、押すと画面が変わります")
    return result
