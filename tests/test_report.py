"""`wagamama report`, the dashboard and the prefecture summary, from generated cohorts with known numbers.

The cohorts are real: real nbgrader course folders and gradebooks (created, rostered and released by
wagamama), real fetches through nbgrader's exchange. What the grader would leave is written in nbgrader's
own layout at known times: hand-ins in the exchange's inbound (``<learner>+<assignment>+<time>+<random>``),
collected copies in submitted/, autograded notebooks with the checks' outputs, the grading record
(.wagamama-grading.json), gradebook rows through nbgrader's Gradebook API, and a failed grading in
logs/autograde.log. One small cohort at the end is graded by the real autograder.

Cohort oyama-2026a (start 2026-05-01, report period 2026-05-01 … 2026-05-31, completion: 2 assignments with
at least 60 % of the automatic checks), released ex00 (checks 1+2+2+2) and ex01 (3+2+2+1, and 3 manual):

| learner | what happened |
|---|---|
| u01 | ex00 05-07 all; ex01 05-14 score_check fails, 05-28 all pass; ex02 05-30, not collected yet |
| u02 | ex00 05-07 all; ex01 05-14 and 05-27, diary_check fails both times |
| u03 | ex00 05-07 yobina fails; ex01 05-21 rank and top fail; nothing since (10 days idle) |
| u04 | ex00 05-29: hit the notebook time limit, only daikin passes (2/7) |
| u05 | fetched ex00 and ex01, never handed anything in |
| u06 | ex00 05-30 collected, grading failed (the kernel died) |
| u07 | ex00 05-28 1/7, ex01 05-29 2/8: far below the others |
| u08 | hands in ex00 on 06-02, after the period: nothing as of 05-31 |
"""

import base64
import datetime as dt
import json
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import openpyxl
import pytest

from wagamama import learner
from wagamama.cases import hand_in as play
from wagamama.cases import load_cases, place_collected
from wagamama.cli import main
from wagamama.cohort import create_cohort, open_cohort
from wagamama.grading.autograde import KERNEL_ENDS, RECORD
from wagamama.release import release
from wagamama.report_charts import covers, japanese_font
from wagamama.roster import import_roster

A0, A1, A2 = "ex00_hajimete", "ex01_wagamama", "ex02_yusen"
# nbgrader's own update_or_create_submission warns about its autoflush; the rows are written all the same.
pytestmark = pytest.mark.filterwarnings("ignore::sqlalchemy.exc.SAWarning")


# --- writing what nbgrader and the grader leave, at known times ------------------------------------------
def stamp(when: str) -> str:
    """nbgrader's timestamp text for a Japan time 'YYYY-MM-DD HH:MM' (the cohort's Exchange.timezone)."""
    return f"{when}:00.000000 JST"


def notebook_bytes(cohort, a) -> bytes:
    return (cohort.path / "release" / a / f"{a}.ipynb").read_bytes()


def hand_in(cohort, s, a, when, collect=True):
    """A submission as nbgrader's exchange keeps it, and (collect=True) as `nbgrader collect` copies it."""
    exchange = Path(cohort.config().Exchange.root) / cohort.id
    inbound = exchange / "inbound" / f"{s}+{a}+{stamp(when)}+x{len(when)}{s}"
    inbound.mkdir(parents=True)
    (inbound / f"{a}.ipynb").write_bytes(notebook_bytes(cohort, a))
    (inbound / "timestamp.txt").write_text(stamp(when), encoding="utf-8")
    if collect:
        place_collected(cohort, a, s, {f"{a}.ipynb": notebook_bytes(cohort, a)}, stamp(when))


