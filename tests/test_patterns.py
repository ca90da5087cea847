"""The learner's own app: patterns for real ワガママ, her app saved and opened again, a tester's finger on it."""

import datetime as dt
import json

import pytest

from wagamama.app import App, load_design, tour
from wagamama.app.patterns import (
    PATTERNS,
    aiteiru_bun,
    chikai_bun,
    fun,
    jikan_bun,
    kazoeru,
    kiroku_bun,
    kiroku_tasu,
    kongetsu_no_event,
    kyou_no,
    kyou_no_gomi,
    nokori_bun,
    shirushi_hozon,
    shirushi_yomu,
    starter,
    suggest,
    tsugi_no_gomi,
    tsugi_no_hi_bun,
)
from wagamama.app.saved import (
    SAMPLE_MARK,
    find,
    load_app,
    my_app,
    my_design,
    sample_app,
    save_app,
    write_page,
)


@pytest.fixture(autouse=True)
def somewhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("WAGAMAMA_TODAY", "2026-11-09")
    return tmp_path


@pytest.mark.parametrize("pid", list(PATTERNS))
def test_every_starter_design_works_as_it_is(pid):
    app = load_design(starter(pid, "kata_" + pid, "型の見本"))
    assert app.problems() == []
    assert tour.problems(tour.run(app)) == []


@pytest.mark.parametrize("text, first", [
    ("資源ごみの日がいつか分からず、びんや缶が台所にたまる", "yotei"),
    ("母の通院の付きそいで、待ち時間が長く半日つぶれる", "kiroku"),
    ("子どもの習い事の迎えの時間が、曜日ごとにちがう", "yotei"),
    ("通院の日の持ち物を、いつも1つ忘れる", "checklist"),
    ("夜に具合が悪くなったとき、近くの開いている診療所が分からない", "shiraberu"),
    ("薬を飲んだ回数を数え忘れる", "kazoeru"),
])
def test_suggest_names_the_pattern_her_problem_fits(text, first):
    found = suggest(text)
    assert found[0].id == first and found[-1].id == "memo"


def test_a_problem_that_fits_nothing_still_gets_an_app_that_does_one_useful_thing():
    found = suggest("なんとなく気持ちが落ちこむ")
    assert [p.id for p in found] == ["memo"]
    app = load_design(starter("memo"))
    app["TextBox1"].type_text("あしたは早く寝る")
    app["Button1"].click()
    app.restart()
    app["Button2"].click()
    assert app["Label1"].Text == "あしたは早く寝る"


def test_reminder_and_weekly_table_use_real_dates():
    assert tsugi_no_hi_bun("資源ごみ（びん・缶）", "水2 水4") == (
        "次の資源ごみ（びん・缶）は 11月11日（水） です（あさって）。その次は 11月25日（水） です。")
    assert "予定が読めません" not in tsugi_no_hi_bun("集金", "毎月25日") and "読めません" in tsugi_no_hi_bun("集金", "毎月")
    assert kyou_no({"月曜": "16:00", "水": "17:30"}, nani="迎え") == "きょう（月）の迎えは 16:00 です。"
    assert kyou_no({"火": "16:00"}, "2026-11-11", "迎え") == "11月11日（水）の迎えは、ありません。"


def test_town_data_lookups():
    assert kyou_no_gomi("東区", "2026-11-04") == "11月4日（水）の東区は 資源ごみ（びん・缶）の日です。"
    assert "11月18日（水）" in tsugi_no_gomi("東区", "資源ごみ（びん・缶）", "2026-11-05")
    assert "ありません" in kyou_no_gomi("海辺", "2026-11-04")
    assert chikai_bun("aed", "さくら中学校").startswith("さくら中学校からいちばん近いAEDは さくら中学校")
    assert "さくら総合病院" in aiteiru_bun("医療機関", dt.datetime(2026, 11, 3, 10, 0))  # 文化の日: only the hospital
    assert "さくら総合病院" not in aiteiru_bun("医療機関", dt.datetime(2026, 11, 11, 20, 0))
    assert kongetsu_no_event("2026-11-02")[1] == "11月8日（日） AED・心肺蘇生講習会"


def test_log_checklist_and_counter_keep_their_data(tmp_path):
    app = App("kiroku_test", data_dir=tmp_path / "d")
    s = app.screen("Screen1")
    db = s.add("TinyDB", "TinyDB1")
    kiroku_tasu(db, "2時間", kyou="2026-11-02")
    entries = kiroku_tasu(db, "１時間半", kyou="2026-11-16")
    assert entries[-1] == {"日付": "2026-11-16", "内容": "1時間半"}
    assert kiroku_bun(entries).splitlines() == ["これまで2回。", "11月16日（月） 1時間半", "11月2日（月） 2時間",
                                                "平均 1時間45分"]
    assert (fun("2時間半"), fun("90分"), fun("少し"), jikan_bun(45)) == (150, 90, None, "45分")
    for text in ("保険証", "おくすり手帳"):
        s.add("CheckBox", f"Check{len(text)}", Text=text)
    app["Check3"].toggle()
    shirushi_hozon(s, db)
    app.restart()
    assert nokori_bun(s) == "のこり2つ: 保険証、おくすり手帳"
    shirushi_yomu(s, db)
    assert nokori_bun(s) == "のこり1つ: おくすり手帳"
    assert [kazoeru(db), kazoeru(db)] == [1, 2]


