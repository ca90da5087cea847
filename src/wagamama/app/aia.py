"""Export an app as an .aia that MIT App Inventor imports, and read such a file back into a design.

An .aia is a zip: ``youngandroidproject/project.properties``, and per screen ``src/<package>/<Screen>.scm``
(the designer tree as JSON between ``#|``/``$JSON`` and ``|#``) and ``<Screen>.bky`` (Blockly XML).
Handlers written as actions become blocks; Python handlers cannot, and are reported, never dropped
silently. Picture files found next to the notebook go into ``assets/``.
"""

from __future__ import annotations

import json
import warnings
import zipfile
import zlib
from pathlib import Path
from xml.etree import ElementTree as ET

from .components import BLOCKS_VERSION, KINDS, YA_VERSION, App, Component, DesignError, Screen, check_name

USER = "wagamama"
BLOCKLY_NS = "https://developers.google.com/blockly/xml"
# Our property name → the designer property App Inventor stores.
DESIGNER_NAMES = {"Elements": "ElementsFromString"}
MODEL_NAMES = {v: k for k, v in DESIGNER_NAMES.items()}


def package(app: App) -> str:
    return f"appinventor.ai_{USER}.{app.name}"


def _text(value) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ",".join(value)
    return str(value)


def _uuid(app: App, name: str) -> str:
    return str(zlib.crc32(f"{app.name}.{name}".encode()) & 0x7FFFFFFF)


def _component_json(app: App, c: Component) -> dict:
    data = {"$Name": c.name, "$Type": c.type, "$Version": c.kind.version}
    for key, value in c.properties().items():
        data[DESIGNER_NAMES.get(key, key)] = Path(value).name if key == "Picture" else _text(value)
    data["Uuid"] = _uuid(app, c.name)
    if c.children:
        data["$Components"] = [_component_json(app, child) for child in c.children]
    return data


def scm(app: App, screen: Screen) -> str:
    """The designer file of a screen, in App Inventor's exact framing."""
    form = {"$Name": screen.name, "$Type": "Form", "$Version": KINDS["Form"].version}
    if screen.name == "Screen1":
        form["AppName"] = app.AppName
    form["Sizing"] = "Responsive"
    form["Title"] = screen.Title
    form["Uuid"] = "0"
    if screen.children:
        form["$Components"] = [_component_json(app, c) for c in screen.children]
    body = {"authURL": ["ai2.appinventor.mit.edu"], "YaVersion": YA_VERSION, "Source": "Form", "Properties": form}
    return "#|\n$JSON\n" + json.dumps(body, ensure_ascii=False, separators=(",", ":")) + "\n|#\n"


# --- blocks ----------------------------------------------------------------------------------------

def _el(parent, tag: str, text: str | None = None, **attrs) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: str(v) for k, v in attrs.items()})
    if text is not None:
        element.text = text
    return element


def _component_block(parent, block_type: str, component: Component, **mutation) -> ET.Element:
    block = _el(parent, "block", type=block_type)
    _el(block, "mutation", component_type=component.type, is_generic="false",
        instance_name=component.name, **mutation)
    _el(block, "field", component.name, name="COMPONENT_SELECTOR")
    return block


def _value(parent, name: str, value, screen: Screen) -> None:
    slot = _el(parent, "value", name=name)
    if isinstance(value, bool):
        _el(_el(slot, "block", type="logic_boolean"), "field", "TRUE" if value else "FALSE", name="BOOL")
    elif isinstance(value, int | float):
        _el(_el(slot, "block", type="math_number"), "field", str(value), name="NUM")
    elif isinstance(value, str):
        _el(_el(slot, "block", type="text"), "field", value, name="TEXT")
    elif "join" in value:
        block = _el(slot, "block", type="text_join")
        _el(block, "mutation", items=len(value["join"]))
        for n, part in enumerate(value["join"]):
            _value(block, f"ADD{n}", part, screen)
    elif "tag" in value:
        block = _component_block(slot, "component_method", screen.app[value["get"]], method_name="GetValue")
        _value(block, "ARG0", value["tag"], screen)
        _value(block, "ARG1", value.get("default", ""), screen)
    else:
        name, _, prop = value["get"].partition(".")
        prop = DESIGNER_NAMES.get(prop, prop)
        block = _component_block(slot, "component_set_get", screen.app[name], set_or_get="get", property_name=prop)
        _el(block, "field", prop, name="PROP")