def error(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


def grade(cohort, s, a, when, failing: dict, flags=()):
    """What autograding leaves: the autograded notebook with outputs, the record, gradebook rows."""
    folder = cohort.autograded_dir(s, a)
    folder.mkdir(parents=True, exist_ok=True)
    nb = nbformat.read(cohort.path / "source" / a / f"{a}.ipynb", as_version=4)
    with cohort.gradebook() as gb:
        checks = {c.name: c for c in gb.find_assignment(a).notebooks[0].grade_cells}
        manual = {c.name for c in gb.find_assignment(a).notebooks[0].solution_cells}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if cell.cell_type == "code":
                cell.outputs = [failing[grade_id] if grade_id in failing else
                                nbformat.v4.new_output("stream", name="stdout", text=f"⭕ 正解です: {grade_id}\n")]
        nbformat.write(nb, folder / f"{a}.ipynb")
        (folder / "timestamp.txt").write_text(stamp(when), encoding="utf-8")
        record = {"timestamp": stamp(when), "flags": list(flags)}
        (folder / RECORD).write_text(json.dumps(record, ensure_ascii=False), encoding="utf-8")
        sub = gb.update_or_create_submission(a, s, timestamp=stamp(when))
        for g in sub.notebooks[0].grades:
            if g.name in manual:
                g.auto_score, g.needs_manual_grade = None, True
            else:
                g.auto_score = 0.0 if g.name in failing else checks[g.name].max_score
                g.needs_manual_grade = False
        gb.db.commit()


DIARY = "❌ ワガママ日記 diary: 5 件以上必要ですが、いまは {} 件です。"
SCORE_PLUS = "❌ score({'ひんど': 3, 'つらさ': 4}): 7 が返ってきました。\n💡 ヒント: 足し算になっています。かけ算の記号は * です。"
TOP_SECOND = "❌ いちばん点数の大きいワガママ top: 2番目を選んでいます。先頭は [0] です。"
RANK_ASC = "❌ rank(rei): 小さい順になっています。"
SCORE_NONE = "❌ score: 関数が何も返していません（None）。"
YOBINA = "❌ 呼び名 yobina: 文字列が必要ですが、数値 12 が入っています。\n💡 ヒント: 呼び名は、半角の \" \" で囲みます。"
ROSTER = ("ID,氏名,ふりがな,メール\n"
          "u01,山田 花子,やまだ はなこ,\nu02,佐藤 美咲,さとう みさき,\nu03,鈴木 洋子,すずき ようこ,\nu04,高橋 健,たかはし けん,\n"
          "u05,田中 翔,たなか しょう,\nu06,伊藤 光,いとう ひかる,\nu07,渡辺 誠,わたなべ まこと,\nu08,小林 蓮,こばやし れん,\n")


def new_cohort(home, cid, program, title, town, start, roster, completion, assignments):
    cohort = create_cohort(cid, program, title, town, start=start)
    cohort.meta["completion"] = completion
    cohort.meta["learner_homes"] = [str(home / "learners")]
    cohort.save()
    path = home / f"{cid}.csv"
    path.write_text(roster, encoding="utf-8")
    import_roster(cohort, path)
    release(cohort, assignments)
    return open_cohort(cid)


def cli(capsys, *args):
    assert main(list(args)) == 0
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return out


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    home = tmp_path_factory.mktemp("report") / "home"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        a = new_cohort(home, "oyama-2026a", "wagamama-lab", "小山市 ワガママLab 2026春", "小山市", "2026-05-01", ROSTER,
                       {"assignments": 2, "min_percent": 60}, [A0, A1, A2])
        for assignment in (A0, A1):  # u05 fetches through nbgrader's exchange and never hands in
            learner.fetch(a, assignment, "u05", home / "learners" / "u05")

        # Sessions 1..3: the instructor collects, grades and runs the report on 05-21
        hand_in(a, "u01", A0, "2026-05-07 10:00")
        grade(a, "u01", A0, "2026-05-07 10:00", {})
        hand_in(a, "u02", A0, "2026-05-07 11:00")
        grade(a, "u02", A0, "2026-05-07 11:00", {})
        hand_in(a, "u03", A0, "2026-05-07 12:00")
        grade(a, "u03", A0, "2026-05-07 12:00", {"yobina_check": error("Incorrect", YOBINA)})
        hand_in(a, "u01", A1, "2026-05-14 10:00")
        grade(a, "u01", A1, "2026-05-14 10:00", {"score_check": error("Incorrect", SCORE_PLUS)})
        hand_in(a, "u02", A1, "2026-05-14 11:00")
        grade(a, "u02", A1, "2026-05-14 11:00", {"diary_check": error("Incorrect", DIARY.format(3))})
        hand_in(a, "u03", A1, "2026-05-21 09:00")
        grade(a, "u03", A1, "2026-05-21 09:00", {"rank_check": error("Incorrect", RANK_ASC),
                                                 "top_check": error("Incorrect", TOP_SECOND)})

        yield home, a, mp


@pytest.fixture(scope="module")
def first_report(world):
    from wagamama.report import Options, Period, report_cohort

    home, a, _ = world
    return report_cohort(a.id, Options(Period(dt.date(2026, 5, 1), dt.date(2026, 5, 21))))


@pytest.fixture(scope="module")
def final(world, first_report):
    """Sessions 4 and 5 (new hand-ins replace results in nbgrader), then two more cohorts for the summary."""
    home, a, mp = world
    hand_in(a, "u02", A1, "2026-05-27 11:00")
    grade(a, "u02", A1, "2026-05-27 11:00", {"diary_check": error("Incorrect", DIARY.format(4))})
    hand_in(a, "u01", A1, "2026-05-28 10:00")
    grade(a, "u01", A1, "2026-05-28 10:00", {})
    hand_in(a, "u07", A0, "2026-05-28 10:00")
    grade(a, "u07", A0, "2026-05-28 10:00", {
        "daikin_check": error("Incorrect", "❌ ごみ袋の代金 daikin: 数値が必要ですが、文字列 '900' が入っています。"),
        "kowareta_check": error("Incorrect", "❌ 回覧板の日数 nissu: まだそうなっていません。"),
        "aisatsu_check": error("NotAttempted", "✏️ まだ解答が書かれていません: aisatsu。")})
    hand_in(a, "u04", A0, "2026-05-29 10:00")
    grade(a, "u04", A0, "2026-05-29 10:00", {
        "yobina_check": error("CellTimeoutError", ""),
        "kowareta_check": error("NameError", "name 'nissu' is not defined"),
        "aisatsu_check": error("NameError", "name 'aisatsu' is not defined")},
        flags=[KERNEL_ENDS["notebook_time"].format(detail=120)])
    hand_in(a, "u07", A1, "2026-05-29 10:00")
    grade(a, "u07", A1, "2026-05-29 10:00", {"diary_check": error("Incorrect", DIARY.format(2)),
                                             "score_check": error("Incorrect", SCORE_NONE),
                                             "top_check": error("Incorrect", TOP_SECOND)})
    hand_in(a, "u06", A0, "2026-05-30 09:00")  # collected; grading failed: only the log knows why
    log = a.path / "logs" / "autograde.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text("=== ex01_wagamama / u03: nbgrader failed ===\n"
                   "nbclient.exceptions.CellTimeoutError: an old failure, graded since\n"
                   "=== ex00_hajimete / u06: nbgrader failed ===\n[INFO] Converting notebook\n"
                   "nbclient.exceptions.DeadKernelError: Kernel died\n", encoding="utf-8")
    hand_in(a, "u01", A2, "2026-05-30 15:00", collect=False)  # waiting in the exchange
    hand_in(a, "u08", A0, "2026-06-02 10:00")  # after the period's end

    b = new_cohort(home, "tochigi-2026b", "wagamama-lab", "栃木市 ワガママLab 2026", "栃木市", "2026-04-01",
                   "ID,氏名\nv01,加藤 葵\nv02,吉田 陽\n", {"assignments": 1}, [A0])
    hand_in(b, "v01", A0, "2026-04-10 10:00")
    grade(b, "v01", A0, "2026-04-10 10:00", {})
    new_cohort(home, "oyama-oneday", "oneday", "小山市 1日ワークショップ", "小山市", "2026-05-10",
               "ID,氏名\nw01,松本 空\nw02,石井 梓\n", {}, [A1])
    return home, a