def test_her_app_is_saved_and_opened_again_with_its_python_handlers(tmp_path):
    design = starter("yotei", "gomi_no_hi", "ごみの日")
    app = load_design(design)
    itsu = "水2 水4"  # plain data the handler uses  # noqa: F841 (read through the handler's globals)
    Label1 = app["Label1"]  # noqa: N806 (the component's name)

    def midashi(nani):
        return f"【{nani}】"

    @app["Button1"].on_click
    def miseru():
        Label1.Text = midashi("ごみ") + tsugi_no_hi_bun("資源ごみ", app["TinyDB1"].get_value("itsu", itsu))

    (tmp_path / "06_app").mkdir()
    path = save_app(app, tmp_path / "06_app" / "my_app.json", 型="yotei")
    record = json.loads(path.read_text(encoding="utf-8"))
    assert record["python"][0]["name"] == "miseru" and record["データ"] == {"itsu": "水2 水4"}
    assert "def midashi" in record["関数"]["midashi"] and record["型"] == "yotei"
    (tmp_path / "09_happyou").mkdir()
    again = load_app(path)
    again["Button1"].click()
    assert again["Label1"].Text == "【ごみ】次の資源ごみは 11月11日（水） です（あさって）。その次は 11月25日（水） です。"
    assert again.data_dir == app.data_dir.resolve() or again.data_dir.resolve() == (tmp_path / "app_data" / "gomi_no_hi")
    # from module 9's folder, her newest app is found where module 6 saved it, and saved again works
    import os

    os.chdir(tmp_path / "09_happyou")
    assert find("my_app.json") == path
    mine = my_app(quiet=True)
    assert mine.AppName == "ごみの日" and SAMPLE_MARK not in mine.AppName
    save_app(mine, "my_app.json", quiet=True)
    assert "def miseru" in json.loads((tmp_path / "09_happyou" / "my_app.json").read_text())["python"][0]["code"]
    assert write_page(pitch="# ごみの日").exists()


def test_only_a_missing_design_brings_the_labelled_sample(tmp_path, capsys):
    design = my_design()
    assert SAMPLE_MARK in design["AppName"] and "【見本の設計を使います】" in capsys.readouterr().out
    assert SAMPLE_MARK in my_app().AppName and "【見本のアプリを使います】" in capsys.readouterr().out
    (tmp_path / "05_sekkei").mkdir()
    (tmp_path / "05_sekkei" / "my_sekkei.json").write_text(json.dumps(
        {"問題文": "…", "設計": starter("memo", "dengon", "家族への伝言")}, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "ex06_app").mkdir()
    import os

    os.chdir(tmp_path / "ex06_app")
    assert my_design()["AppName"] == "家族への伝言" and (tmp_path / "ex06_app" / "my_sekkei.json").exists()
    assert "見本" not in capsys.readouterr().out


def test_restart_puts_the_design_back_and_runs_initialize(tmp_path):
    app = load_design(starter("memo"))
    seen = []

    @app["Screen1"].on_initialize
    def hiraku():
        seen.append(app["TinyDB1"].get_value("memo", "なし"))
        app["Label1"].Text = "前のメモ: " + seen[-1]

    app["TextBox1"].type_text("牛乳")
    app["Button1"].click()
    app.restart()
    assert seen == ["牛乳"] and app["Label1"].Text == "前のメモ: 牛乳" and app["TextBox1"].Text == ""
    assert {"when": "Screen1.Initialize", "python": "hiraku"} in app.to_design()["screens"][0]["events"]


def sample_with(change) -> App:
    app = sample_app()
    change(app)
    return app


def test_the_tour_finds_buttons_that_show_nothing_and_screens_no_one_opens():
    def prints(app):
        @app["Button1"].on_click
        def miseru():
            print("11月10日です")

    found = tour.problems(tour.run(sample_with(prints)), tour.python_buttons(sample_with(prints)))
    assert len(found) == 1 and "Button1「次はいつ？」" in found[0] and "print では" in found[0]

    def wrong_button(app):
        @app["Button2"].on_click
        def miseru():
            app["Label1"].Text = "次は11月10日です"

    found = tour.problems(tour.run(sample_with(wrong_button)))
    assert found == ["Screen2（画面）: どのボタンからも開けません。ほかの画面のボタンに、Screen2 を開く動きを書きます"
                     "（設計なら {\"open\": \"Screen2\"}、Python なら app.open_screen(\"Screen2\")）。"]

    def breaks(app):
        @app["Button1"].on_click
        def miseru():
            app["Label1"].Text = app["TextBox9"].Text

    assert "押すとエラーになります" in tour.problems(tour.run(sample_with(breaks)))[0]


def test_what_is_stored_comes_back_only_when_the_same_tag_is_read():
    app = sample_app()
    assert tour.comes_back(app, "Button3")["read"] == [["TinyDB1", "haitatsu"]]
    before = app.saved_data()

    def other_tag(app):
        @app["Button3"].on_click
        def hozon_suru():
            app["TinyDB2"].store_value("はいたつ", app["TextBox1"].Text)
            app["Notifier1"].show_alert("保存しました")

    found = tour.comes_back(sample_with(other_tag), "Button3")
    assert found["stored"] == [["TinyDB1", "はいたつ"]] and found["read"] == [] and found["read_others"] == [
        ["TinyDB1", "haitatsu"]]
    assert app.saved_data() == before  # the tour puts back what the app had stored


def test_changing_what_get_value_returns_never_changes_her_default(tmp_path):
    app = load_design(starter("yotei"))
    hyou = {"月": "16:00"}
    got = app["TinyDB1"].get_value("hyou", hyou)
    got["月"] = "チェックの文字"  # a handler that writes into what it read (the tour types test text)
    assert hyou == {"月": "16:00"}


def test_a_button_that_cannot_be_pressed_is_not_asked_to_change_anything():
    def disabled(app):
        app["Button1"].Enabled = False

    assert tour.problems(tour.run(sample_with(disabled))) == []
