"""The App Inventor-like toolkit: model, events, designs and their checks, store, preview, .aia, serving."""

import json
import re
import subprocess
import sys
import warnings
import zipfile
from datetime import date
from xml.etree import ElementTree as ET

import pytest
import yaml

from wagamama.app import (
    COMPONENT_TYPES,
    App,
    DesignError,
    StoreWarning,
    check_design,
    load_design,
    read_aia,
    serve,
)
from wagamama.app.components import KINDS
from wagamama.app.preview import Preview

MUKAE = {
    "app": "mukae_memo", "AppName": "迎えの時間メモ",
    "screens": [
        {"name": "Screen1", "Title": "迎えの時間メモ",
         "components": [
             {"type": "ListView", "name": "ListView1", "Elements": ["月", "火", "水"]},
             {"type": "HorizontalArrangement", "name": "Row1", "components": [
                 {"type": "Button", "name": "Button1", "Text": "時間を見る"},
                 {"type": "Button", "name": "Button2", "Text": "設定画面へ"}]},
             {"type": "Label", "name": "Label1", "Text": "曜日を選んでください", "FontSize": 18},
             {"type": "TinyDB", "name": "TinyDB1"},
         ],
         "events": [
             {"when": "Button1.Click", "do": [{"set": "Label1.Text", "to": {"join": [
                 "迎えは ", {"get": "TinyDB1", "tag": "mukae", "default": "まだありません"}]}}]},
             {"when": "Button2.Click", "do": [{"open": "Screen2"}]},
         ]},
        {"name": "Screen2", "Title": "設定",
         "components": [
             {"type": "TextBox", "name": "TextBox1", "Hint": "16:00"},
             {"type": "CheckBox", "name": "CheckBox1", "Text": "毎週同じ"},
             {"type": "Button", "name": "Button3", "Text": "保存"},
             {"type": "Notifier", "name": "Notifier1"},
             {"type": "TinyDB", "name": "TinyDB2"},
         ],
         "events": [
             {"when": "Button3.Click", "do": [
                 {"store": "TinyDB2", "tag": "mukae", "value": {"get": "TextBox1.Text"}},
                 {"set": "Button3.Enabled", "to": False},
                 {"alert": "保存しました"}]}]},
    ],
}


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    return load_design(MUKAE)


def dengon(tmp_path) -> App:
    app = App("dengon", AppName="伝言メモ", data_dir=tmp_path / "data")
    s = app.screen("Screen1", Title="伝言メモ")
    s.add("TextBox", "TextBox1", Hint="伝言")
    s.add("Button", "Button1", Text="メモする")
    s.add("Label", "Label1", Text="伝言はまだありません。")
    return app


# --- the component model -----------------------------------------------------------------------------

@pytest.mark.parametrize("type_", COMPONENT_TYPES)
def test_every_component_type_can_be_placed_with_its_app_inventor_properties(tmp_path, type_):
    app = App("t", data_dir=tmp_path)
    s = app.screen()
    parent = s.add("VerticalArrangement", "Box1") if KINDS[type_].visible and type_ != "VerticalArrangement" else s
    c = parent.add(type_, f"{type_}1")
    assert c.type == type_ and app[f"{type_}1"] is c
    for prop, default in KINDS[type_].properties.items():
        assert getattr(c, prop) == default


def test_required_components_and_property_names_exist():
    for t in ["Label", "Button", "TextBox", "ListView", "Image", "CheckBox", "DatePicker", "TinyDB", "Notifier", "Clock"]:
        assert t in KINDS
    assert {"Text", "Hint"} <= set(KINDS["TextBox"].properties)
    assert {"Elements", "Selection"} <= set(KINDS["ListView"].properties)
    assert "TimerInterval" in KINDS["Clock"].properties


@pytest.mark.parametrize(("key", "says"), [("Txt", "使えるのは Text"), ("text", "「Text」と書きます"),
                                           ("Ｔｅｘｔ", "全角")])
def test_a_misspelt_property_is_an_error_never_a_new_attribute(tmp_path, key, says):
    label = dengon(tmp_path)["Label1"]
    with pytest.raises(AttributeError, match=says) as e:
        setattr(label, key, "こんにちは")
    assert "Label1" in str(e.value)
    assert label.Text == "伝言はまだありません。"