def _statement(parent, step: dict, screen: Screen) -> ET.Element:
    if "set" in step:
        name, _, prop = step["set"].partition(".")
        prop = DESIGNER_NAMES.get(prop, prop)
        block = _component_block(parent, "component_set_get", screen.app[name], set_or_get="set", property_name=prop)
        _el(block, "field", prop, name="PROP")
        _value(block, "VALUE", step["to"], screen)
    elif "store" in step:
        block = _component_block(parent, "component_method", screen.app[step["store"]], method_name="StoreValue")
        _value(block, "ARG0", step["tag"], screen)
        _value(block, "ARG1", step["value"], screen)
    elif "alert" in step:
        notifier = next(c for c in screen.walk() if c.type == "Notifier")
        block = _component_block(parent, "component_method", notifier, method_name="ShowAlert")
        _value(block, "ARG0", step["alert"], screen)
    elif "back" in step:
        block = _el(parent, "block", type="controls_closeScreen")
    else:
        block = _el(parent, "block", type="controls_openAnotherScreen")
        _value(block, "SCREEN", step["open"], screen)
    return block


def _chain(slot: ET.Element, steps: list, screen: Screen) -> None:
    """Statements one after the other: each following block sits in the previous one's <next>."""
    holder = slot
    for n, step in enumerate(steps):
        block = _statement(holder, step, screen)
        if n < len(steps) - 1:
            holder = _el(block, "next")


def bky(screen: Screen) -> str:
    """The blocks file of a screen: one event block per handler written as actions."""
    root = ET.Element("xml", xmlns=BLOCKLY_NS)
    y = 20
    for component in [screen, *screen.walk()]:
        for event, handler in component.handlers.items():
            if not isinstance(handler, list):
                continue
            block = _component_block(root, "component_event", component, event_name=event)
            block.set("x", "20")
            block.set("y", str(y))
            y += 40 + 60 * len(handler)
            _chain(_el(block, "statement", name="DO"), handler, screen)
    _el(root, "yacodeblocks", **{"ya-version": YA_VERSION, "language-version": BLOCKS_VERSION})
    return ET.tostring(root, encoding="unicode")


# --- the zip ---------------------------------------------------------------------------------------

def _java_property(value: str) -> str:
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ord(ch) > 126 or ord(ch) < 32:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out)


def project_properties(app: App) -> str:
    lines = {"main": f"{package(app)}.Screen1", "name": app.name, "assets": "../assets", "source": "../src",
             "build": "../build", "versioncode": "1", "versionname": "1.0", "useslocation": "False",
             "aname": app.AppName, "sizing": "Responsive", "showlistsasjson": "True"}
    return "#\n" + "".join(f"{k}={_java_property(v)}\n" for k, v in lines.items())


def unexported(app: App) -> list[str]:
    """What the .aia cannot carry, in Japanese: Python handlers, missing pictures, commas in elements."""
    notes = []
    for component in app.components():
        for event, handler in component.handlers.items():
            if not isinstance(handler, list):
                notes.append(f"{component.name}.{event}: Python の関数 {getattr(handler, '__name__', '')} は、"
                             "ブロックにできません。App Inventor のブロック画面で、同じ動きを組み立てます。")
        if component.type == "Image" and component.Picture and not Path(component.Picture).is_file():
            notes.append(f"{component.name}: 画像ファイル {component.Picture} が見つからないので、入れていません。")
        if component.type == "ListView" and any("," in e for e in component.Elements):
            notes.append(f"{component.name}: Elements の中の「,」は、App Inventor では区切りになります。")
    return notes


def export_aia(app: App, path: str | Path | None = None) -> Path:
    """Write ``<app.name>.aia`` (or ``path``); print what could not be carried over."""
    path = Path(path) if path else Path(f"{app.name}.aia")
    problem = check_name(path.stem, "ファイル名")
    if problem:
        raise DesignError(problem + " App Inventor は、ファイル名をプロジェクト名にします。")
    src = "src/" + package(app).replace(".", "/")
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("youngandroidproject/project.properties", project_properties(app))
        for screen in app.screens.values():
            z.writestr(f"{src}/{screen.name}.scm", scm(app, screen))
            z.writestr(f"{src}/{screen.name}.bky", bky(screen))
        for c in app.components():
            if c.type == "Image" and c.Picture and Path(c.Picture).is_file():
                z.write(c.Picture, f"assets/{Path(c.Picture).name}")
    notes = unexported(app)
    print(f"📦 {path} を書き出しました。App Inventor の「プロジェクト」→「プロジェクトをインポート（.aia）」で読みこみます。")
    for note in notes:
        print("⚠️ " + note)
    return path


# --- reading back ----------------------------------------------------------------------------------

def _read_scm(text: str) -> dict:
    lines = text.strip().split("\n")
    if len(lines) != 4 or lines[0] != "#|" or lines[1] != "$JSON" or lines[3] != "|#":
        raise DesignError("画面のファイル（.scm）の形が、App Inventor のものとちがいます。")
    return json.loads(lines[2])