# --- reading the outputs --------------------------------------------------------------------------------
class Tables(HTMLParser):
    """Every <table id=…> of a page as rows of cell texts (header first); every src and href; the images."""

    def __init__(self, text):
        super().__init__()
        self.tables, self.links, self.images, self._table, self._cell = {}, [], [], None, None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.links += [v for k, v in attrs.items() if k in ("src", "href")]
        if tag == "img":
            self.images.append(attrs["src"])
        if tag == "table":
            self._table = self.tables.setdefault(attrs["id"], [])
        elif tag == "tr" and self._table is not None:
            self._table.append([])
        elif tag in ("td", "th") and self._table is not None:
            self._cell = ""

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._table[-1].append(self._cell)
            self._cell = None
        elif tag == "table":
            self._table = None


def shown(rows):
    """Values as the HTML shows them."""
    return [["—" if v is None else str(v) for v in r] for r in rows]


def sheet(book, name):
    rows = [list(r) for r in book[name].iter_rows(values_only=True)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if len(rows) >= 2 and all(v is None for v in rows[-2]):
        rows = rows[:-2]  # the note under the table, after an empty row
    return rows


def both(page, book, table_id, sheet_name, header, rows):
    """The HTML table and the Excel sheet hold exactly these rows."""
    assert page.tables[table_id] == [header] + shown(rows), table_id
    assert sheet(book, sheet_name) == [header] + [list(r) for r in rows], sheet_name


# --- expected figures -----------------------------------------------------------------------------------
COMPLETION = "課題 10 件のうち 2 件以上を提出した人（自動チェックの得点が 60% 以上の提出だけを数えます）"
HELP = [
    ["u02", "佐藤 美咲", "同じところでくり返しつまずき",
     "課題「ワガママ日記と優先順位」の「1. ワガママ日記をつける（3点）」で、2 回続けてチェックに通っていません"
     "（最新: ❌ ワガママ日記 diary: 5 件以上必要ですが、いまは 4 件です。）。"],
    ["u03", "鈴木 洋子", "しばらく提出なし", "10 日間、何も提出していません（最後の提出: 2026-05-21 09:00）。"],
    ["u04", "高橋 健", "時間切れ・異常終了",
     "課題「はじめての Jupyter」の採点で: 時間切れ: ノート全体が 120 秒以内に終わらなかったため、止めました（無限ループなど）。"],
    ["u04", "高橋 健", "得点が全体より低い", "自動チェックの得点率が 28.6% です。講座の中央値（74.1%）より 25 ポイント以上低くなっています。"],
    ["u05", "田中 翔", "しばらく提出なし", "講座が始まってから 30 日、まだ一度も提出していません。"],
    ["u05", "田中 翔", "受け取ったまま未提出", "課題「はじめての Jupyter」を受け取りましたが、まだ提出していません。"],
    ["u05", "田中 翔", "受け取ったまま未提出", "課題「ワガママ日記と優先順位」を受け取りましたが、まだ提出していません。"],
    ["u06", "伊藤 光", "時間切れ・異常終了",
     "課題「はじめての Jupyter」を採点できませんでした: 実行中に Python（カーネル）が止まりました（sys.exit、os._exit、メモリ不足など）。"],
    ["u07", "渡辺 誠", "得点が全体より低い", "自動チェックの得点率が 19.6% です。講座の中央値（74.1%）より 25 ポイント以上低くなっています。"],
    ["u08", "小林 蓮", "しばらく提出なし", "講座が始まってから 30 日、まだ一度も提出していません。"],
]


def test_first_report_on_may_21(first_report):
    report, html, xlsx = first_report
    overview = dict(report.table("overview").rows)
    assert overview["一度でも提出した人"] == 3 and overview["修了した人"] == 3 and overview["修了率（%）"] == 37.5
    assert overview["期間内の提出（回）"] == 6
    history = json.loads((html.parent / "grading-history.json").read_text(encoding="utf-8"))["results"]
    assert len(history) == 6  # every graded submission seen so far is kept


def test_cohort_report(final, capsys):
    home, a = final
    out = cli(capsys, "report", a.id, "--from", "2026-05-01", "--to", "2026-05-31", "--idle-days", "7")
    html = a.path / "reports" / "oyama-2026a-レポート-2026-05-31.html"
    xlsx = html.with_suffix(".xlsx")
    assert f"書き出しました: {html}" in out and f"書き出しました: {xlsx}" in out
    assert "修了した人: 3" in out and "  ex01_wagamama ワガママ日記と優先順位: 4 人（50%）" in out
    assert "  u03 鈴木 洋子: しばらく提出なし: 10 日間、何も提出していません（最後の提出: 2026-05-21 09:00）。" in out

    text = html.read_text(encoding="utf-8")
    page = Tables(text)
    book = openpyxl.load_workbook(xlsx)

    # The page opens offline: nothing from the network, charts inside the page
    assert not [link for link in page.links if re.match(r"(https?:)?//", link)]
    assert "@import" not in text and "url(" not in text and "<script" not in text and "<link" not in text
    assert len(page.images) == 5 and all(src.startswith("data:image/png;base64,") for src in page.images)
    assert all(base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n" for src in page.images)

    both(page, book, "overview", "概要", ["項目", "値"], [
        ["受講者", 8], ["一度でも提出した人", 6], ["課題（配布済み / 全体）", "3 / 10"], ["期間内の提出（回）", 13],
        ["修了した人", 3], ["修了率（%）", 37.5], ["期間内に修了した人", 3], ["支援が必要かもしれない人", 7]])
    unreleased = [[x, t, "未配布", 0, 0, 0, None, 0] for x, t in [
        ("ex03_mondai", "困りごとを言葉にする"), ("ex04_idea", "アイデアを広げて選ぶ"), ("ex05_sekkei", "アプリを設計する"),
        ("ex06_app", "あなたのアプリを動かす"), ("ex07_hozon", "データを保存する"), ("ex08_machi", "まちのデータを使う"),
        ("ex09_happyou", "発表する")]]
    both(page, book, "assignments", "課題ごと",
         ["課題ID", "課題", "配布", "提出した人", "提出率（%）", "採点済みの人", "自動チェックの平均得点率（%）", "期間内の提出（回）"], [
             [A0, "はじめての Jupyter", "配布済み", 6, 75, 5, 65.7, 6],
             [A1, "ワガママ日記と優先順位", "配布済み", 4, 50, 4, 62.5, 6],
             [A2, "優先順位を確かめる", "配布済み", 1, 12.5, 0, None, 1]] + unreleased)
    both(page, book, "weekly", "週ごとの提出", ["週（月曜から）", A0, A1, A2, "合計"], [
        ["2026-04-27 の週", 0, 0, 0, 0], ["2026-05-04 の週", 3, 0, 0, 3], ["2026-05-11 の週", 0, 2, 0, 2],
        ["2026-05-18 の週", 0, 1, 0, 1], ["2026-05-25 の週", 3, 3, 1, 7]])
    bins = ["0〜19%", "20〜39%", "40〜59%", "60〜79%", "80〜99%", "100%"]
    both(page, book, "scores", "得点の分布", ["課題ID", "課題", *bins], [
        [A0, "はじめての Jupyter", 1, 1, 0, 0, 1, 2], [A1, "ワガママ日記と優先順位", 0, 1, 0, 2, 0, 1],
        [A2, "優先順位を確かめる", 0, 0, 0, 0, 0, 0]])

    # Which step of which lesson to reteach
    checks = page.tables["checks"]
    assert checks[0] == ["課題ID", "問題", "チェック", "配点", "最初の提出の人数", "最初の提出の正解率（%）", "最新の人数",
                         "最新の正解率（%）"]
    rows = {r[2]: r for r in sheet(book, "チェックごと")[1:]}
    assert {k: r[3:] for k, r in rows.items()} == {
        "yobina_check": [1, 5, 60, 5, 60], "daikin_check": [2, 5, 80, 5, 80],
        "kowareta_check": [2, 5, 60, 5, 60], "aisatsu_check": [2, 5, 60, 5, 60],
        "diary_check": [3, 4, 50, 4, 50], "score_check": [2, 4, 50, 4, 75], "rank_check": [2, 4, 75, 4, 75],
        "top_check": [1, 4, 50, 4, 50],
        "tensu_list_check": [2, 0, None, 0, None], "top3_check": [2, 0, None, 0, None],
        "heikin_check": [2, 0, None, 0, None], "onaji_check": [2, 0, None, 0, None]}
    assert list(rows)[:4] == ["yobina_check", "daikin_check", "kowareta_check", "aisatsu_check"]  # notebook
    assert rows["diary_check"][:2] == [A1, "1. ワガママ日記をつける（3点）"]
    assert page.tables["checks"][1:] == shown(sheet(book, "チェックごと")[1:])
    both(page, book, "failures", "よくあるつまずき", ["課題ID", "問題", "チェック", "順位", "エラーの例", "人数"], [
        [A0, "1. 呼び名を変数に入れる（1点）", "yobina_check", 1, YOBINA.splitlines()[0], 1],
        [A0, "1. 呼び名を変数に入れる（1点）", "yobina_check", 2, "時間切れ: セルが制限時間内に終わりませんでした（CellTimeoutError）。", 1],
        [A0, "2. ごみ袋の代金を計算する（2点）", "daikin_check", 1, "❌ ごみ袋の代金 daikin: 数値が必要ですが、文字列 '900' が入っています。", 1],
        [A0, "3. こわれたセルを直す（2点）", "kowareta_check", 1, "NameError: name 'nissu' is not defined", 1],
        [A0, "3. こわれたセルを直す（2点）", "kowareta_check", 2, "❌ 回覧板の日数 nissu: まだそうなっていません。", 1],
        [A0, "4. あいさつの関数を作る（2点）", "aisatsu_check", 1, "NameError: name 'aisatsu' is not defined", 1],
        [A0, "4. あいさつの関数を作る（2点）", "aisatsu_check", 2, "✏️ まだ解答が書かれていません: aisatsu。", 1],
        [A1, "1. ワガママ日記をつける（3点）", "diary_check", 1, DIARY.format(2), 2],  # 3 件, 4 件 and 2 件: one kind
        [A1, "2. 点数をつける関数（2点）", "score_check", 1, SCORE_PLUS.splitlines()[0], 1],
        [A1, "2. 点数をつける関数（2点）", "score_check", 2, SCORE_NONE, 1],
        [A1, "3. 点数の大きい順に並べる（2点）", "rank_check", 1, RANK_ASC, 1],
        [A1, "4. いちばん解決したいワガママを選ぶ（1点）", "top_check", 1, TOP_SECOND, 2]])

    both(page, book, "help", "支援が必要かもしれない人", ["受講者ID", "氏名", "理由", "くわしく"], HELP)
    both(page, book, "ungraded", "採点の結果なし", ["受講者ID", "氏名", "課題ID", "提出", "理由"], [
        ["u06", "伊藤 光", A0, "2026-05-30 09:00", "実行中に Python（カーネル）が止まりました（sys.exit、os._exit、メモリ不足など）。"]])

    # The town's numbers
    both(page, book, "town", "町への報告", ["項目", "値"], [
        ["講座", "小山市 ワガママLab 2026春（oyama-2026a）"], ["プログラム", "wagamama-lab"], ["自治体", "小山市"],
        ["修了の決まり", COMPLETION], ["受講者", 8], ["修了した人（この時点まで）", 3], ["修了率（%）", 37.5],
        ["期間内に修了した人", 3], ["年度", "2026年度"]])
    both(page, book, "by-month", "月ごとの修了", ["月", "修了した人"], [["2026-05", 3]])
    dss = {r[0]: r[4:] for r in sheet(book, "DX リテラシー標準")[1:]}
    assert page.tables["dss"][1:] == shown(sheet(book, "DX リテラシー標準")[1:])
    done = [3, 37.5]  # u01, u02, u03 did ex00 and ex01 (60 % or more); ex02 has no result yet
    assert dss == {
        "why_society": ["—", "—", 0, 0], "why_customer": ["—", "—", 0, 0],
        "why_competition": ["—", "—", 0, 0], "data_society": ["○", "ex08_machi", 0, 0],
        "data_read": ["○", "ex03_mondai、ex08_machi、ex09_happyou", 0, 0],
        "data_handle": ["○", "ex01_wagamama、ex05_sekkei、ex06_app、ex07_hozon", *done],
        "data_decide": ["○", "ex01_wagamama、ex02_yusen、ex04_idea", *done],
        "tech_ai": ["—", "—", 0, 0], "tech_cloud": ["—", "—", 0, 0],
        "tech_hw_sw": ["○", "ex00_hajimete、ex05_sekkei、ex06_app、ex07_hozon", *done],
        "tech_network": ["—", "—", 0, 0], "how_cases": ["○", "ex09_happyou", 0, 0],
        "how_security": ["○", "—", 0, 0], "how_morals": ["○", "—", 0, 0], "how_compliance": ["○", "—", 0, 0],
        "mind_adapt": ["○", "—", 0, 0], "mind_collaboration": ["—", "—", 0, 0],
        "mind_empathy": ["○", "ex01_wagamama、ex03_mondai、ex05_sekkei、ex06_app、ex09_happyou", *done],
        "mind_novel": ["○", "ex04_idea", 0, 0], "mind_iterative": ["○", "ex00_hajimete", *done],
        "mind_flexible": ["○", "ex04_idea", 0, 0],
        "mind_facts": ["○", "ex01_wagamama、ex02_yusen、ex03_mondai、ex08_machi", *done]}

    # What the report cannot know, said on the page itself
    limits = text[text.index('<ul id="limits">'):]
    assert "受け取り（Fetch）は、nbgrader に記録が残りません" in limits and "確かめられなかった組み合わせ（受講者×課題）は 21 件です" in limits
    assert "最新の提出の採点結果だけを残します" in limits


def test_the_charts_are_drawn_with_a_japanese_font(final):
    from wagamama.report import Options, Period, report_cohort

    home, a = final
    period = Period(dt.date(2026, 5, 1), dt.date(2026, 5, 31))
    report, _, _ = report_cohort(a.id, Options(period), home / "charts")
    font = japanese_font()
    assert font.name == "ipaexg.ttf" and font.parent.parent.name == "matplotlib_fontja"
    assert report.fonts == {str(font)}
    assert covers(font, "講座課題提出受講者修了得点分布正解率累計割合") == set()
    assert covers(font, "".join(c[1] for c in report.charts)) == set()
    text = (home / "charts" / "oyama-2026a-レポート-2026-05-31.html").read_text(encoding="utf-8")
    assert "グラフの文字のフォント: ipaexg.ttf" in text


def test_town_summary_of_several_cohorts(final, capsys):
    home, a = final
    out = cli(capsys, "report", "--all", "--program", "wagamama-lab", "--from", "2026-04-01",
              "--to", "2026-05-31")
    html = home / "reports" / "まとめ-wagamama-lab-2026-05-31.html"
    assert f"書き出しました: {html}" in out
    text = html.read_text(encoding="utf-8")
    page, book = Tables(text), openpyxl.load_workbook(html.with_suffix(".xlsx"))
    assert "u01" not in text and "山田" not in text, "the prefecture's summary names no learner"
    both(page, book, "overview", "まとめ", ["項目", "値"], [
        ["講座", 2], ["自治体", 2], ["受講者", 10], ["修了した人（この時点まで）", 4], ["期間内に修了した人", 4]])
    both(page, book, "cohorts", "講座ごと", ["自治体", "講座ID", "講座", "プログラム", "開始日", "受講者", "一度でも提出した人",
                                        "修了した人", "修了率（%）", "期間内に修了した人", "修了の決まり"], [
        ["小山市", "oyama-2026a", "小山市 ワガママLab 2026春", "wagamama-lab", "2026-05-01", 8, 6, 3, 37.5, 3,
         COMPLETION],
        ["栃木市", "tochigi-2026b", "栃木市 ワガママLab 2026", "wagamama-lab", "2026-04-01", 2, 1, 1, 50, 1,
         "課題 10 件のうち 1 件以上を提出した人"]])
    both(page, book, "by-year", "年度ごと", ["プログラム", "年度", "講座の受講者（開始した年度）", "期間内に修了した人"],
         [["ワガママLab（基本コース）", "2026年度", 10, 4]])
    both(page, book, "by-month", "月ごとの修了", ["プログラム", "月", "修了した人"],
         [["ワガママLab（基本コース）", "2026-04", 1], ["ワガママLab（基本コース）", "2026-05", 3]])
    dss = {r[0]: r[6:] for r in sheet(book, "DX リテラシー標準")[1:]}
    assert dss["tech_hw_sw"] == [4, 40] and dss["data_decide"] == [3, 30] and dss["how_cases"] == [0, 0]
    assert not [link for link in page.links if re.match(r"(https?:)?//", link)]

    out = cli(capsys, "report", "--all", "--to", "2026-05-31")
    overview = dict(sheet(openpyxl.load_workbook(home / "reports" / "まとめ-all-2026-05-31.xlsx"), "まとめ")[1:])
    assert overview["講座"] == 3 and overview["受講者"] == 12


def test_the_completion_rule_can_be_set_on_the_command_line(final, capsys):
    from wagamama.report_dashboard import notebook

    home, a = final
    rule = ["--to", "2026-05-31", "--output", str(home / "rule")]
    out = cli(capsys, "report", a.id, *rule, "--complete-assignments", "1", "--complete-percent", "0")
    assert "修了した人: 6" in out  # one hand-in is enough: everyone who handed something in by 05-31
    out = cli(capsys, "report", a.id, *rule, "--complete-assignments", "3")
    assert "修了した人: 0" in out
    out = cli(capsys, "report", "oyama-oneday", *rule)
    assert "一度でも提出した人: 0" in out and "修了した人: 0" in out  # nobody has handed anything in yet
    out = cli(capsys, "report", "--dashboard", str(home / "ダッシュボード.ipynb"))
    assert (home / "ダッシュボード.ipynb").read_bytes() == notebook().read_bytes()
    assert main(["report", "--to", "2026-05-31"]) == 1
    assert "講座ID か --all のどちらか" in capsys.readouterr().err
    assert main(["report", a.id, "--to", "2026-5-31x"]) == 1
    assert "日付「2026-5-31x」が読めません" in capsys.readouterr().err


def test_dashboard_notebook_shows_the_same_figures(final, tmp_path):
    from nbclient import NotebookClient

    from wagamama.report_dashboard import notebook

    nb = nbformat.read(notebook(), as_version=4)
    params = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    params.source = ('COHORT = "oyama-2026a"\nASSIGNMENT = "ex01_wagamama"\n'
                     'FROM = "2026-05-01"\nTO = "2026-05-31"\nIDLE_DAYS = 7')
    NotebookClient(nb, timeout=60, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    outputs = [o for m in state.values() if m["model_name"] == "OutputModel" for o in m["state"]["outputs"]]
    printed = "".join(o.get("text", "") for o in outputs if o["output_type"] == "stream")
    assert printed.splitlines() == [
        "小山市 ワガママLab 2026春 レポート",
        "講座 oyama-2026a　期間 2026-05-01 〜 2026-05-31",
        "ex01_wagamama ワガママ日記と優先順位: 提出 4 人（50%）、採点済み 4 人、平均得点率 62.5%",
        "  1. ワガママ日記をつける（3点）（diary_check）: 最初の提出の正解率 50%（4 人）、最新の正解率 50%（4 人）",
        "  2. 点数をつける関数（2点）（score_check）: 最初の提出の正解率 50%（4 人）、最新の正解率 75%（4 人）",
        "  3. 点数の大きい順に並べる（2点）（rank_check）: 最初の提出の正解率 75%（4 人）、最新の正解率 75%（4 人）",
        "  4. いちばん解決したいワガママを選ぶ（1点）（top_check）: 最初の提出の正解率 50%（4 人）、最新の正解率 50%（4 人）",
        "支援が必要かもしれない人:",
        f"  u02 佐藤 美咲: 同じところでくり返しつまずき: {HELP[0][3]}",
        f"  u05 田中 翔: 受け取ったまま未提出: {HELP[6][3]}",
    ]
    shown_html = "".join(o["data"].get("text/html", "") for o in outputs
                         if o["output_type"] == "display_data")
    tables = Tables(shown_html).tables
    assert tables["assignments"][1] == shown([[A1, "ワガママ日記と優先順位", "配布済み", 4, 50, 4, 62.5, 6]])[0]
    assert len(tables["assignments"]) == 2 and shown_html.count("data:image/png;base64,") == 5


def test_real_autograded_notebooks_are_read(final):
    """One real autograde (nbgrader, no sandbox: the answers are our own cases), read by the report."""
    from wagamama.activity import read
    from wagamama.grading.autograde import autograde
    from wagamama.grading.collect import collect
    from wagamama.report import Options, cohort_report

    home, _ = final
    cohort = open_cohort("oyama-oneday")
    play(cohort, A1, "w02", load_cases(A1)["score_addition"], home / "learners" / "w02")  # + instead of *
    collect(cohort, [A1])
    [outcome] = autograde(cohort, [A1], jobs=1, sandboxed=False)
    assert outcome.status == "needs_manual" and outcome.score == 4
    report = cohort_report(read(open_cohort("oyama-oneday")), Options())
    assert [r[2:] for r in report.table("checks").rows if r[0] == A1] == [
        ["diary_check", 3, 1, 100, 1, 100], ["score_check", 2, 1, 0, 1, 0], ["rank_check", 2, 1, 0, 1, 0],
        ["top_check", 1, 1, 100, 1, 100]]
    failures = {r[2]: r[4] for r in report.table("failures").rows}
    assert set(failures) == {"score_check", "rank_check"}
    assert failures["score_check"].startswith("❌ score") and "\n" not in failures["score_check"]
    assert report.table("scores").rows == [[A1, "ワガママ日記と優先順位", 0, 0, 1, 0, 0, 0]]  # 4 of 8 points
