"""Three learners, three ワガママ, modules 01 → 09 in one workspace each, with their own answers typed in.

The garbage calendar (資源ごみの日、第2・第4水曜), the hospital wait (通院の待ち時間) and the children's
pick-up (習い事の迎えの時間). Each one writes her diary, her problem, her idea, her own design, her own
handlers; assignment 6 is done in the same workspace. Then: the app previewed in module 6, the page served in
module 9 (Voilà on 127.0.0.1, opened in chromium) and the exported .aia are built from her design (her screen
and component names, her texts), the .aia passes App Inventor's export checks, and no sample appears anywhere
once her files exist. Screenshots of the three pages go to bench/out/screenshots/ (git-ignored).

One kernel per learner runs all her notebooks (each notebook starts from a clean namespace in its own folder).
"""

import json
import re
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import REPO, need
from jupyter_client import KernelManager
from nbclient import NotebookClient

from wagamama.app import read_aia

pytestmark = pytest.mark.slow
TODAY = "2026-11-09"  # a Monday: the answers below are said about this day
SHOTS = REPO / "bench" / "out" / "screenshots"
SAMPLE = re.compile(r"【見本の|見本の(日記|問題文|問い|アイデア|設計|アプリ|ピッチ)を(使います|表示します)|（見本）|touyu_mihon")


def diary(rows):
    return "diary = [\n" + "".join(
        f'    {{"日付": "{d}", "場面": "{b}", "困りごと": "{k}", "ひんど": {h}, "つらさ": {t}, "工夫": "{w}"}},\n'
        for d, b, k, h, t, w in rows) + "]"


def ideas(rows):
    return "ideas = [\n" + "".join(f'    {{"アイデア": "{a}", "なかま": "{n}", "効果": {e}, "やりやすさ": {y}}},\n'
                                   for a, n, e, y in rows) + "]"


COMMON = {
    "02_yusen": {
        "score": 'def score(entry):\n    return entry["ひんど"] * entry["つらさ"]',
        "top": "top = max(diary, key=score)",
    },
    "04_idea": {
        "nakama_kazu": ('def nakama_kazu(ideas):\n    kazu = {}\n    for idea in ideas:\n        nakama = idea["なかま"]\n'
                        '        if nakama in kazu:\n            kazu[nakama] = kazu[nakama] + 1\n        else:\n'
                        '            kazu[nakama] = 1\n    return kazu'),
        "tensu": 'def tensu(idea):\n    return idea["効果"] * idea["やりやすさ"]',
        "erabi": "erabi = max(ideas, key=tensu)",
    },
    "09_happyou": {
        "matomeru": ('def matomeru(daimei, pitch):\n    page = f"# {daimei}\\n\\n"\n    for midashi in MIDASHI:\n'
                     '        page = page + f"## {midashi}\\n\\n{pitch[midashi]}\\n\\n"\n    return page'),
        "konkyo": 'konkyo = f"日記に書いた{kensu}件のうち、「{bamen}」はひんど{hindo}、つらさ{tsurasa}で{ten}点でした。"',
    },
}


def learner(name, diary_rows, naze, persona, dare, itsu, nani, toi, dashita, idea_rows, minaoshi, kata, design,
            miseru, hozon, daimei, app_text, kekka, shows):
    return {
        "name": name, "design": design, "shows": shows, "answers": {
            "01_kakidasu": {"diary": diary(diary_rows)},
            "02_yusen": COMMON["02_yusen"],
            "03_kotoba": {"naze": "naze = " + repr(naze), "persona": "persona = " + repr(persona),
                          "mondai": (f"dare = {dare!r}\nitsu = {itsu!r}\nnani = {nani!r}\n"
                                     'mondai = f"{dare}は、{itsu}のときに、{nani}で困っている。"'),
                          "toi": f"toi = {toi!r}"},
            "04_idea": {**COMMON["04_idea"], "dashita": "dashita = " + repr(dashita), "ideas": ideas(idea_rows),
                        "minaoshi": "minaoshi = " + repr(minaoshi)},
            "05_sekkei": {"my_kata": f"my_kata = {kata!r}", "my_sekkei": "my_sekkei = " + json.dumps(design, ensure_ascii=False,
                                                                                                     indent=1)},
            "06_app": {"miseru": miseru},
            "07_hozon": {"hozon_suru": "import unicodedata\n\n" + hozon},
            "08_machi": {"tsugi_no_bin": ('def tsugi_no_bin(chiku, kyou):\n    gyou = shushubi[shushubi["地名"] == chiku]\n'
                                          '    return date_text(next_dates(gyou["資源ごみ（びん・缶）"].iloc[0], kyou, 1)[0])')},
            "09_happyou": {**COMMON["09_happyou"], "pitch": (
                f"daimei = {daimei!r}\npitch = {{\n    \"困りごと\": mondai,\n    \"根拠\": konkyo,\n"
                f"    \"アイデア\": erabi[\"アイデア\"],\n    \"アプリの画面と動き\": {app_text!r},\n"
                f"    \"ためした結果・次にすること\": {kekka!r},\n}}")},
            "ex06_app": {"miseru": miseru, "hozon": hozon},
        }}


