"""App patterns for the ワガママ people really write, each a few lines to adapt in a handler.

Five patterns and a fallback, each with a starter design (``starter``) that already works as a design
(module 5) and small functions whose answer goes into a Label (module 6):

- ``yotei``     予定のお知らせ: 「次の資源ごみの日」「毎月25日の集金」「隔週火の灯油の配達」(see ``schedules``),
                 and a weekly table 「月16:00 火17:30」 (``kyou_no``)
- ``checklist`` チェックリスト: marks on CheckBoxes, what is still left, kept in TinyDB
- ``kiroku``    記録: entries with their date kept in TinyDB, the last ones and a summary (待ち時間 in minutes)
- ``shiraberu`` まちのデータでしらべる: the nearest AED or shelter, today's collection in a district, the clinic
                 open now, this month's events (the town's open data, curriculum/data/<town>/)
- ``kazoeru``   数える・タイマー: a count kept in TinyDB, the time left of a Clock
- ``memo``      ひとことメモ: write, save, show again. Every problem fits this one: an app that does one
                 useful thing.

``suggest`` reads a problem statement or an idea and names the patterns it fits, best first (module 5's
design step). Function names are the learners' words (romaji), like their own functions in the lessons.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from . import schedules
from .schedules import ScheduleError, as_date, date_text, days_from, describe, next_dates, parse, today


@dataclass(frozen=True)
class Pattern:
    id: str
    name: str
    what: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]
    functions: tuple[str, ...]
    design: dict = field(repr=False, default_factory=dict)


def _c(type_: str, name: str, **props) -> dict:
    return {"type": type_, "name": name, **props}


_SAVE_SCREEN = {
    "name": "Screen2", "Title": "",
    "components": [_c("TextBox", "TextBox1", Hint=""), _c("Button", "Button3", Text="保存する"),
                   _c("TinyDB", "TinyDB2"), _c("Notifier", "Notifier1")],
    "events": [{"when": "Button3.Click", "do": [
        {"store": "TinyDB2", "tag": "", "value": {"get": "TextBox1.Text"}}, {"alert": "保存しました"}]}],
}


def _two_screens(title: str, label: str, show: str, change: str, tag: str, default: str, hint: str, title2: str) -> dict:
    second = copy.deepcopy(_SAVE_SCREEN)
    second["Title"] = title2
    second["components"][0]["Hint"] = hint
    second["events"][0]["do"][0]["tag"] = tag
    return {"screens": [
        {"name": "Screen1", "Title": title,
         "components": [_c("Label", "Label1", Text=label), _c("Button", "Button1", Text=show),
                        _c("Button", "Button2", Text=change), _c("TinyDB", "TinyDB1")],
         "events": [{"when": "Button1.Click", "do": [
                        {"set": "Label1.Text", "to": {"get": "TinyDB1", "tag": tag, "default": default}}]},
                    {"when": "Button2.Click", "do": [{"open": "Screen2"}]}]},
        second]}


PATTERNS: dict[str, Pattern] = {p.id: p for p in [
    Pattern("yotei", "予定のお知らせ", "決まった日（第2・第4水曜、毎月25日、隔週の火曜など）の、次の日を知らせます。",
            ("資源ごみの日を忘れる", "自治会費の集金日", "灯油の配達日", "習い事の迎えの時間が曜日でちがう"),
            ("ごみ", "収集", "資源", "曜日", "曜", "日を忘れ", "何日", "いつか", "いつだ", "集金", "当番", "配達", "回収", "毎月",
             "隔週", "第", "カレンダー", "予定", "期限", "支払", "迎え", "送迎", "習い事", "時間がちがう"),
            ("tsugi_no_hi", "tsugi_no_hi_bun", "kongetsu_no_hi", "kyou_no"),
            _two_screens("次の日のお知らせ", "次の日は？", "次はいつ？", "予定を変える", "itsu", "まだ決めていません",
                         "例: 水2 水4", "予定を変える")),
    Pattern("checklist", "チェックリスト", "持ち物や、することに印をつけて、のこりを知らせます。",
            ("通院の日の持ち物を忘れる", "出かける前の戸締まり", "防災リュックの中身"),
            ("忘れ物", "持ち物", "持って", "チェック", "準備", "確認", "戸締まり", "薬", "リスト", "用意", "そろえ",
             "しまい忘れ", "消し忘れ"),
            ("nokori_bun", "zenbu_hazusu", "shirushi_hozon", "shirushi_yomu"),
            {"screens": [{"name": "Screen1", "Title": "チェックリスト",
                          "components": [_c("CheckBox", "CheckBox1", Text="1つ目"), _c("CheckBox", "CheckBox2", Text="2つ目"),
                                         _c("CheckBox", "CheckBox3", Text="3つ目"), _c("Label", "Label1", Text="印をつけます"),
                                         _c("Button", "Button1", Text="のこりを見る"),
                                         _c("Button", "Button2", Text="全部はずす"), _c("TinyDB", "TinyDB1")],
                          "events": [{"when": "Button1.Click", "do": [{"set": "Label1.Text", "to": "のこりを数えます"}]},
                                     {"when": "Button2.Click", "do": [
                                         {"set": "CheckBox1.Checked", "to": False}, {"set": "CheckBox2.Checked", "to": False},
                                         {"set": "CheckBox3.Checked", "to": False}, {"set": "Label1.Text", "to": "印をはずしました"}]}]}]}),
    Pattern("kiroku", "記録", "書いたことを日付といっしょに残して、これまでの記録を見せます。",
            ("通院の待ち時間を記録する", "血圧の記録", "畑の水やりの記録"),
            ("記録", "メモ", "待ち時間", "待つ", "何分", "何時間", "体重", "血圧", "日記", "残す", "ふりかえ", "測", "量",
             "くらべ", "前回"),
            ("kiroku_tasu", "kiroku_bun", "fun", "jikan_bun"),
            {"screens": [{"name": "Screen1", "Title": "記録",
                          "components": [_c("TextBox", "TextBox1", Hint="例: 2時間"), _c("Button", "Button1", Text="記録する"),
                                         _c("Label", "Label1", Text="まだ記録はありません"), _c("TinyDB", "TinyDB1")],
                          "events": [{"when": "Button1.Click", "do": [
                              {"store": "TinyDB1", "tag": "kiroku", "value": {"get": "TextBox1.Text"}},
                              {"set": "Label1.Text", "to": {"join": ["記録しました: ", {"get": "TextBox1.Text"}]}}]}]}]}),
    Pattern("shiraberu", "まちのデータでしらべる", "町のオープンデータから、近い AED や避難場所、今日のごみ、開いている診療所をしらべます。",
            ("いちばん近い AED", "今日のごみ", "今開いている診療所", "今月のイベント"),
            ("近い", "近く", "場所", "どこ", "AED", "避難", "施設", "診療所", "開いて", "地図", "分別", "何ごみ", "イベント",
             "子育て", "保育", "しらべ", "調べ", "探"),
            ("chikai_bun", "kyou_no_gomi", "tsugi_no_gomi", "aiteiru_bun", "kongetsu_no_event"),
            {"screens": [{"name": "Screen1", "Title": "しらべる",
                          "components": [_c("ListView", "ListView1", Elements=["本町", "東区", "西区"]),
                                         _c("Button", "Button1", Text="しらべる"),
                                         _c("Label", "Label1", Text="選んでから、しらべるを押します"), _c("TinyDB", "TinyDB1")],
                          "events": [{"when": "Button1.Click", "do": [
                              {"store": "TinyDB1", "tag": "erabi", "value": {"get": "ListView1.Selection"}},
                              {"set": "Label1.Text", "to": {"get": "ListView1.Selection"}}]}]}]}),
    Pattern("kazoeru", "数える・タイマー", "ボタンで回数を数えて覚えておきます。決めた時間を計ることもできます。",
            ("薬を飲んだ回数", "ラジオ体操のスタンプ", "歯みがき3分タイマー"),
            ("回数", "何回", "数え", "カウント", "タイマー", "計る", "はかる", "のこり", "残り", "在庫", "ストック", "スタンプ"),
            ("kazoeru", "nokori_jikan_bun"),
            {"screens": [{"name": "Screen1", "Title": "数える",
                          "components": [_c("Label", "Label1", Text="まだ数えていません"), _c("Button", "Button1", Text="1回ふやす"),
                                         _c("Button", "Button2", Text="0にもどす"), _c("TinyDB", "TinyDB1")],
                          "events": [{"when": "Button1.Click", "do": [{"set": "Label1.Text", "to": "1回"}]},
                                     {"when": "Button2.Click", "do": [{"store": "TinyDB1", "tag": "kaisu", "value": 0},
                                                                      {"set": "Label1.Text", "to": "0回"}]}]}]}),
    Pattern("memo", "ひとことメモ", "書いたことを保存して、あとで見せます。どんな困りごとにも使えます。",
            ("家族への伝言", "次に聞きたいこと", "気づいたことを忘れない"),
            ("伝言", "伝え", "書いて", "覚え", "聞きたい", "連絡"),
            ("memo_bun",),
            {"screens": [{"name": "Screen1", "Title": "ひとことメモ",
                          "components": [_c("TextBox", "TextBox1", Hint="ここにメモを書きます"),
                                         _c("Button", "Button1", Text="保存する"), _c("Button", "Button2", Text="メモを見る"),
                                         _c("Label", "Label1", Text="メモはまだありません"), _c("TinyDB", "TinyDB1")],
                          "events": [{"when": "Button1.Click", "do": [
                              {"store": "TinyDB1", "tag": "memo", "value": {"get": "TextBox1.Text"}},
                              {"set": "Label1.Text", "to": "保存しました"}]},
                              {"when": "Button2.Click", "do": [
                                  {"set": "Label1.Text", "to": {"get": "TinyDB1", "tag": "memo", "default": "メモはまだありません"}}]}]}]}),
]}
FALLBACK = "memo"


def suggest(*texts: str) -> list[Pattern]:
    """The patterns that fit a problem statement or idea, best first; ひとことメモ comes last when nothing fits
    better, so there is always one."""
    text = unicodedata.normalize("NFKC", " ".join(t for t in texts if isinstance(t, str)))
    scores = {pid: sum(text.count(unicodedata.normalize("NFKC", k)) for k in p.keywords) for pid, p in PATTERNS.items()}
    ranked = sorted((pid for pid in PATTERNS if pid != FALLBACK and scores[pid] > 0), key=lambda pid: -scores[pid])
    return [PATTERNS[pid] for pid in ranked] + [PATTERNS[FALLBACK]]


def shoukai(*texts: str) -> str:
    """The suggestion in words, for the design step of module 5."""
    found = suggest(*texts)
    best = found[0]
    lines = [f"あなたの困りごとに近い型は「{best.name}」です。{best.what}",
             f"  この型の例: {'、'.join(best.examples)}"]
    if len(found) > 2:
        lines.append("ほかに近い型: " + "、".join(f"「{p.name}」" for p in found[1:-1]))
    if best.id != FALLBACK:
        lines.append(f"どれにも合わないと思ったら「{PATTERNS[FALLBACK].name}」にします。{PATTERNS[FALLBACK].what}")
    return "\n".join(lines)


def starter(pattern: str, app: str = "my_app", AppName: str = "わたしのアプリ") -> dict:
    """A design to start from (module 5): complete, so it loads and previews as it is; change the texts to yours."""
    if pattern not in PATTERNS:
        found = [p for p in PATTERNS.values() if p.name == pattern]
        if not found:
            raise ValueError(f"型「{pattern}」はありません。使えるのは " + "、".join(f"{p.id}（{p.name}）" for p in PATTERNS.values())
                             + " です。")
        pattern = found[0].id
    design = copy.deepcopy(PATTERNS[pattern].design)
    return {"app": app, "AppName": AppName, **design}


# --- 予定のお知らせ (yotei) -----------------------------------------------------------------------------

def tsugi_no_hi(itsu, kyou=None):
    """予定 itsu（例: "水2 水4"）の、次の日（きょうをふくむ）を返します。"""
    return schedules.next_date(itsu, kyou)


def tsugi_no_hi_bun(nani, itsu, kyou=None) -> str:
    """「次の資源ごみ（びん・缶）は 11月11日（水）です（あさって）。」の形の文を返します。
    itsu が読めないときは、エラーで止まらずに、書き方を知らせる文を返します。"""
    try:
        days = next_dates(itsu, kyou, 2)
    except ScheduleError as e:
        return f"{nani}の予定が読めません。{e}"
    base = as_date(kyou) if kyou is not None else today()
    first = days[0]
    text = f"次の{nani}は {date_text(first)} です（{days_from(first, base)}）。"
    if len(days) > 1:
        text += f"その次は {date_text(days[1])} です。"
    return text


def kongetsu_no_hi(itsu, kyou=None) -> list[str]:
    """予定 itsu の、今月の日（「11月11日（水）」の形）のリストを返します。"""
    base = as_date(kyou) if kyou is not None else today()
    first = base.replace(day=1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    return [date_text(d) for d in schedules.dates(itsu, first, last)]


def kyou_no(hyou: dict, kyou=None, nani: str = "予定") -> str:
    """曜日の表（{"月": "16:00", "水": "15:00"}）から、きょうの分を文にして返します。"""
    day = as_date(kyou) if kyou is not None else today()
    youbi = schedules.WEEKDAYS[day.weekday()]
    when = f"きょう（{youbi}）" if kyou is None else date_text(day)
    table = {}
    for key, value in (hyou or {}).items():
        try:
            table[schedules.weekday_of(key)] = value
        except ScheduleError:
            continue
    if day.weekday() in table:
        return f"{when}の{nani}は {table[day.weekday()]} です。"
    return f"{when}の{nani}は、ありません。"


# --- チェックリスト (checklist) --------------------------------------------------------------------------

def _boxes(screen):
    return [c for c in screen.walk() if c.type == "CheckBox"]


def nokori_bun(screen) -> str:
    """画面の CheckBox のうち、印のついていないものを数えて「のこり2つ: 保険証、おくすり手帳」の形で返します。"""
    left = [c.Text for c in _boxes(screen) if not c.Checked]
    if not left:
        return "全部そろいました。"
    return f"のこり{len(left)}つ: " + "、".join(left)


def zenbu_hazusu(screen) -> None:
    """画面の CheckBox の印を、全部はずします。"""
    for c in _boxes(screen):
        c.Checked = False


def shirushi_hozon(screen, tinydb, tag: str = "shirushi") -> None:
    """画面の CheckBox の印を、TinyDB に名札 tag で保存します。"""
    tinydb.store_value(tag, {c.Text: c.Checked for c in _boxes(screen)})


def shirushi_yomu(screen, tinydb, tag: str = "shirushi") -> None:
    """TinyDB に保存した印を、画面の CheckBox にもどします。"""
    saved = tinydb.get_value(tag, {})
    for c in _boxes(screen):
        if isinstance(saved, dict) and c.Text in saved:
            c.Checked = bool(saved[c.Text])


# --- 記録 (kiroku) --------------------------------------------------------------------------------------

def fun(text) -> int | None:
    """「2時間30分」「2時間半」「90分」「1.5時間」を分の数（150、150、90、90）にします。読めないときは None です。"""
    plain = unicodedata.normalize("NFKC", str(text)).replace(" ", "")
    m = re.fullmatch(r"(?:(\d+(?:\.\d+)?)時間(半)?)?(?:(\d+)分)?", plain)
    if not plain or not m or not any(m.groups()):
        return int(plain) if plain.isdigit() else None
    hours = float(m.group(1) or 0) + (0.5 if m.group(2) else 0)
    return round(hours * 60) + int(m.group(3) or 0)


def jikan_bun(minutes) -> str:
    """分の数を「2時間30分」の形にします。"""
    minutes = int(round(minutes))
    h, m = divmod(minutes, 60)
    return (f"{h}時間" if h else "") + (f"{m}分" if m or not h else "")


def kiroku_tasu(tinydb, naiyou, tag: str = "kiroku", kyou=None) -> list:
    """TinyDB の名札 tag の記録に、きょうの日付と naiyou を1件足して保存し、記録全部を返します。"""
    entries = tinydb.get_value(tag, [])
    if not isinstance(entries, list):
        entries = [{"日付": "", "内容": str(entries)}] if entries not in ("", None) else []
    day = as_date(kyou) if kyou is not None else today()
    entries = entries + [{"日付": day.isoformat(), "内容": unicodedata.normalize("NFKC", str(naiyou)).strip()}]
    tinydb.store_value(tag, entries)
    return entries


def kiroku_bun(entries, n: int = 3) -> str:
    """記録のリストから「これまで4回。」と、新しい n 件を1行ずつ返します。時間の記録なら平均も足します。"""
    if not isinstance(entries, list) or not entries:
        return "まだ記録はありません。"
    lines = [f"これまで{len(entries)}回。"]
    for e in entries[-n:][::-1]:
        when = as_date(e["日付"]) if e.get("日付") else None
        lines.append(f"{date_text(when) if when else ''} {e.get('内容', '')}".strip())
    minutes = [fun(e.get("内容", "")) for e in entries]
    if all(m is not None for m in minutes) and len(minutes) > 1:
        lines.append(f"平均 {jikan_bun(sum(minutes) / len(minutes))}")
    return "\n".join(lines)


# --- まちのデータでしらべる (shiraberu) --------------------------------------------------------------------

DATASETS = {"aed": "aed.csv", "AED": "aed.csv", "避難場所": "hinanbasho.csv", "hinanbasho": "hinanbasho.csv",
            "子育て施設": "kosodate.csv", "kosodate": "kosodate.csv", "イベント": "event.csv", "event": "event.csv",
            "医療機関": "iryou.csv", "iryou": "iryou.csv", "ごみの日": "gomi_shushubi.csv",
            "gomi_shushubi": "gomi_shushubi.csv", "ごみの分別": "gomi_bunbetsu.csv", "gomi_bunbetsu": "gomi_bunbetsu.csv"}


def town_folder(town: str = "sakura") -> Path:
    """The folder data/<town>: beside the notebook or above it, else the one shipped with the lessons."""
    from ..locations import content_root

    here = Path.cwd()
    for folder in [here, *here.parents]:
        if (folder / "data" / town).is_dir():
            return folder / "data" / town
    return content_root() / "curriculum" / "data" / town


def machi_data(name: str, town: str = "sakura"):
    """町のデータの表（pandas）を返します。name は "aed"、"避難場所"、"医療機関"、"ごみの日" などです。"""
    import pandas as pd

    file = DATASETS.get(name, name if str(name).endswith(".csv") else None)
    if file is None:
        raise ValueError(f"「{name}」という町のデータはありません。使えるのは "
                         + "、".join(k for k in DATASETS if not k.isascii()) + " です。")
    return pd.read_csv(town_folder(town) / file, dtype={"全国地方公共団体コード": str})


def _meters(lat1, lon1, lat2, lon2) -> float:
    r = 6_371_000
    p1, p2 = math.radians(lat1), math.radians(lat2)
    a = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def basho(namae: str, town: str = "sakura") -> tuple[float, float]:
    """町のデータにある場所（例: "さくら中学校"）の（緯度, 経度）を返します。"""
    plain = unicodedata.normalize("NFKC", str(namae)).strip()
    tables = [machi_data(file, town) for file in ("hinanbasho.csv", "aed.csv", "kosodate.csv", "iryou.csv")]
    for exact in (True, False):  # the same name first, then a name that contains it (公民館)
        for table in tables:
            names = table["名称"].map(lambda n: unicodedata.normalize("NFKC", str(n)))
            hit = table[(names == plain) if exact else names.str.contains(plain, regex=False)] if plain else table.iloc[0:0]
            if len(hit):
                return float(hit["緯度"].iloc[0]), float(hit["経度"].iloc[0])
    raise ValueError(f"「{namae}」という場所が、町のデータにありません。名前の一部でもさがせます（例: 公民館）。")


def chikai(hyou, kara, n: int = 1):
    """表 hyou（緯度・経度の列があるもの）を、場所 kara から近い順に n 件返します。kara は名前か（緯度, 経度）です。"""
    if isinstance(hyou, str):
        hyou = machi_data(hyou)
    lat, lon = basho(kara) if isinstance(kara, str) else kara
    table = hyou.copy()
    table["距離"] = [_meters(lat, lon, a, b) for a, b in zip(table["緯度"], table["経度"], strict=True)]
    return table.sort_values("距離").head(n)


def chikai_bun(hyou, kara, nani: str = "") -> str:
    """「さくら中学校からいちばん近い AED は さくら中学校（体育館の入口）です。約0m。」の形で返します。"""
    label = nani or ("AED" if isinstance(hyou, str) and hyou.lower() == "aed" else hyou if isinstance(hyou, str) else "場所")
    try:
        row = chikai(hyou, kara).iloc[0]
    except ValueError as e:
        return str(e)
    where = ""
    for col in ("設置位置", "住所"):
        if col in row and isinstance(row[col], str) and row[col]:
            where = f"（{row[col]}）"
            break
    return f"{kara if isinstance(kara, str) else 'ここ'}からいちばん近い{label}は {row['名称']}{where}です。約{int(round(row['距離'], -1))}m。"


def _gomi_row(chiku: str, town: str = "sakura"):
    table = machi_data("gomi_shushubi.csv", town)
    plain = unicodedata.normalize("NFKC", str(chiku)).strip()
    hit = table[table["地名"] == plain]
    if not len(hit):
        raise ValueError(f"「{chiku}」という地区が、ごみの日の表にありません。あるのは " + "、".join(table["地名"]) + " です。")
    return hit.iloc[0]


def kyou_no_gomi(chiku: str, kyou=None, town: str = "sakura") -> str:
    """地区 chiku で、きょう出せるごみを文にして返します。"""
    day = as_date(kyou) if kyou is not None else today()
    try:
        row = _gomi_row(chiku, town)
    except ValueError as e:
        return str(e)
    found = [col for col in row.index if col != "地名" and isinstance(row[col], str)
             and day in schedules.dates(row[col], day, day)]
    head = f"{date_text(day)}の{row['地名']}は"
    return f"{head} {'、'.join(found)}の日です。" if found else f"{head}、ごみの収集がありません。"


def tsugi_no_gomi(chiku: str, bunrui: str, kyou=None, town: str = "sakura") -> str:
    """地区 chiku の、分別 bunrui（例: "資源ごみ（びん・缶）"）の次の日を文にして返します。"""
    try:
        row = _gomi_row(chiku, town)
    except ValueError as e:
        return str(e)
    columns = [c for c in row.index if c != "地名"]
    plain = unicodedata.normalize("NFKC", bunrui)
    match = [c for c in columns if unicodedata.normalize("NFKC", c) == plain] or \
            [c for c in columns if plain and plain in unicodedata.normalize("NFKC", c)]
    if not match:
        return f"「{bunrui}」という分別がありません。あるのは " + "、".join(columns) + " です。"
    return tsugi_no_hi_bun(f"{row['地名']}の{match[0]}", row[match[0]], kyou)


def aiteiru(hyou, itsu=None):
    """表 hyou（曜日と開始・終了時間の列があるもの）から、いま（itsu）開いているところだけを返します。"""
    if isinstance(hyou, str):
        hyou = machi_data(hyou)
    when = itsu if isinstance(itsu, dt.datetime) else dt.datetime.combine(
        as_date(itsu) if itsu is not None else today(), dt.datetime.now().time())
    youbi = schedules.WEEKDAYS[when.weekday()]
    days_col = next(c for c in ("診療曜日", "利用可能曜日") if c in hyou.columns)
    start_col, end_col = ("診療開始時間", "診療終了時間") if "診療開始時間" in hyou.columns else ("開始時間", "終了時間")
    note_col = next((c for c in ("診療日時特記事項", "利用可能日時特記事項") if c in hyou.columns), None)
    hhmm = when.strftime("%H:%M")
    holiday = schedules.is_holiday(when.date())

    def open_now(row) -> bool:
        if not isinstance(row[days_col], str) or youbi not in row[days_col]:
            return False
        note = row[note_col] if note_col and isinstance(row[note_col], str) else ""
        if holiday and "祝日も" not in note:
            return False
        start, end = row[start_col], row[end_col]
        return not isinstance(start, str) or (start <= hhmm < end)

    return hyou[[open_now(row) for _, row in hyou.iterrows()]]


def aiteiru_bun(hyou="医療機関", itsu=None) -> str:
    """いま開いているところの名前を、文にして返します。"""
    found = aiteiru(hyou, itsu)
    if not len(found):
        return "いま開いているところは、ありません。"
    return f"いま開いているのは {len(found)}か所です: " + "、".join(found["名称"])


def kongetsu_no_event(kyou=None) -> list[str]:
    """今月のイベントを「11月8日（日） AED・心肺蘇生講習会」の形で、日付の順に返します。"""
    day = as_date(kyou) if kyou is not None else today()
    table = machi_data("event.csv")
    month = table[table["開始日"].str.startswith(day.strftime("%Y-%m"))].sort_values("開始日")
    return [f"{date_text(d)} {name}" for d, name in zip(month["開始日"], month["イベント名"], strict=True)]


# --- 数える・タイマー (kazoeru) ----------------------------------------------------------------------------

def kazoeru(tinydb, tag: str = "kaisu", tasu: int = 1) -> int:
    """TinyDB の名札 tag の回数に tasu を足して保存し、新しい回数を返します。"""
    now = tinydb.get_value(tag, 0)
    now = now if isinstance(now, int) and not isinstance(now, bool) else 0
    tinydb.store_value(tag, now + tasu)
    return now + tasu


def nokori_jikan_bun(byou) -> str:
    """のこりの秒数を「のこり 2分30秒」の形にします。0 以下なら「時間です」。"""
    byou = int(byou)
    if byou <= 0:
        return "時間です。"
    m, s = divmod(byou, 60)
    return "のこり " + (f"{m}分" if m else "") + (f"{s}秒" if s or not m else "")


# --- ひとことメモ (memo) -------------------------------------------------------------------------------

def memo_bun(naiyou, kyou=None) -> str:
    """メモに、きょうの日付をつけて返します: 「11月2日（月） 回覧板は田中さんへ」."""
    day = as_date(kyou) if kyou is not None else today()
    return f"{date_text(day)} {unicodedata.normalize('NFKC', str(naiyou)).strip()}"


__all__ = ["PATTERNS", "Pattern", "suggest", "shoukai", "starter", "tsugi_no_hi", "tsugi_no_hi_bun", "kongetsu_no_hi",
           "kyou_no", "nokori_bun", "zenbu_hazusu", "shirushi_hozon", "shirushi_yomu", "fun", "jikan_bun", "kiroku_tasu",
           "kiroku_bun", "machi_data", "basho", "chikai", "chikai_bun", "kyou_no_gomi", "tsugi_no_gomi", "aiteiru",
           "aiteiru_bun", "kongetsu_no_event", "kazoeru", "nokori_jikan_bun", "memo_bun", "describe", "date_text",
           "parse", "today"]