def _component_data(props: dict) -> dict:
    data = {"type": props["$Type"], "name": props["$Name"]}
    for key, value in props.items():
        if not key.startswith("$") and key != "Uuid":
            data[MODEL_NAMES.get(key, key)] = value
    if "$Components" in props:
        data["components"] = [_component_data(c) for c in props["$Components"]]
    return data


def _read_value(slot: ET.Element | None):
    block = slot.find("block") if slot is not None else None
    if block is None:
        return ""
    kind = block.get("type")
    fields = {f.get("name"): f.text or "" for f in block.findall("field")}
    slots = {v.get("name"): v for v in block.findall("value")}
    if kind == "text":
        return fields.get("TEXT", "")
    if kind == "math_number":
        number = float(fields["NUM"])
        return int(number) if number.is_integer() else number
    if kind == "logic_boolean":
        return fields["BOOL"] == "TRUE"
    if kind == "text_join":
        return {"join": [_read_value(slots.get(f"ADD{n}")) for n in range(int(block.find("mutation").get("items")))]}
    mutation = block.find("mutation")
    if kind == "component_method" and mutation.get("method_name") == "GetValue":
        return {"get": mutation.get("instance_name"), "tag": _read_value(slots.get("ARG0")),
                "default": _read_value(slots.get("ARG1"))}
    if kind == "component_set_get" and mutation.get("set_or_get") == "get":
        prop = mutation.get("property_name")
        return {"get": f"{mutation.get('instance_name')}.{MODEL_NAMES.get(prop, prop)}"}
    raise ValueError(kind)


def _read_statements(block: ET.Element | None) -> list:
    steps = []
    while block is not None:
        kind, mutation = block.get("type"), block.find("mutation")
        slots = {v.get("name"): v for v in block.findall("value")}
        if kind == "component_set_get" and mutation.get("set_or_get") == "set":
            prop = mutation.get("property_name")
            steps.append({"set": f"{mutation.get('instance_name')}.{MODEL_NAMES.get(prop, prop)}",
                          "to": _read_value(slots.get("VALUE"))})
        elif kind == "component_method" and mutation.get("method_name") == "StoreValue":
            steps.append({"store": mutation.get("instance_name"), "tag": _read_value(slots.get("ARG0")),
                          "value": _read_value(slots.get("ARG1"))})
        elif kind == "component_method" and mutation.get("method_name") == "ShowAlert":
            steps.append({"alert": _read_value(slots.get("ARG0"))})
        elif kind == "controls_closeScreen":
            steps.append({"back": True})
        elif kind == "controls_openAnotherScreen":
            steps.append({"open": _read_value(slots.get("SCREEN"))})
        else:
            raise ValueError(kind)
        following = block.find("next")
        block = following.find("block") if following is not None else None
    return steps


def _read_events(text: str, screen: str) -> list[dict]:
    if not text.strip():
        return []
    root = ET.fromstring(text)
    for el in root.iter():
        el.tag = el.tag.rsplit("}", 1)[-1]  # drop Blockly's namespace
    events = []
    for block in root.findall("block"):
        mutation = block.find("mutation")
        when = f"{mutation.get('instance_name')}.{mutation.get('event_name')}" if mutation is not None else "?"
        try:
            if block.get("type") != "component_event":
                raise ValueError(block.get("type"))
            events.append({"when": when, "do": _read_statements(block.find("statement/block"))})
        except (ValueError, AttributeError, KeyError) as e:
            warnings.warn(f"{screen} のブロック {when}: 読めないブロック（{e}）があるので、このイベントは読みこみません。",
                          stacklevel=3)
    return events


def read_aia(path: str | Path) -> dict:
    """The design (plain data, as load_design takes it) inside an .aia file."""
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        if "youngandroidproject/project.properties" not in names:
            raise DesignError(f"{path} には youngandroidproject/project.properties がありません。App Inventor の .aia ではありません。")
        props = dict(line.split("=", 1) for line in z.read("youngandroidproject/project.properties").decode().splitlines()
                     if "=" in line and not line.startswith("#"))
        src = "src/" + props["main"].rsplit(".", 1)[0].replace(".", "/") + "/"
        screens = sorted((n[len(src):-4] for n in names if n.startswith(src) and n.endswith(".scm")),
                         key=lambda s: (s != "Screen1", s))
        design = {"app": props["name"], "AppName": None, "screens": []}
        for name in screens:
            form = _read_scm(z.read(f"{src}{name}.scm").decode("utf-8"))["Properties"]
            if name == "Screen1":
                design["AppName"] = form.get("AppName", props["name"])
            blocks = z.read(f"{src}{name}.bky").decode("utf-8") if f"{src}{name}.bky" in names else ""
            design["screens"].append({"name": name, "Title": form.get("Title", name),
                                      "components": [_component_data(c) for c in form.get("$Components", [])],
                                      "events": _read_events(blocks, name)})
    return design