GOMI = learner(
    "gomi",
    [("4月6日", "朝のごみ出し", "資源ごみの日がいつか分からず、びんや缶が台所にたまる", 4, 3, "カレンダーに丸"),
     ("4月7日", "パートの帰り", "スーパーの特売日を忘れる", 2, 2, "チラシを見る"),
     ("4月8日", "朝のごみ出し", "第2と第4の水曜日を数えまちがえて、びんを持ち帰った", 2, 4, "なし"),
     ("4月9日", "回覧板", "回覧板を回すのが遅れる", 2, 2, "玄関に置く"),
     ("4月10日", "夕ごはん", "献立を考えるのに時間がかかる", 3, 2, "週末にまとめて決める")],
    ["資源ごみの日が、月に2回しかないから", "第2・第4水曜日を、カレンダーで数えないと分からないから",
     "祝日の週は、数え方がずれる気がするから", "町のごみカレンダーが、冷蔵庫の横で見えにくいから",
     "朝は子どもの支度で、カレンダーを見る時間がないから"],
    {"呼び名": "あきこさん", "年代": "40代", "くらし": "パートで働き、小学生の子どもが2人いる", "困る場面": "水曜日の朝のごみ出し",
     "気持ち": "びんを持ち帰るたびに、がっかりする"},
    "パートで働く親", "水曜日の朝のごみ出し", "資源ごみの日を数えまちがえること",
    "どうすれば、パートで働く親が、資源ごみの日を数えずに分かるか。",
    ["冷蔵庫に大きなカレンダーをはる", "となりの人に聞く", "前の晩に家族で確かめる", "町のアプリを調べる",
     "第2・第4水曜に印をつける", "びんを玄関に置いておく", "子どもに当番をたのむ", "ごみカレンダーを写真にとる"],
    [("冷蔵庫に大きなカレンダーをはる", "紙にする", 2, 3), ("となりの人に聞く", "人に頼む", 1, 2),
     ("前の晩に家族で確かめる", "人に頼む", 2, 2), ("町のアプリを調べる", "スマホで見る", 3, 2),
     ("次の資源ごみの日を、スマホですぐに見る", "スマホで見る", 3, 3), ("びんを玄関に置いておく", "置き場所", 1, 3),
     ("子どもに当番をたのむ", "人に頼む", 2, 1), ("ごみカレンダーを写真にとる", "スマホで見る", 2, 3)],
    {"だれが": "わたし", "いつ": "来週の月曜日", "何をする": "次の資源ごみの日が出るアプリを作る", "いるもの": "スマートフォン",
     "確かめ方": "びんを持ち帰った回数を、1か月数える"},
    "予定のお知らせ",
    {"app": "shigen_bi", "AppName": "資源ごみの日", "screens": [
        {"name": "Screen1", "Title": "資源ごみの日", "components": [
            {"type": "Label", "name": "TsugiLabel", "Text": "次の資源ごみの日は？"},
            {"type": "Button", "name": "TsugiButton", "Text": "次の資源ごみの日"},
            {"type": "Button", "name": "ChikuButton", "Text": "地区を変える"},
            {"type": "TinyDB", "name": "TinyDB1"}],
         "events": [
             {"when": "TsugiButton.Click", "do": [{"set": "TsugiLabel.Text", "to": {"get": "TinyDB1", "tag": "chiku",
                                                                                  "default": "西区"}}]},
             {"when": "ChikuButton.Click", "do": [{"open": "ChikuScreen"}]}]},
        {"name": "ChikuScreen", "Title": "地区を選ぶ", "components": [
            {"type": "ListView", "name": "ChikuList", "Elements": ["本町", "駅前", "東区", "西区", "川原", "山手", "桜台", "南区"]},
            {"type": "Button", "name": "HozonButton", "Text": "この地区にする"},
            {"type": "TinyDB", "name": "TinyDB2"},
            {"type": "Notifier", "name": "Oshirase"}],
         "events": [{"when": "HozonButton.Click", "do": [
             {"store": "TinyDB2", "tag": "chiku", "value": {"get": "ChikuList.Selection"}}, {"alert": "地区を保存しました"}]}]}]},
    ('@app["TsugiButton"].on_click\ndef miseru():\n    chiku = app["TinyDB1"].get_value("chiku", "西区") or "西区"\n'
     '    app["TsugiLabel"].Text = tsugi_no_gomi(chiku, "資源ごみ（びん・缶）")'),
    ('@app["HozonButton"].on_click\ndef hozon_suru():\n    chiku = app["ChikuList"].Selection\n'
     '    app["TinyDB2"].store_value("chiku", chiku)\n    app["Oshirase"].show_alert(f"{chiku}にしました")'),
    "資源ごみの日を数えない", "画面は2つです。「次の資源ごみの日」を押すと、西区の次のびん・缶の日と日付が出ます。",
    "家族に1週間使ってもらいます。", ([("click", "次の資源ごみの日")], "次の西区の資源ごみ（びん・缶）は 11月11日（水）"))