def test_a_component_instead_of_its_text_says_to_take_text(tmp_path):
    app = dengon(tmp_path)
    with pytest.raises(DesignError, match=r"\.Text をつけて"):
        app["Label1"].Text = app["TextBox1"]


def test_values_are_coerced_like_app_inventor(tmp_path):
    app = App("t", data_dir=tmp_path)
    s = app.screen()
    lv = s.add("ListView", "ListView1", Elements="月, 火,水")
    clock = s.add("Clock", "Clock1", TimerInterval="２０００")
    cb = s.add("CheckBox", "CheckBox1", Text="済み", Checked="True")
    assert lv.Elements == ["月", "火", "水"] and clock.TimerInterval == 2000 and cb.Checked is True
    with pytest.raises(DesignError, match="True か False"):
        cb.Checked = "はい"


@pytest.mark.parametrize(("name", "says"), [("ボタン1", "半角の英字で始め"), ("Ｂｕｔｔｏｎ1", "半角で「Button1」"),
                                            ("1Button", "半角の英字で始め"), ("", "名前がありません")])
def test_component_names_are_ascii_identifiers(tmp_path, name, says):
    s = App("t", data_dir=tmp_path).screen()
    with pytest.raises(DesignError, match=says):
        s.add("Button", name, Text="押す")


def test_names_are_unique_across_the_app(tmp_path):
    app = dengon(tmp_path)
    s2 = app.screen("Screen2")
    with pytest.raises(DesignError, match="「Label1」という名前は、もう使われています（Screen1）"):
        s2.add("Label", "Label1")
    with pytest.raises(DesignError, match="Screen1"):
        App("t", data_dir=tmp_path).screen("Main")


def test_japanese_app_name_is_refused_with_where_japanese_goes():
    with pytest.raises(DesignError, match="AppName|Title"):
        App("迎えメモ")


# --- events ------------------------------------------------------------------------------------------

def test_handlers_with_or_without_an_argument_and_replaced_on_rerun(tmp_path):
    app = dengon(tmp_path)
    b, label, box = app["Button1"], app["Label1"], app["TextBox1"]

    @b.on_click
    def memo():
        label.Text = "1: " + box.Text

    box.type_text("牛乳")
    b.click()
    assert label.Text == "1: 牛乳"

    @b.on_click
    def memo2(button):  # a second run of the cell: replaces, never adds
        label.Text = f"2: {button.name}"

    b.click()
    assert label.Text == "2: Button1" and list(b.handlers) == ["Click"]


def test_handler_mistakes_get_japanese_messages(tmp_path):
    app = dengon(tmp_path)
    with pytest.raises(DesignError, match=r"\( \) をつけていませんか"):
        app["Button1"].on_click(None or "memo()")
    with pytest.raises(DesignError, match="「Click」というイベントはありません"):
        app["Label1"].on_click(lambda: None)
    with pytest.raises(DesignError, match="「Clik」というイベントはありません.*Click"):
        app["Button1"].when("Clik", lambda: None)


def test_headless_use_of_every_interactive_component(tmp_path):
    app = App("t", data_dir=tmp_path)
    s = app.screen()
    seen = []
    lv = s.add("ListView", "ListView1", Elements=["月", "火"])
    cb = s.add("CheckBox", "CheckBox1", Text="済み")
    dp = s.add("DatePicker", "DatePicker1", Text="日付")
    clock = s.add("Clock", "Clock1")
    note = s.add("Notifier", "Notifier1")
    b = s.add("Button", "Button1", Text="押す", Enabled=False)
    lv.after_picking(lambda: seen.append(lv.Selection))
    cb.on_change(lambda: seen.append(cb.Checked))
    dp.after_date_set(lambda c: seen.append(c.Text))
    clock.on_timer(lambda: seen.append("tick"))
    b.on_click(lambda: seen.append("clicked"))
    lv.pick("火")
    cb.toggle()
    dp.pick_date(date(2026, 12, 1))
    clock.tick()
    b.click()  # disabled: nothing happens
    note.show_alert("ごみの日です")
    assert seen == ["火", True, "2026/12/1", "tick"] and note.alerts == ["ごみの日です"]
    with pytest.raises(DesignError, match="「金」はありません"):
        lv.pick("金")
    with pytest.raises(DesignError, match="クリックできません"):
        lv.click()


