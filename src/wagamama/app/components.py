"""The component model: an app, its screens and components, with App Inventor's names.

Properties are attributes spelt as in App Inventor (``label.Text``, ``listview.Elements``); a
misspelt property is an error with a Japanese message, never a silent new attribute. Each event holds
one handler, as in App Inventor: a Python function, or a list of simple actions (see ``actions``) that
can also become blocks. Running a cell again replaces the handler instead of adding a second one.

Versions are those of one real App Inventor release (YaVersion 168, blocks language 22, from
``YaVersion.java`` in mit-cml/appinventor-sources); App Inventor upgrades older versions on import.
"""

from __future__ import annotations

import inspect
import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

YA_VERSION = "168"
BLOCKS_VERSION = "22"


class DesignError(ValueError):
    """A design that cannot be built; the message lists every problem in Japanese."""

    def __init__(self, problems: list[str] | str):
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        head = "アプリの設計に、直すところがあります。" if len(self.problems) > 1 else ""
        super().__init__("\n".join([head] * bool(head) + [f"- {p}" for p in self.problems]) if head
                         else self.problems[0])

    def _render_traceback_(self) -> list[str]:  # IPython shows the Japanese message without a traceback
        return ["❌ " + line for line in str(self).splitlines()[:1]] + str(self).splitlines()[1:]


@dataclass(frozen=True)
class Kind:
    """One App Inventor component type: its version, designer properties with their defaults, events."""

    type: str
    version: str
    label: str                                   # Japanese name used in messages
    properties: dict[str, object] = field(default_factory=dict)
    events: tuple[str, ...] = ()
    visible: bool = True
    container: bool = False
    needs_text: bool = False                     # an empty Text makes the component useless


KINDS = {k.type: k for k in [
    Kind("Form", "23", "画面", {"Title": "", "AppName": "", "AboutScreen": ""}, ("Initialize",)),
    Kind("Button", "6", "ボタン", {"Text": "", "Enabled": True, "FontSize": 14.0, "Image": ""},
         ("Click", "LongClick"), needs_text=True),
    Kind("Label", "4", "ラベル", {"Text": "", "FontSize": 14.0, "HasMargins": True}),
    Kind("TextBox", "5", "テキストボックス", {"Text": "", "Hint": "", "MultiLine": False, "NumbersOnly": False},
         ("GotFocus", "LostFocus")),
    Kind("ListView", "5", "リストビュー", {"Elements": [], "Selection": ""}, ("AfterPicking",)),
    Kind("Image", "3", "画像", {"Picture": ""}),
    Kind("CheckBox", "2", "チェックボックス", {"Text": "", "Checked": False}, ("Changed",), needs_text=True),
    Kind("DatePicker", "3", "日付選び", {"Text": ""}, ("AfterDateSet",), needs_text=True),
    Kind("HorizontalArrangement", "3", "横ならべ", {}, container=True),
    Kind("VerticalArrangement", "3", "縦ならべ", {}, container=True),
    Kind("TinyDB", "2", "保存（TinyDB）", {"Namespace": "TinyDB1"}, visible=False),
    Kind("Notifier", "4", "お知らせ（Notifier）", {}, visible=False),
    Kind("Clock", "3", "時計（Clock）", {"TimerInterval": 1000, "TimerEnabled": True, "TimerAlwaysFires": True},
         ("Timer",), visible=False),
]}
COMPONENT_TYPES = sorted(t for t in KINDS if t != "Form")
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")


def check_name(name, what: str = "部品の名前", example: str = "Button1、MukaeLabel",
               japanese: str = "画面に出る Text や Title") -> str | None:
    """A Japanese message when ``name`` cannot be an App Inventor name, else None."""
    if not isinstance(name, str) or not name.strip():
        return f"{what}がありません。{example.split('、')[0]} のような名前を書きます。"
    if _NAME_RE.match(name):
        return None
    hint = unicodedata.normalize("NFKC", name).strip()
    if hint != name and _NAME_RE.match(hint):
        return (f"{what}「{name}」に全角の文字か空白が入っています。半角で「{hint}」と書きます。")
    return (f"{what}「{name}」は使えません。半角の英字で始め、英字・数字・_ だけの名前にします"
            f"（例: {example}）。プログラムの中で呼ぶ名前なので、打ちまちがえにくい半角にそろえます。"
            f"日本語は、{japanese}に書きます。")


