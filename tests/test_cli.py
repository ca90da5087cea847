"""The instructor CLI: messages, never tracebacks; non-zero exit codes on failure."""

import pytest

from wagamama.cli import main


def run(capsys, *args):
    code = main(list(args))
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def test_create_list_show(home, capsys):
    code, out, _ = run(capsys, "cohort", "create", "oyama-2026a", "--program", "oneday", "--title", "小山市 ワガママLab 2026春",
                       "--municipality", "小山市", "--start", "2026-04-01", "--instructor", "sensei")
    assert code == 0 and "oyama-2026a" in out
    assert (home / "cohorts" / "oyama-2026a" / "nbgrader_config.py").exists()
    assert (home / "cohorts" / "oyama-2026a" / "gradebook.db").exists()
    assert (home / "cohorts" / "oyama-2026a" / "source" / "ex01_wagamama" / "ex01_wagamama.ipynb").exists()
    code, out, _ = run(capsys, "cohort", "list")
    assert "oyama-2026a\t小山市 ワガママLab 2026春\toneday" in out
    code, out, _ = run(capsys, "cohort", "show", "oyama-2026a")
    assert "自治体: 小山市" in out and "開始日: 2026-04-01" in out and "講師: sensei" in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["cohort", "create", "小山", "--program", "oneday", "--title", "t"], "講座ID「小山」は使えません"),
        (["cohort", "create", "x1", "--program", "nope", "--title", "t"], "講座プログラム「nope」はありません"),
        (["cohort", "create", "x1", "--program", "oneday", "--title", "t", "--start", "4月1日"], "日付「4月1日」が読めません"),
        (["cohort", "create", "x1", "--program", "oneday", "--title", "t", "--instructor", "2026"],
         "ID 「2026」は英字で始まっていません"),
        (["cohort", "show", "ghost"], "講座「ghost」が見つかりません"),
        (["status", "ghost"], "講座「ghost」が見つかりません"),
        (["roster", "import", "ghost", "x.csv"], "講座「ghost」が見つかりません"),
    ],
)
def test_errors_are_messages(home, capsys, args, message):
    code, _, err = run(capsys, *args)
    assert code == 1 and message in err and "(" in err  # Japanese first, English for operators in parentheses


def test_errors_on_an_empty_cohort(home, capsys):
    assert run(capsys, "cohort", "create", "c1", "--program", "oneday", "--title", "t")[0] == 0
    code, _, err = run(capsys, "cohort", "create", "c1", "--program", "oneday", "--title", "t")
    assert code == 1 and "もうあります" in err
    code, _, err = run(capsys, "release", "c1")
    assert code == 1 and "--all" in err
    code, _, err = run(capsys, "release", "c1", "ex99")
    assert code == 1 and "課題「ex99」はこの講座（c1）にありません" in err
    code, _, err = run(capsys, "collect", "c1")
    assert code == 1 and "回収できる提出物がありません" in err
    code, _, err = run(capsys, "autograde", "c1")
    assert code == 1 and "wagamama collect c1" in err
    code, _, err = run(capsys, "feedback", "c1")
    assert code == 1 and "wagamama autograde c1" in err
    code, out, _ = run(capsys, "status", "c1")
    assert code == 0 and "名簿を取り込んで" in out


def test_unexpected_errors_go_to_a_log_not_the_screen(home, capsys, monkeypatch):
    import wagamama.cohort

    def boom():
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(wagamama.cohort, "list_cohorts", boom)
    code, _, err = run(capsys, "cohort", "list")
    assert code == 2 and "思わぬエラー" in err and "disk on fire" in err
    logs = list((home / "logs").glob("error-*.log"))
    assert logs and "Traceback" in logs[0].read_text(encoding="utf-8")


def test_nbgrader_failures_become_japanese_reasons():
    from wagamama.errors import WagamamaError
    from wagamama.nbgrader_log import ensure, reason

    assert "時間切れ" in reason("[AutogradeApp] ERROR | CellTimeoutError: A cell timed out")
    assert "壊れていて読めません" in reason("", "nbformat.reader.NotJSONError: Notebook does not appear to be JSON")
    assert "nbgrader がエラーで止まりました: OSError: boom" in reason("", "Traceback\nOSError: boom")
    ensure({"success": True}, "配布")
    with pytest.raises(WagamamaError, match="配布に失敗しました。ノートが壊れていて"):
        ensure({"success": False, "log": "NotJSONError"}, "配布")


@pytest.mark.parametrize(
    "args, japanese, english",
    [
        ([], "必要な引数が足りません: コマンド。", "the following arguments are required: コマンド"),
        (["nope"], "コマンド: 「nope」は選べません。選べるもの: cohort、roster、", "invalid choice: 'nope'"),
        (["cohort"], "必要な引数が足りません: {create,list,show}。", "the following arguments are required"),
        (["roster", "import"], "必要な引数が足りません: id、file。", "the following arguments are required: id, file"),
        (["status", "c1", "--bogus"], "知らない引数があります: --bogus。", "unrecognized arguments: --bogus"),
        (["export", "c1", "--format", "pdf"], "--format: 「pdf」は選べません。選べるもの: csv、xlsx。", "invalid choice"),
        (["export", "c1", "--format"], "--format のあとに値を1つ書いてください。", "expected one argument"),
        (["start", "--port", "abc"], "--port: 「abc」は整数ではありません。", "invalid int value: 'abc'"),
        (["roster", "remove", "c1"], "必要な引数が足りません: 受講者ID。", "the following arguments are required"),
    ],
)
def test_argument_mistakes_are_explained_in_japanese(capsys, args, japanese, english):
    code, out, err = run(capsys, *args)
    assert code == 2 and out == ""
    assert err.startswith("使い方: wagamama") and f"エラー: {japanese}" in err and "-h` で使い方を見られます" in err
    assert english in err.split("\n(", 1)[1]  # the English for operators, in parentheses
    assert "usage:" not in err and "error:" not in err


def test_help_is_japanese(capsys):
    code, out, _ = run(capsys, "-h")
    assert code == 0 and out.startswith("使い方: wagamama [-h] コマンド ...")
    assert "オプション:" in out and "-h, --help  この説明を表示して終わります" in out and "roster" in out
    code, out, _ = run(capsys, "roster", "remove", "--help")
    assert code == 0 and "引数:" in out and "受講者ID" in out and "提出物のある受講者も外す" in out
    english = ("usage:", "positional arguments", "options:", "show this help message")
    assert not [word for word in english if word in out]


def test_an_unknown_argparse_message_still_says_something_japanese():
    from wagamama.cli import JapaneseArgumentParser

    assert JapaneseArgumentParser.translate("a message from a newer Python") == "コマンドの書き方がまちがっています。"