def test_running_the_app_does_not_change_its_design(app):
    app["Button2"].click()
    assert app.current_screen.name == "Screen2"
    app["TextBox1"].type_text("16:30")
    app["Button3"].click()
    app.close_screen()
    app["Button1"].click()
    assert app["Label1"].Text == "迎えは 16:30" and app["Notifier1"].alerts == ["保存しました"]
    assert app["Button3"].Enabled is False
    assert app.to_design() == load_design(MUKAE).to_design()


# --- designs as data and their checks ----------------------------------------------------------------

def test_a_complete_design_has_no_problems_and_loads_from_yaml(app, capsys):
    assert app.problems() == []
    app.check()
    assert "⭕" in capsys.readouterr().out
    assert load_design(yaml.safe_dump(MUKAE, allow_unicode=True)).to_design() == app.to_design()


def with_changes(change) -> dict:
    design = json.loads(json.dumps(MUKAE))
    change(design)
    return design


S1, S2 = 0, 1


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d["screens"][S1]["components"].append({"type": "Label", "name": "ListView1"}),
     "「ListView1」という名前は、もう使われています"),
    (lambda d: d["screens"][S1]["components"].append({"type": "Buton", "name": "Button9"}), "「Buton」はありません.*Button"),
    (lambda d: d["screens"][S1]["components"][2].update(Txt="x"), "Label1（ラベル）に「Txt」というプロパティはありません"),
    (lambda d: d["screens"][S1]["events"][0].update(when="Buton1.Click"), "「Buton1」という部品は、この画面"),
    (lambda d: d["screens"][S1]["events"][0]["do"][0].update(set="Label2.Text"), "「Label2」という部品が、この画面"),
    (lambda d: d["screens"][S1]["events"][1]["do"][0].update(open="Screen3"), "「Screen3」という画面はありません"),
    (lambda d: d["screens"][S1]["events"].append({"when": "Button1.Click"}), "\"when\" と \"do\""),
    (lambda d: d.update(screen=[]), "「screen」という項目はありません"),
    (lambda d: d.update(app="迎え"), "アプリの名前"),
    (lambda d: d["screens"][S2]["components"][3].update(type="Notifer"), "Notifier"),
])
def test_design_that_cannot_be_built_lists_every_problem(change, says):
    design = with_changes(change)
    with pytest.raises(DesignError, match=says):
        load_design(design)
    assert any(re.search(says, p) for p in check_design(design))


@pytest.mark.parametrize(("change", "says"), [
    (lambda d: d["screens"][S1]["events"].pop(0), "Button1（Screen1 のボタン）「時間を見る」: 押されたときの動きがありません"),
    (lambda d: d["screens"][S1]["events"][1].update(do=[{"set": "Label1.Text", "to": "x"}]),
     "Screen2（画面）: どの画面からも開けません"),
    (lambda d: d["screens"][S2]["components"][1].update(Text=""), "CheckBox1.*Text が空です"),
    (lambda d: d["screens"][S1]["components"][2].update(Text=""), None),  # set by Button1: fine
    (lambda d: d["screens"][S2]["components"].insert(0, {"type": "Label", "name": "Label9"}), "Label9.*どのイベントでも"),
    (lambda d: d["screens"][S2]["events"][0]["do"][0].update(tag="mukae_jikan"),
     "「mukae」を読み出していますが、どこでも保存していません。保存しているのは「mukae_jikan」"),
])
def test_unfinished_design_problems_name_the_component(change, says):
    problems = check_design(with_changes(change))
    if says is None:
        assert problems == []
    else:
        assert len(problems) == 1 and re.search(says, problems[0]), problems
        with pytest.raises(DesignError):
            load_design(with_changes(change)).check()


def test_python_handlers_count_for_reachability_and_tags(tmp_path):
    app = dengon(tmp_path)
    s2 = app.screen("Screen2")
    s2.add("Button", "Back", Text="もどる").on_click(app.close_screen)
    db = app.screens["Screen1"].add("TinyDB", "TinyDB1")
    app.screens["Screen1"].when("Button1.Click", do=[{"set": "Label1.Text", "to": {"get": "TinyDB1", "tag": "dengon"}}])
    problems = app.problems()
    assert any("Screen2（画面）: どの画面からも開けません" in p for p in problems)
    assert any("「dengon」を読み出していますが" in p for p in problems)
    lbl = app.screens["Screen1"].add("Button", "Go", Text="設定")

    @lbl.on_click
    def go():
        db.store_value("dengon", "x")
        app.open_screen("Screen2")

    assert app.problems() == []