def _suggest(word: str, choices) -> str:
    folded = {c.lower(): c for c in choices}
    plain = unicodedata.normalize("NFKC", word).strip()
    if plain != word and plain in choices:
        return f"全角の文字か空白が入っています。半角で「{plain}」と書きます。"
    if plain.lower() in folded:
        return f"大文字と小文字も区別します。「{folded[plain.lower()]}」と書きます。"
    return "使えるのは " + "、".join(choices) + " です。" if choices else ""


_UNSET = object()  # on_click() as a decorator, not on_click(None)


def _handler_arity(func: Callable) -> int:
    try:
        params = [p for p in inspect.signature(func).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
    except (TypeError, ValueError):
        return 0
    return min(len(params), 1)


class Component:
    """A component of a screen. Properties are attributes with App Inventor's names."""

    def __init__(self, kind: Kind, name: str, screen: Screen | None, parent: Component | None, props: dict):
        d = self.__dict__
        d["kind"], d["name"], d["screen"], d["parent"] = kind, name, screen, parent
        d["children"], d["handlers"], d["_watchers"] = [], {}, []
        d["_props"] = {k: (list(v) if isinstance(v, list) else v) for k, v in kind.properties.items()}
        d["_design"] = dict(d["_props"])  # the designer's values; events change only _props
        for key, value in props.items():
            setattr(self, key, value)

    # --- properties ---------------------------------------------------------------------------
    @property
    def type(self) -> str:
        return self.kind.type

    @property
    def app(self) -> App:
        return self.screen.app if self.screen is not None else self.__dict__["_app"]

    def __getattr__(self, key):
        props = self.__dict__.get("_props", {})
        if key in props:
            return props[key]
        raise AttributeError(self._unknown(key))

    def __setattr__(self, key, value):
        if key.startswith("_") or key in type(self).__dict__ or key in Component.__dict__:
            object.__setattr__(self, key, value)
            return
        if key not in self._props:
            raise AttributeError(self._unknown(key))
        self._props[key] = self._coerce(key, value)
        if not self._app_running():
            self._design[key] = self._props[key]
        for watcher in list(self._watchers):
            watcher(key, self._props[key])

    def _unknown(self, key: str) -> str:
        return (f"{self.name}（{self.kind.label}）に「{key}」というプロパティはありません。"
                + _suggest(key, list(self._props)))

    def _coerce(self, key: str, value):
        default = self.kind.properties[key]
        if isinstance(default, list):
            if isinstance(value, str):
                value = [v.strip() for v in value.split(",") if v.strip()]
            if not isinstance(value, list | tuple):
                raise DesignError(f"{self.name}.{key} はリストで書きます（例: [\"月\", \"火\"]）。")
            return [str(v) for v in value]
        if isinstance(default, bool):
            if isinstance(value, str) and value in ("True", "False"):
                return value == "True"
            if not isinstance(value, bool):
                raise DesignError(f"{self.name}.{key} は True か False で書きます。")
            return value
        if isinstance(default, int | float):
            if isinstance(value, str):
                try:
                    value = float(unicodedata.normalize("NFKC", value).strip())
                except ValueError:
                    raise DesignError(f"{self.name}.{key} は数で書きます（いまは「{value}」）。") from None
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise DesignError(f"{self.name}.{key} は数で書きます。")
            return type(default)(value)
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        if value is None:
            raise DesignError(f"{self.name}.{key} に入れる値が None（何もない）です。関数の答えを入れるときは、"
                              "その関数が return で答えを返しているか確かめます。")
        if isinstance(value, Component):
            raise DesignError(f"{self.name}.{key} に、部品そのもの（{value.name}）を入れようとしています。"
                              f"中の文字は、{value.name}.Text のように .Text をつけて取り出します。")
        if not isinstance(value, str):
            raise DesignError(f"{self.name}.{key} には文字列を入れます（いまは {type(value).__name__}）。"
                              "テキストボックスなどの中身は、.Text をつけて取り出します。")
        return value

    def _app_running(self) -> bool:
        screen = self.__dict__.get("screen")
        app = self.__dict__.get("_app") or (screen.__dict__.get("_app") if screen is not None else None)
        return bool(app and app._running)

    def properties(self) -> dict[str, object]:
        """Designer properties that differ from App Inventor's defaults (what a .scm stores): values set
        while the app runs (by an event, by typing or picking) are not part of the design."""
        return {k: v for k, v in self._design.items() if v != self.kind.properties[k]}

    def watch(self, callback: Callable[[str, object], None]) -> None:
        """``callback(property, value)`` after every change (the preview keeps its widgets in step)."""
        self._watchers.append(callback)

    # --- structure ----------------------------------------------------------------------------
    def add(self, type: str, name: str, **props) -> Component:
        """Add a component inside this arrangement (or screen), with App Inventor's type name."""
        if not self.kind.container and self.kind.type != "Form":
            raise DesignError(f"{self.name} は{self.kind.label}なので、中に部品を入れられません。"
                              "HorizontalArrangement か VerticalArrangement に入れます。")
        kind = KINDS.get(type) if type != "Form" else None
        if kind is None:
            raise DesignError(f"部品の種類「{type}」はありません。" + _suggest(str(type), COMPONENT_TYPES))
        if not kind.visible and self.kind.type != "Form":
            raise DesignError(f"{name}（{kind.label}）は見えない部品なので、画面に直接入れます。")
        problem = check_name(name)
        if problem:
            raise DesignError(problem)
        screen = self if self.kind.type == "Form" else self.screen
        screen.app._claim(name, screen)
        component = Component(kind, name, screen, self, props)
        self.children.append(component)
        return component

    def add_once(self, type: str, name: str, **props) -> Component:
        """Like add, but a component of that name already here is used again (a cell that adds it can run twice)."""
        found = self.app.find(name) if self.screen is not None else None
        if found is not None and found.type == type and found.screen is self.screen:
            return found
        return self.add(type, name, **props)

    def walk(self) -> Iterator[Component]:
        """This component's children and their children, in designer order."""
        for child in self.children:
            yield child
            yield from child.walk()

    # --- events -------------------------------------------------------------------------------
    def when(self, event: str, handler=_UNSET, do: list | None = None):
        """Set what happens on ``event``: a Python function or a list of actions. Usable as a decorator."""
        from . import actions
        if event not in self.kind.events:
            raise DesignError(f"{self.name}（{self.kind.label}）に「{event}」というイベントはありません。"
                              + (_suggest(event, list(self.kind.events)) or "この部品には、イベントがありません。"))
        if do is not None:
            handler = do
        if handler is _UNSET:
            return lambda func: self.when(event, func)
        if isinstance(handler, list):
            problems = actions.problems(handler, self.screen, f"{self.name}.{event}")
            if problems:
                raise DesignError(problems)
        elif not callable(handler):
            raise DesignError(f"{self.name}.{event} には、関数か動きのリストを渡します。"
                              f"関数の名前のあとに ( ) をつけていませんか（{self.name}.on_click(関数の名前) の形です）。")
        self.handlers[event] = handler
        return handler

    def fire(self, event: str) -> None:
        """Run the handler of ``event`` as the phone would (errors go to the caller)."""
        from . import actions
        handler = self.handlers.get(event)
        if handler is None:
            return
        with self.app.running():
            if isinstance(handler, list):
                actions.run(handler, self.screen)
            elif _handler_arity(handler):
                handler(self)
            else:
                handler()

    # sugar in the style of 「Button1 がクリックされたとき」
    def on_click(self, handler=_UNSET):
        return self.when("Click", handler)

    def after_picking(self, handler=_UNSET):
        return self.when("AfterPicking", handler)

    def on_change(self, handler=_UNSET):
        return self.when("Changed", handler)

    def after_date_set(self, handler=_UNSET):
        return self.when("AfterDateSet", handler)

    def on_timer(self, handler=_UNSET):
        return self.when("Timer", handler)

    def on_initialize(self, handler=_UNSET):
        """「Screen1 が開いたとき」（App Inventor の Screen1.Initialize）: 保存したことを読み出すのに使います。"""
        return self.when("Initialize", handler)

    # --- headless use: what a finger would do -------------------------------------------------
    def _require(self, *types: str, what: str) -> None:
        if self.type not in types:
            raise DesignError(f"{self.name} は{self.kind.label}なので、{what}できません。")

    def click(self) -> None:
        self._require("Button", what="クリック")
        if self.Enabled:
            self.fire("Click")

    def type_text(self, text: str) -> None:
        self._require("TextBox", what="文字を入力")
        with self.app.running():
            self.Text = text

    def pick(self, element: str) -> None:
        self._require("ListView", what="選ぶことが")
        if element not in self.Elements:
            raise DesignError(f"{self.name} に「{element}」はありません。選べるのは " + "、".join(self.Elements) + " です。")
        with self.app.running():
            self.Selection = element
        self.fire("AfterPicking")

    def toggle(self) -> None:
        self._require("CheckBox", what="チェック")
        with self.app.running():
            self.Checked = not self.Checked
        self.fire("Changed")

    def pick_date(self, day: date) -> None:
        self._require("DatePicker", what="日付を選ぶことが")
        self.__dict__["date"] = day
        with self.app.running():
            self.Text = f"{day.year}/{day.month}/{day.day}"
        self.fire("AfterDateSet")

    def tick(self) -> None:
        self._require("Clock", what="時間を進めることが")
        if self.TimerEnabled:
            self.fire("Timer")

    def show_alert(self, notice) -> None:
        self._require("Notifier", what="お知らせを出すことが")
        self.alerts.append(str(notice))
        for watcher in list(self._watchers):
            watcher("alert", str(notice))

    @property
    def alerts(self) -> list[str]:
        return self.__dict__.setdefault("_alerts", [])

    # TinyDB
    def _store(self):
        self._require("TinyDB", what="保存")
        return self.app.store(self.Namespace)

    def store_value(self, tag: str, value) -> None:
        self._store().store_value(tag, value)

    def get_value(self, tag: str, value_if_tag_not_there=""):
        return self._store().get_value(tag, value_if_tag_not_there)

    def get_tags(self) -> list[str]:
        return self._store().get_tags()

    def clear_tag(self, tag: str) -> None:
        self._store().clear_tag(tag)

    def clear_all(self) -> None:
        self._store().clear_all()

    def __repr__(self) -> str:
        return f"<{self.type} {self.name}>"


class Screen(Component):
    """A screen (App Inventor's Form)."""

    def __init__(self, app: App, name: str, props: dict):
        super().__init__(KINDS["Form"], name, None, None, {})
        self.__dict__["screen"], self.__dict__["_app"] = self, app
        if "AppName" in props and name != "Screen1":
            raise DesignError(f"AppName は Screen1 にだけ書きます（{name} に書いてあります）。")
        for key, value in props.items():
            setattr(self, key, value)
        if not self.Title:
            self.Title = name

    @property
    def app(self) -> App:
        return self.__dict__["_app"]

    def when(self, event: str, handler=_UNSET, do: list | None = None):
        """``screen.when("Button1.Click", do=[...])``: an event of a component of this screen; ``"Initialize"``
        (or ``"Screen1.Initialize"``) is the screen's own event."""
        name, dot, ev = event.partition(".")
        if not dot or name == self.name:
            return Component.when(self, ev if dot else name, handler, do)
        component = self.app.find(name)
        if component is not None and component.screen is not self:
            raise DesignError(f"{name} は {component.screen.name} の部品です。このイベントは {component.screen.name} の "
                              "events に書きます。")
        if component is None:
            raise DesignError(f"「{name}」という部品は、この画面（{self.name}）にありません。名前のつづりを確かめます。"
                              + _suggest(name, [c.name for c in self.walk()]))
        return component.when(ev, handler, do)


class App:
    """An app: a name (ASCII, the project and file name), AppName (shown on the phone), screens."""

    def __init__(self, name: str, AppName: str | None = None, data_dir: str | Path | None = None):
        problem = check_name(name, "アプリの名前（プロジェクト名）", "mukae_memo、gomi_no_hi", "AppName")
        if problem:
            raise DesignError(problem + "アプリの名前は、ファイル名にもなります。")
        self.name = name
        self.AppName = AppName or name
        self.data_dir = Path(data_dir) if data_dir else Path("app_data") / name
        self.screens: dict[str, Screen] = {}
        self._owners: dict[str, Screen] = {}
        self._stores: dict = {}
        self._stack: list[str] = []
        self._watchers: list[Callable[[Screen], None]] = []
        self._running = 0
        self._store_log: list[list[str]] = []

    @contextmanager
    def running(self):
        """Changes made inside belong to the running app, not to its design."""
        self._running += 1
        try:
            yield
        finally:
            self._running -= 1

    def _claim(self, name: str, screen: Screen) -> None:
        if name in self._owners or name in self.screens:
            where = self._owners[name].name if name in self._owners else "画面の名前"
            raise DesignError(f"「{name}」という名前は、もう使われています（{where}）。"
                              "部品の名前は、アプリの中で1つずつちがう名前にします。")
        self._owners[name] = screen

    def screen(self, name: str = "Screen1", **props) -> Screen:
        """Add a screen; the first one is Screen1, where the app starts."""
        problem = check_name(name, "画面の名前")
        if problem:
            raise DesignError(problem)
        if not self.screens and name != "Screen1":
            raise DesignError(f"最初の画面は Screen1 という名前にします（App Inventor と同じです）。いまは「{name}」です。")
        if name in self.screens or name in self._owners:
            raise DesignError(f"「{name}」という名前は、もう使われています。画面の名前は1つずつちがう名前にします。")
        screen = Screen(self, name, props)
        if name == "Screen1":
            screen.__dict__["_props"]["AppName"] = screen.__dict__["_design"]["AppName"] = self.AppName
        self.screens[name] = screen
        return screen

    def find(self, name: str) -> Component | None:
        if name in self.screens:
            return self.screens[name]
        screen = self._owners.get(name)
        return next((c for c in screen.walk() if c.name == name), None) if screen else None

    def __getitem__(self, name: str) -> Component:
        found = self.find(name)
        if found is None:
            names = list(self.screens) + list(self._owners)
            raise KeyError(f"「{name}」という部品も画面もありません。" + _suggest(name, names))
        return found

    def components(self) -> Iterator[Component]:
        for screen in self.screens.values():
            yield from screen.walk()

    # --- screens at run time ------------------------------------------------------------------
    @property
    def current_screen(self) -> Screen:
        return self.screens[self._stack[-1]] if self._stack else self.screens["Screen1"]

    def open_screen(self, name: str) -> None:
        """App Inventor's 「open another screen」."""
        if name not in self.screens:
            raise DesignError(f"「{name}」という画面はありません。" + _suggest(name, list(self.screens)))
        self._stack.append(name)
        for watcher in list(self._watchers):
            watcher(self.current_screen)
        self.current_screen.fire("Initialize")

    def close_screen(self) -> None:
        """Back to the screen that opened this one (App Inventor's 「close screen」)."""
        if self._stack:
            self._stack.pop()
        for watcher in list(self._watchers):
            watcher(self.current_screen)

    def store(self, namespace: str = "TinyDB1"):
        from .store import Store
        if namespace not in self._stores:
            self._stores[namespace] = Store(self.data_dir / f"{namespace}.json",
                                            log=lambda kind, tag: self._store_log.append([kind, namespace, tag]))
        return self._stores[namespace]

    # --- closing and opening the app again --------------------------------------------------------
    def restart(self) -> None:
        """Close the app and open it again, as on the phone: every component shows its design again, the app is
        on Screen1, and Screen1's Initialize runs. What TinyDB stored stays."""
        for component in [*self.screens.values(), *self.components()]:
            d = component.__dict__
            changed = [k for k, v in d["_design"].items() if d["_props"].get(k) != v]
            d["_props"] = {k: (list(v) if isinstance(v, list) else v) for k, v in d["_design"].items()}
            d.pop("_alerts", None)
            for key in changed:
                for watcher in list(d["_watchers"]):
                    watcher(key, d["_props"][key])
        self._stack = []
        for watcher in list(self._watchers):
            watcher(self.current_screen)
        self.current_screen.fire("Initialize")

    # --- what a tester (or the judge) reads: plain data -----------------------------------------------
    def layout(self) -> list[dict]:
        """Screens and their components (nested ones included), in designer order, as data."""
        return [{"screen": name, "title": screen.Title,
                 "components": [{"name": c.name, "type": c.type, "visible": c.kind.visible,
                                 **({"text": c.Text} if "Text" in c._props else {})} for c in screen.walk()]}
                for name, screen in self.screens.items()]

    def connections(self) -> list[dict]:
        """What each event does: the Python function's name, or "actions" for a list of simple actions."""
        found = []
        for component in [*self.screens.values(), *self.components()]:
            for event, handler in component.handlers.items():
                found.append({"component": component.name, "type": component.type, "event": event,
                              "screen": component.screen.name,
                              "python": None if isinstance(handler, list) else getattr(handler, "__name__", "?")})
        return found

    def visible_state(self) -> dict:
        """What the phone shows now: the screen, each visible component's text (and state), the alerts shown."""
        screen = self.current_screen
        shown = {}
        for c in screen.walk():
            if not c.kind.visible:
                continue
            if c.type == "ListView":
                shown[c.name] = {"Elements": list(c.Elements), "Selection": c.Selection}
            elif c.type == "CheckBox":
                shown[c.name] = {"Text": c.Text, "Checked": c.Checked}
            elif c.type == "Button":
                shown[c.name] = {"Text": c.Text, "Enabled": c.Enabled}
            elif c.type == "Image":
                shown[c.name] = {"Picture": c.Picture}
            elif "Text" in c._props:
                shown[c.name] = {"Text": c.Text}
        alerts = [a for s in self.screens.values() for c in s.walk() if c.type == "Notifier" for a in c.alerts]
        return {"screen": screen.name, "title": screen.Title, "components": shown, "alerts": alerts}

    def saved_data(self) -> dict:
        """Everything TinyDB keeps for this app, per namespace (a snapshot a test can put back)."""
        namespaces = {c.Namespace for c in self.components() if c.type == "TinyDB"} | set(self._stores)
        if self.data_dir.is_dir():
            namespaces |= {p.stem for p in self.data_dir.glob("*.json")}
        return {ns: self.store(ns).data() for ns in sorted(namespaces)}

    def put_saved_data(self, data: dict) -> None:
        """Put back a snapshot of saved_data(): namespaces not in it are emptied."""
        for ns in set(self.saved_data()) | set(data):
            store = self.store(ns)
            store.clear_all()
            for tag, value in data.get(ns, {}).items():
                store.store_value(tag, value)
        self._store_log.clear()

    def store_log(self) -> list[list[str]]:
        """Every TinyDB access since the last clear_store_log(): ["store" or "get", namespace, tag]."""
        return [list(entry) for entry in self._store_log]

    def clear_store_log(self) -> None:
        self._store_log.clear()

    def pretend_today(self, day: str | None) -> None:
        """Let the schedules believe today is ``day`` (「2026-11-02」); None: the real date again."""
        from .schedules import set_today
        set_today(day)

    # --- the other stages, one module each -----------------------------------------------------
    def problems(self) -> list[str]:
        from .design import problems
        return problems(self)

    def check(self) -> None:
        """Raise DesignError listing every problem; say so in Japanese when there is none."""
        found = self.problems()
        if found:
            raise DesignError(found)
        print(f"⭕ 設計に問題はありません（{self.AppName}: 画面 {len(self.screens)}、部品 {len(list(self.components()))}）。")

    def to_design(self) -> dict:
        from .design import to_design
        return to_design(self)

    def preview(self):
        from .preview import preview
        return preview(self)

    def export_aia(self, path: str | Path | None = None) -> Path:
        from .aia import export_aia
        return export_aia(self, path)

    def qr(self, notebook: str | None = None):
        from .serve import qr
        return qr(notebook)

    def __repr__(self) -> str:
        return f"<App {self.name}: {', '.join(self.screens)}>"