BYOUIN = learner(
    "byouin",
    [("5月1日", "通院", "母の通院の付きそいで、待ち時間が長く半日つぶれる", 3, 5, "本を持っていく"),
     ("5月2日", "買い物", "近くの店が閉まった", 3, 3, "まとめ買い"),
     ("5月8日", "通院", "診察がいつ終わるか分からず、仕事を休む", 2, 5, "なし"),
     ("5月9日", "地域の行事", "草刈りの連絡が電話だけ", 1, 3, "メモ"),
     ("5月10日", "家事", "洗濯物が乾かない", 2, 2, "乾燥機")],
    ["病院の待ち時間が、毎回ちがうから", "予約をしても、順番が前後するから", "どのくらい待ったか、記録がないから",
     "受付で聞いても、目安を教えてもらえないから", "前回とくらべる方法がないから"],
    {"呼び名": "ひろこさん", "年代": "50代", "くらし": "町の介護施設でパートをしている", "困る場面": "月に2回の母の通院",
     "気持ち": "仕事を休むたびに、申し訳ないと感じる"},
    "親の通院に付きそう人", "母の通院の付きそい", "待ち時間が長く、読めないこと",
    "どうすれば、親の通院に付きそう人が、待ち時間を読めるようになるか。",
    ["待ち時間を手帳に書く", "受付で目安を聞く", "朝いちばんの予約をとる", "きょうだいと交代する",
     "近くの店で用事をすませる", "本を持っていく", "病院の人に電話をたのむ", "曜日ごとの混み具合を調べる"],
    [("待ち時間を手帳に書く", "記録する", 2, 3), ("受付で目安を聞く", "人に頼む", 2, 2), ("朝いちばんの予約をとる", "時間をずらす", 2, 2),
     ("きょうだいと交代する", "人に頼む", 3, 1), ("近くの店で用事をすませる", "待ち時間の使い方", 1, 3),
     ("本を持っていく", "待ち時間の使い方", 1, 3), ("待ち時間をスマホに記録して、前回とくらべる", "記録する", 3, 3),
     ("曜日ごとの混み具合を調べる", "時間をずらす", 2, 1)],
    {"だれが": "わたし", "いつ": "次の通院の日", "何をする": "待ち時間をアプリに記録する", "いるもの": "スマートフォン",
     "確かめ方": "3回分の記録をくらべる"},
    "記録",
    {"app": "machi_jikan", "AppName": "待ち時間の記録", "screens": [
        {"name": "Screen1", "Title": "待ち時間の記録", "components": [
            {"type": "TextBox", "name": "JikanBox", "Hint": "例: 2時間30分"},
            {"type": "Button", "name": "KirokuButton", "Text": "記録する"},
            {"type": "Label", "name": "KirokuLabel", "Text": "まだ記録はありません"},
            {"type": "Button", "name": "MiruButton", "Text": "これまでを見る"},
            {"type": "TinyDB", "name": "Techou"}],
         "events": [
             {"when": "KirokuButton.Click", "do": [{"store": "Techou", "tag": "kiroku", "value": {"get": "JikanBox.Text"}},
                                                  {"set": "KirokuLabel.Text", "to": "記録しました"}]},
             {"when": "MiruButton.Click", "do": [{"set": "KirokuLabel.Text", "to": {"get": "Techou", "tag": "kiroku",
                                                                                  "default": "まだ記録はありません"}}]}]}]},
    ('@app["MiruButton"].on_click\ndef miseru():\n    app["KirokuLabel"].Text = kiroku_bun(app["Techou"].get_value("kiroku", []))'),
    ('@app["KirokuButton"].on_click\ndef hozon_suru():\n    kiroku = kiroku_tasu(app["Techou"], app["JikanBox"].Text, "kiroku")\n'
     '    app["KirokuLabel"].Text = f"{len(kiroku)}回目を記録しました"'),
    "通院の待ち時間を読めるように", "画面は1つです。待ち時間を書いて「記録する」を押すと、日付といっしょに残ります。",
    "次の通院で記録します。",
    ([("fill", "例: 2時間30分", "２時間１５分"), ("click", "記録する"), ("click", "これまでを見る")], "これまで1回。"))