# --- the store ---------------------------------------------------------------------------------------

def test_store_survives_a_new_process(tmp_path):
    app = dengon(tmp_path)
    db = app.screens["Screen1"].add("TinyDB", "TinyDB1")
    db.store_value("mukae", {"月": "16:00", "火": "17:30"})
    db.store_value("kaisuu", 3)
    code = ("from wagamama.app import App; import sys; a = App('dengon', data_dir=sys.argv[1]); s = a.screen();"
            "db = s.add('TinyDB', 'TinyDB1'); print(db.get_value('mukae')['火'], db.get_value('kaisuu'),"
            " db.get_value('nai', 'なし'), sorted(db.get_tags()))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "data")], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["17:30", "3", "なし", "['kaisuu',", "'mukae']"]
    assert "火" in (tmp_path / "data" / "TinyDB1.json").read_text(encoding="utf-8")  # readable Japanese
    db.clear_tag("kaisuu")
    assert db.get_tags() == ["mukae"]
    db.clear_all()
    assert db.get_tags() == []


def test_namespaces_are_separate_files(tmp_path):
    s = dengon(tmp_path).screens["Screen1"]
    a, b = s.add("TinyDB", "TinyDB1"), s.add("TinyDB", "TinyDB2", Namespace="settei")
    a.store_value("x", 1)
    assert b.get_value("x", "なし") == "なし" and (tmp_path / "data" / "settei.json").exists() is False


@pytest.mark.parametrize("broken", [b'{"mukae": "16:00"', b"\xff\xfe garbage", b'["a list"]'])
def test_a_corrupt_store_is_kept_aside_with_a_japanese_message(tmp_path, broken):
    s = dengon(tmp_path).screens["Screen1"]
    db = s.add("TinyDB", "TinyDB1")
    path = tmp_path / "data" / "TinyDB1.json"
    path.parent.mkdir(parents=True)
    path.write_bytes(broken)
    with pytest.warns(StoreWarning, match="壊れていて読めません.*講師に見せてください"):
        assert db.get_value("mukae", "なし") == "なし"
    aside = list(path.parent.glob("TinyDB1.json.broken-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == broken
    db.store_value("mukae", "17:00")
    assert json.loads(path.read_text(encoding="utf-8")) == {"mukae": "17:00"}
    assert aside[0].read_bytes() == broken


def test_storing_a_component_says_to_take_its_text(tmp_path):
    app = dengon(tmp_path)
    db = app.screens["Screen1"].add("TinyDB", "TinyDB1")
    with pytest.raises(ValueError, match=r"\.Text などで中身を取り出して"):
        db.store_value("dengon", app["TextBox1"])
    assert not (tmp_path / "data" / "TinyDB1.json").exists()


# --- .aia export ---------------------------------------------------------------------------------------

def scm_files(path):
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n).decode("utf-8") for n in z.namelist()}


def test_aia_layout_and_project_properties(app, tmp_path):
    files = scm_files(app.export_aia(tmp_path / "mukae_memo.aia"))
    src = "src/appinventor/ai_wagamama/mukae_memo/"
    assert set(files) == {"youngandroidproject/project.properties"} | {
        f"{src}{s}.{ext}" for s in ("Screen1", "Screen2") for ext in ("scm", "bky")}
    props = dict(line.split("=", 1) for line in files["youngandroidproject/project.properties"].splitlines() if "=" in line)
    assert props["main"] == "appinventor.ai_wagamama.mukae_memo.Screen1" and props["name"] == "mukae_memo"
    assert props["aname"].encode().decode("unicode_escape") == "迎えの時間メモ" and props["aname"].isascii()
    for key in ["assets", "source", "build", "versioncode", "versionname", "sizing", "showlistsasjson"]:
        assert key in props


def test_every_scm_is_json_in_the_exact_framing_with_all_keys(app, tmp_path):
    files = scm_files(app.export_aia(tmp_path / "mukae_memo.aia"))
    for name, text in files.items():
        if not name.endswith(".scm"):
            continue
        assert re.fullmatch(r"#\|\n\$JSON\n[^\n]+\n\|#\n", text), name
        body = json.loads(text.split("\n")[2])
        assert body["YaVersion"] == "168" and body["Source"] == "Form" and body["authURL"]
        form = body["Properties"]
        assert form["$Type"] == "Form" and form["Uuid"] == "0" and form["$Version"] == "23"

        def check(component):
            assert {"$Name", "$Type", "$Version", "Uuid"} <= set(component)
            assert component["$Version"] == KINDS[component["$Type"]].version
            assert int(component["Uuid"]) >= 0
            for key, value in component.items():
                if key != "$Components":
                    assert isinstance(value, str), (key, value)
            for child in component.get("$Components", []):
                check(child)

        check(form)
        if name.endswith("Screen1.scm"):
            assert form["AppName"] == "迎えの時間メモ"
            lv = form["$Components"][0]
            assert lv["ElementsFromString"] == "月,火,水" and "Selection" not in lv  # defaults are omitted
            assert form["$Components"][1]["$Components"][0]["Text"] == "時間を見る"
            assert form["$Components"][2]["FontSize"] == "18.0"
        else:
            assert "AppName" not in form and form["Title"] == "設定"


def test_blocks_are_app_inventor_blockly(app, tmp_path):
    files = scm_files(app.export_aia(tmp_path / "mukae_memo.aia"))
    root = ET.fromstring(files["src/appinventor/ai_wagamama/mukae_memo/Screen2.bky"])
    ns = {"b": "https://developers.google.com/blockly/xml"}
    assert root.find("b:yacodeblocks", ns).attrib == {"ya-version": "168", "language-version": "22"}
    event = root.find("b:block", ns)
    assert event.get("type") == "component_event"
    assert event.find("b:mutation", ns).attrib == {"component_type": "Button", "is_generic": "false",
                                                   "instance_name": "Button3", "event_name": "Click"}
    first = event.find("b:statement[@name='DO']/b:block", ns)
    assert first.find("b:mutation", ns).get("method_name") == "StoreValue"
    getter = first.find("b:value[@name='ARG1']/b:block/b:mutation", ns)
    assert getter.attrib["set_or_get"] == "get" and getter.attrib["property_name"] == "Text"
    second = first.find("b:next/b:block", ns)
    assert second.find("b:mutation", ns).attrib["property_name"] == "Enabled"
    assert second.find("b:value/b:block", ns).get("type") == "logic_boolean"
    third = second.find("b:next/b:block", ns)
    assert third.find("b:mutation", ns).attrib["method_name"] == "ShowAlert" and third.find("b:next", ns) is None


def test_round_trip_design_to_aia_and_back(app, tmp_path):
    back = read_aia(app.export_aia(tmp_path / "mukae_memo.aia"))
    assert load_design(back).to_design() == app.to_design()
    assert back["AppName"] == "迎えの時間メモ" and [s["name"] for s in back["screens"]] == ["Screen1", "Screen2"]


def test_python_handlers_are_reported_not_dropped_silently(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    app = dengon(tmp_path)

    @app["Button1"].on_click
    def memo():
        app["Label1"].Text = app["TextBox1"].Text

    path = app.export_aia()
    out = capsys.readouterr().out
    assert path.name == "dengon.aia" and "Button1.Click: Python の関数 memo は、ブロックにできません" in out
    assert "component_event" not in scm_files(path)["src/appinventor/ai_wagamama/dengon/Screen1.bky"]
    assert read_aia(path)["screens"][0]["events"] == []


def test_pictures_go_into_assets_and_missing_ones_are_reported(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "gomi.png").write_bytes(b"\x89PNG fake")
    app = dengon(tmp_path)
    app.screens["Screen1"].add("Image", "Image1", Picture="gomi.png")
    app.screens["Screen1"].add("Image", "Image2", Picture="nai.png")
    app["Button1"].on_click([{"set": "Label1.Text", "to": "ok"}])
    with zipfile.ZipFile(app.export_aia()) as z:
        assert z.read("assets/gomi.png") == b"\x89PNG fake" and "assets/nai.png" not in z.namelist()
        scm = json.loads(z.read("src/appinventor/ai_wagamama/dengon/Screen1.scm").decode().split("\n")[2])
    assert scm["Properties"]["$Components"][3]["Picture"] == "gomi.png"
    assert "Image2: 画像ファイル nai.png が見つからない" in capsys.readouterr().out


def test_file_name_must_be_ascii_and_foreign_zips_are_refused(app, tmp_path):
    with pytest.raises(DesignError, match="ファイル名"):
        app.export_aia(tmp_path / "迎え.aia")
    with zipfile.ZipFile(tmp_path / "x.aia", "w") as z:
        z.writestr("src/Screen1.scm", "")
    with pytest.raises(DesignError, match="project.properties"):
        read_aia(tmp_path / "x.aia")


def test_blocks_we_cannot_read_are_reported(app, tmp_path):
    path = app.export_aia(tmp_path / "mukae_memo.aia")
    files = scm_files(path)
    bky = "src/appinventor/ai_wagamama/mukae_memo/Screen1.bky"
    files[bky] = files[bky].replace('type="controls_openAnotherScreen"', 'type="controls_forRange"')
    with zipfile.ZipFile(path, "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    with pytest.warns(UserWarning, match="Button2.Click: 読めないブロック"):
        back = read_aia(path)
    assert [e["when"] for e in back["screens"][0]["events"]] == ["Button1.Click"]


# --- preview -------------------------------------------------------------------------------------------

def test_preview_clicks_run_the_handler_and_update_the_screen(app):
    p = Preview(app)
    assert p.title.value.count("迎えの時間メモ") == 1 and "TinyDB1" in p.hidden.value
    p.widgets["Button2"].click()  # the widget itself, as a finger would
    assert "設定" in p.title.value and "Notifier1" in p.hidden.value
    p.widgets["TextBox1"].value = "17:00"
    assert app["TextBox1"].Text == "17:00"
    p.widgets["Button3"].click()
    assert "保存しました" in p.message.value and p.widgets["Button3"].disabled
    app.close_screen()
    p.widgets["ListView1"].value = "火"
    assert app["ListView1"].Selection == "火"
    p.widgets["Button1"].click()
    assert "迎えは 17:00" in p.widgets["Label1"].value


def test_preview_shows_a_handler_error_in_japanese_and_keeps_running(tmp_path):
    app = dengon(tmp_path)

    @app["Button1"].on_click
    def memo():
        app["Label1"].Txt = "x"

    p = Preview(app)
    p.widgets["Button1"].click()
    assert "エラーが起きました" in p.message.value and "「Txt」というプロパティはありません" in p.message.value
    app["Button1"].on_click(lambda: setattr(app["Label1"], "Text", "直りました"))
    p.widgets["Button1"].click()
    assert p.message.value == "" and "直りました" in p.widgets["Label1"].value


# --- serving and the QR code ---------------------------------------------------------------------------

def test_page_url_under_jupyterhub_start_and_voila(monkeypatch):
    for var in ["WAGAMAMA_VOILA_URL", "JUPYTERHUB_SERVICE_PREFIX", "JUPYTERHUB_PUBLIC_URL", "WAGAMAMA_PUBLIC_URL"]:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("JPY_SESSION_NAME", "curriculum/09_happyou/09 発表.ipynb")
    monkeypatch.setenv("WAGAMAMA_PUBLIC_URL", "http://127.0.0.1:8888/")
    assert serve.page_url() == "http://127.0.0.1:8888/voila/render/curriculum/09_happyou/09%20%E7%99%BA%E8%A1%A8.ipynb"
    monkeypatch.setenv("JUPYTERHUB_SERVICE_PREFIX", "/user/hanako/")
    monkeypatch.setenv("JUPYTERHUB_PUBLIC_URL", "https://lab.example-town.jp/")
    assert serve.page_url("a.ipynb") == "https://lab.example-town.jp/user/hanako/voila/render/a.ipynb"
    monkeypatch.setenv("WAGAMAMA_VOILA_URL", "http://127.0.0.1:8866/")
    assert serve.page_url() == "http://127.0.0.1:8866/"
    monkeypatch.delenv("WAGAMAMA_VOILA_URL")
    monkeypatch.delenv("JPY_SESSION_NAME")
    with pytest.raises(DesignError, match=r"app.qr\(\"09_happyou.ipynb\"\)"):
        serve.page_url()


def test_qr_code_carries_the_url_and_says_when_only_this_computer_can_open_it(app):
    local = serve.QRCode("http://127.0.0.1:8866/")
    assert "<svg" in local._repr_html_() and "このパソコンの中だけ" in local._repr_html_()
    hub = serve.QRCode("https://lab.example-town.jp/user/hanako/voila/render/a.ipynb")
    assert "このパソコンの中だけ" not in hub._repr_html_() and "カメラで読みとる" in hub._repr_html_()
    assert hub.code.designator and hub.code.mode == "byte"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert app.qr("x.ipynb").url.endswith("/voila/render/x.ipynb")


def test_cli_checks_and_exports_a_yaml_design(tmp_path, capsys):
    from wagamama.cli import main

    good = tmp_path / "mukae.yaml"
    good.write_text(yaml.safe_dump(MUKAE, allow_unicode=True), encoding="utf-8")
    assert main(["app", "check", str(good)]) == 0 and "⭕" in capsys.readouterr().out
    assert main(["app", "export", str(good), "-o", str(tmp_path / "mukae_memo.aia")]) == 0
    assert read_aia(tmp_path / "mukae_memo.aia")["AppName"] == "迎えの時間メモ"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(with_changes(lambda d: d["screens"][S1]["events"].pop(0)), allow_unicode=True),
                   encoding="utf-8")
    assert main(["app", "check", str(bad)]) == 1
    assert "Button1（Screen1 のボタン）" in capsys.readouterr().err
    (tmp_path / "broken.yaml").write_text("app: x\nscreens:\n - name: Screen1\n  components: [", encoding="utf-8")
    assert main(["app", "check", str(tmp_path / "broken.yaml")]) == 1
    assert "YAML が読めません" in capsys.readouterr().err


def test_helper_reported_traps_have_clear_messages(tmp_path):
    app = dengon(tmp_path)

    def kotae():
        pass  # forgot return

    with pytest.raises(DesignError, match="return で答えを返しているか"):
        app["Label1"].Text = kotae()
    with pytest.raises(DesignError, match=r"\( \) をつけていませんか"):
        app["Button1"].on_click(kotae())  # on_click(None) must not pass silently
    s2 = app.screen("Screen2")
    s2.add("Label", "Label2", Text="設定")
    with pytest.raises(DesignError, match="Button1 は Screen1 の部品です"):
        s2.when("Button1.Click", do=[])
    with pytest.raises(DesignError, match="半角の英字で始め"):
        s2.add("Label", "ラベル")


def test_back_action_runs_exports_and_reads_back(app, tmp_path):
    design = with_changes(lambda d: d["screens"][S2]["components"].append({"type": "Button", "name": "Back", "Text": "もどる"}))
    design["screens"][S2]["events"].append({"when": "Back.Click", "do": [{"back": True}]})
    app = load_design(design)
    app["Button2"].click()
    app["Back"].click()
    assert app.current_screen.name == "Screen1"
    assert load_design(read_aia(app.export_aia(tmp_path / "mukae_memo.aia"))).to_design() == app.to_design()
    bad = with_changes(lambda d: d["screens"][S1]["events"].append({"when": "Button1.LongClick", "do": [{"back": True}]}))
    assert any("もどる先がありません" in p for p in check_design(bad))
    assert any("Screen1 の Button1.LongClick" in p and "Screen1 のイベント" not in p for p in check_design(
        with_changes(lambda d: d["screens"][S1]["events"].append({"when": "Button1.LongClick", "do": [{"set": "X.Text", "to": "a"}]}))))


def test_empty_screen_is_a_problem():
    assert check_design({"app": "x", "screens": [{"name": "Screen1"}]}) == ["Screen1（画面）: 部品がありません。ラベルやボタンを置きます。"]


def test_preview_follows_selection_and_goes_back(app):
    p = Preview(app)
    app["ListView1"].pick("水")
    assert p.widgets["ListView1"].value == "水"
    assert p.back.layout.display == "none"
    p.widgets["Button2"].click()
    assert p.back.layout.display == "" and "設定" in p.title.value
    p.back.click()
    assert app.current_screen.name == "Screen1" and "迎えの時間メモ" in p.title.value