MUKAE = learner(
    "mukae",
    [("6月1日", "夕方の送り迎え", "習い事の迎えの時間が、曜日ごとにちがって覚えられない", 4, 4, "冷蔵庫にメモ"),
     ("6月2日", "朝のしたく", "子どもの持ち物がそろわない", 3, 2, "前の晩に準備"),
     ("6月3日", "夕方の送り迎え", "スイミングの日を忘れて、迎えが遅れた", 2, 5, "なし"),
     ("6月4日", "学校の連絡", "プリントがなくなる", 2, 2, "写真をとる"),
     ("6月5日", "買い物", "牛乳を買い忘れる", 2, 1, "メモ")],
    ["習い事が3つあり、曜日ごとに終わる時間がちがうから", "教室の時間の紙が、冷蔵庫にしかないから",
     "夫と予定を分け合う方法がないから", "仕事の帰りに、時間を確かめられないから", "時間が変わっても、知らせがないから"],
    {"呼び名": "まゆみさん", "年代": "30代", "くらし": "共働きで、子どもが2人いる", "困る場面": "夕方の迎え",
     "気持ち": "遅れるたびに、子どもに申し訳ない"},
    "共働きの親", "習い事の迎え", "曜日ごとに時間がちがうこと",
    "どうすれば、共働きの親が、迎えの時間をまちがえずにすむか。",
    ["時間の紙を写真にとる", "夫と共有のカレンダーを使う", "教室に連絡をたのむ", "送迎を近所の人と分ける",
     "きょうの迎えの時間が、スマホですぐ分かる", "曜日の表を手帳にはる", "アラームをかける", "子どもに時計を持たせる"],
    [("時間の紙を写真にとる", "記録する", 2, 3), ("夫と共有のカレンダーを使う", "人と分ける", 2, 2),
     ("教室に連絡をたのむ", "人に頼む", 1, 1), ("送迎を近所の人と分ける", "人と分ける", 2, 1),
     ("きょうの迎えの時間が、スマホですぐ分かる", "スマホで見る", 3, 3), ("曜日の表を手帳にはる", "記録する", 2, 2),
     ("アラームをかける", "スマホで見る", 2, 3), ("子どもに時計を持たせる", "人に頼む", 1, 2)],
    {"だれが": "わたし", "いつ": "今週の月曜日", "何をする": "曜日ごとの迎えの時間を入れる", "いるもの": "スマートフォン",
     "確かめ方": "迎えに遅れた回数を数える"},
    "予定のお知らせ",
    {"app": "mukae_jikan", "AppName": "きょうの迎え", "screens": [
        {"name": "Screen1", "Title": "きょうの迎え", "components": [
            {"type": "Label", "name": "KyouLabel", "Text": "きょうの迎えは？"},
            {"type": "Button", "name": "KyouButton", "Text": "きょうの迎えを見る"},
            {"type": "Button", "name": "HenkouButton", "Text": "時間を変える"},
            {"type": "TinyDB", "name": "TinyDB1"}],
         "events": [
             {"when": "KyouButton.Click", "do": [{"set": "KyouLabel.Text", "to": "月16:00 火17:30 水16:00 木15:00 金17:30"}]},
             {"when": "HenkouButton.Click", "do": [{"open": "HenkouScreen"}]}]},
        {"name": "HenkouScreen", "Title": "時間を変える", "components": [
            {"type": "ListView", "name": "YoubiList", "Elements": ["月", "火", "水", "木", "金"]},
            {"type": "TextBox", "name": "JikanBox", "Hint": "例: 17:30"},
            {"type": "Button", "name": "KakuButton", "Text": "書きかえる"},
            {"type": "TinyDB", "name": "TinyDB2"},
            {"type": "Notifier", "name": "Notifier1"}],
         "events": [{"when": "KakuButton.Click", "do": [{"store": "TinyDB2", "tag": "henkou", "value": {"get": "JikanBox.Text"}},
                                                      {"alert": "書きかえました"}]}]}]},
    ('HYOU = {"月": "16:00", "火": "17:30", "水": "16:00", "木": "15:00", "金": "17:30"}\n\n\n'
     '@app["KyouButton"].on_click\ndef miseru():\n    hyou = app["TinyDB1"].get_value("hyou", HYOU)\n'
     '    app["KyouLabel"].Text = kyou_no(hyou, nani="迎え")'),
    ('HYOU = {"月": "16:00", "火": "17:30", "水": "16:00", "木": "15:00", "金": "17:30"}\n\n\n'
     '@app["KakuButton"].on_click\ndef hozon_suru():\n    hyou = app["TinyDB2"].get_value("hyou", HYOU)\n'
     '    youbi = app["YoubiList"].Selection or "月"\n'
     '    hyou[youbi] = unicodedata.normalize("NFKC", app["JikanBox"].Text).strip()\n'
     '    app["TinyDB2"].store_value("hyou", hyou)\n    app["Notifier1"].show_alert(f"{youbi}曜の迎えを{hyou[youbi]}にしました")'),
    "迎えの時間をまちがえない", "画面は2つです。「きょうの迎えを見る」を押すと、きょうの曜日の迎えの時間が出ます。",
    "夫と2週間ためします。", ([("click", "きょうの迎えを見る")], "きょう（月）の迎えは 16:00 です。"))

LEARNERS = [GOMI, BYOUIN, MUKAE]
LESSONS = ["01_kakidasu", "02_yusen", "03_kotoba", "04_idea", "05_sekkei", "06_app", "07_hozon", "08_machi", "09_happyou"]


def outputs(cell) -> str:
    return "\n".join(o.get("text", "") + o.get("evalue", "") + "".join(o.get("data", {}).get("text/plain", ""))
                     for o in cell.get("outputs", []))


def run_her_course(me: dict, ws: Path) -> dict[str, nbformat.NotebookNode]:
    shutil.copytree(REPO / "curriculum", ws / "curriculum", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (ws / "kadai" / "ex06_app").mkdir(parents=True)
    shutil.copy(REPO / "exercises" / "ex06_app" / "ex06_app.ipynb", ws / "kadai" / "ex06_app")
    plan = [ws / "curriculum" / n / f"{n}.ipynb" for n in LESSONS[:6]] + [ws / "kadai" / "ex06_app" / "ex06_app.ipynb"] \
        + [ws / "curriculum" / n / f"{n}.ipynb" for n in LESSONS[6:]]
    import os

    env = dict(os.environ, WAGAMAMA_TODAY=TODAY, WAGAMAMA_PROGRESS=str(ws / "progress.json"))
    km = KernelManager(kernel_name="python3")
    km.start_kernel(env=env, cwd=str(ws))
    done = {}
    try:
        for path in plan:
            key = path.parent.name
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.get("id") in me["answers"][key]:
                    cell.source = me["answers"][key][cell.id]
            # a notebook of her own: its folder, an empty namespace (one kernel serves all her notebooks)
            nb.cells.insert(0, nbformat.v4.new_code_cell(f"%reset -f\nimport os\nos.chdir({str(path.parent)!r})",
                                                         id="journey-setup"))
            NotebookClient(nb, km=km, timeout=120, allow_errors=True, record_timing=False).execute()
            nb.cells.pop(0)
            nbformat.write(nb, path)
            done[key] = nb
    finally:
        km.shutdown_kernel(now=True)
    return done


class Journeys:
    """Each learner's course, run the first time a test asks for it (one workspace and one kernel per learner)."""

    def __init__(self, factory):
        self.factory, self.done = factory, {}

    def __call__(self, name: str):
        if name not in self.done:
            me = next(m for m in LEARNERS if m["name"] == name)
            ws = self.factory.mktemp(name)
            self.done[name] = (me, ws, run_her_course(me, ws))
        return self.done[name]


@pytest.fixture(scope="module")
def journey(tmp_path_factory):
    return Journeys(tmp_path_factory)


def cell(nb, cid):
    return next(c for c in nb.cells if c.get("id") == cid)


@pytest.mark.parametrize("name", [me["name"] for me in LEARNERS])
def test_her_material_flows_from_diary_to_app(journey, name):
    me, ws, nbs = journey(name)
    design = me["design"]
    cur = ws / "curriculum"
    saved = json.loads((cur / "05_sekkei" / "my_sekkei.json").read_text(encoding="utf-8"))
    assert saved["設計"] == design and saved["問題文"].startswith(me["answers"]["03_kotoba"]["mondai"].split("'")[1])
    assert saved["型"] == me["answers"]["05_sekkei"]["my_kata"].split("'")[1]
    # module 6: the app read and previewed is hers
    mine = outputs(cell(nbs["06_app"], "mine"))
    assert f"アプリの名前: {design['AppName']}" in mine and "【あなたの設計】" in mine
    names = [c["name"] for s in design["screens"] for c in s["components"]]
    assert all(n in mine for n in names)
    widgets = [o for o in cell(nbs["06_app"], "mine").outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    assert widgets, "the preview of her app is shown"
    for check in ("miseru_check", "zentai_check"):
        assert outputs(cell(nbs["06_app"], check)).startswith("⭕"), (check, outputs(cell(nbs["06_app"], check)))
    # assignment 6 in the same workspace: built from her design, every generic check passes
    kadai = nbs["ex06_app"]
    assert f"アプリの名前: {design['AppName']}" in outputs(cell(kadai, "setup"))
    for check in ("miseru_check", "hozon_check", "zentai_check"):
        text = outputs(cell(kadai, check))
        assert "⭕" in text and "❌" not in text and "✏️" not in text, (check, text)
    # module 7: what she stores comes back; module 8: her district's dates
    assert "⭕" in outputs(cell(nbs["07_hozon"], "hozon_suru_check"))
    assert "01_kakidasu/my_wagamama.json" in outputs(cell(nbs["07_hozon"], "extra_load"))  # her diary, where module 1 saved it
    assert f"「{design['AppName']}」を開きました" in outputs(cell(nbs["09_happyou"], "load_app"))
    assert "❌" not in outputs(cell(nbs["08_machi"], "tsugi_no_bin_check"))
    app_file = json.loads((cur / "09_happyou" / "my_app.json").read_text(encoding="utf-8"))
    assert app_file["設計"]["AppName"] == design["AppName"]
    assert {h["name"] for h in app_file["python"]} == {"miseru", "hozon_suru"}


@pytest.mark.parametrize("name", [me["name"] for me in LEARNERS])
def test_no_sample_appears_once_her_files_exist(journey, name):
    for key, nb in journey(name)[2].items():
        for c in nb.cells:
            if c.cell_type == "code" and c.get("id") not in ("mihon_pitch",):
                found = SAMPLE.search(outputs(c))
                assert found is None, (key, c.id, found.group(0), outputs(c)[:300])


@pytest.mark.parametrize("name", [me["name"] for me in LEARNERS])
def test_her_aia_is_her_design_and_passes_the_export_checks(journey, name):
    me, ws, nbs = journey(name)
    design = me["design"]
    aia = ws / "curriculum" / "09_happyou" / f"{design['app']}.aia"
    assert aia.is_file(), outputs(cell(nbs["09_happyou"], "extra_aia"))
    back = read_aia(aia)
    assert back["AppName"] == design["AppName"] and [s["name"] for s in back["screens"]] == [s["name"] for s in design["screens"]]
    for mine, theirs in zip(design["screens"], back["screens"], strict=True):
        assert [(c["type"], c["name"], c.get("Text")) for c in mine["components"]] == \
               [(c["type"], c["name"], c.get("Text")) for c in theirs["components"]]
    from xml.etree import ElementTree as ET

    from wagamama.app.components import KINDS

    with zipfile.ZipFile(aia) as z:
        files = {n: z.read(n).decode("utf-8") for n in z.namelist()}
    props = dict(line.split("=", 1) for line in files["youngandroidproject/project.properties"].splitlines() if "=" in line)
    assert props["main"] == f"appinventor.ai_wagamama.{design['app']}.Screen1" and props["aname"].isascii()
    for key in ["name", "assets", "source", "build", "versioncode", "versionname", "sizing", "showlistsasjson"]:
        assert key in props
    for path, text in files.items():
        if path.endswith(".scm"):
            assert re.fullmatch(r"#\|\n\$JSON\n[^\n]+\n\|#\n", text), path
            body = json.loads(text.split("\n")[2])
            assert body["YaVersion"] == "168" and body["Source"] == "Form"

            def check(component):
                assert component["$Version"] == KINDS[component["$Type"]].version
                assert all(isinstance(v, str) for k, v in component.items() if k != "$Components")
                for child in component.get("$Components", []):
                    check(child)

            check(body["Properties"])
        elif path.endswith(".bky") and text.strip():
            ET.fromstring(text)


@pytest.mark.parametrize("name", [me["name"] for me in LEARNERS])
def test_the_page_served_in_module_9_is_her_app_on_her_phone(journey, name, monkeypatch):
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium", "sudo make system-deps")
    from playwright.sync_api import sync_playwright

    from wagamama.app.serve import start_voila

    me, ws, _ = journey(name)
    design = me["design"]
    page = ws / "curriculum" / "09_happyou" / "my_app_page.ipynb"
    assert page.is_file()
    monkeypatch.setenv("WAGAMAMA_TODAY", TODAY)
    SHOTS.mkdir(parents=True, exist_ok=True)
    with open(ws / "voila.log", "w") as log:
        proc, url = start_voila(page, log=log)
    try:
        assert url.startswith("http://127.0.0.1:")
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
            tab = browser.new_page(viewport={"width": 430, "height": 900}, device_scale_factor=2)
            tab.goto(url)
            tab.get_by_text(me["answers"]["09_happyou"]["pitch"].split("'")[1]).first.wait_for(timeout=120_000)  # her title
            tab.get_by_text(design["screens"][0]["Title"], exact=True).first.wait_for(timeout=60_000)
            steps, shows = me["shows"]  # what she does on her phone, and what her app then says
            for step in steps:
                if step[0] == "fill":
                    tab.get_by_placeholder(step[1]).fill(step[2])
                else:
                    tab.get_by_role("button", name=step[1], exact=True).click()
            tab.get_by_text(shows).first.wait_for(timeout=30_000)
            assert "見本" not in tab.content()
            tab.screenshot(path=SHOTS / f"{name}.png", full_page=True)
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert (SHOTS / f"{name}.png").stat().st_size > 10_000
