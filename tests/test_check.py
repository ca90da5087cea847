"""The learner-side self-checks: what they print, what they raise, what they never reveal."""

import re

import pytest

from wagamama.check import Incorrect, NotAttempted, expect, expect_call, expect_records, explain, normalize


def test_correct_answer_prints_japanese_and_passes(capsys):
    expect(8, 8, "問題0")
    assert "正解です: 問題0" in capsys.readouterr().out


def test_float_tolerance():
    expect(0.1 + 0.2, 0.3)
    with pytest.raises(Incorrect):
        expect(0.31, 0.3)


def test_strings_are_normalised_nfkc_and_stripped():
    expect("  ｺﾞﾐ出し　", "ゴミ出し")
    expect(["ＡＢＣ"], ["ABC"])
    assert normalize({"ｶﾅ": " ２ "}) == {"カナ": "2"}


@pytest.mark.parametrize("starter", [None, ..., [], ""])
def test_untouched_starter_is_not_attempted(starter):
    with pytest.raises(NotAttempted, match="まだ解答が書かれていません"):
        expect(starter, 8)


def test_not_implemented_function_is_not_attempted():
    def score(entry):
        raise NotImplementedError("ここに答えを書いたら、この行は消します")

    with pytest.raises(NotAttempted, match="まだ解答が書かれていません: score"):
        expect_call(score, {}, expected=1)


def test_type_mismatch_is_named_in_plain_japanese():
    with pytest.raises(Incorrect, match='数値が必要ですが、文字列 "360" が入っています'):
        expect("360", 360)
    with pytest.raises(Incorrect, match="全角の数字"):
        expect("３６０", 360)


def test_wrong_answer_shows_expected_only_when_visible():
    with pytest.raises(Incorrect, match="正しい答え: 12"):
        expect(7, 12)
    with pytest.raises(Incorrect) as info:
        expect(7, 4242, hidden=True)
    assert "4242" not in str(info.value)


def test_hidden_call_never_reveals_arguments_or_expected():
    def score(e):
        return e["a"] + 1

    with pytest.raises(Incorrect) as info:
        expect_call(score, {"a": 98765}, expected=4321, hidden=True)
    assert "98765" not in str(info.value) and "4321" not in str(info.value)


def test_known_mistake_gets_its_hint():
    with pytest.raises(Incorrect, match="足し算になっています"):
        expect(7, 12, mistakes={7: "足し算になっています。"})


def test_off_by_one_and_reverse_order_hints():
    with pytest.raises(Incorrect, match="1 だけずれています"):
        expect(9, 8)
    with pytest.raises(Incorrect, match="並び順が逆です"):
        expect([1, 2, 3], [3, 2, 1])


def test_forgotten_return_is_named():
    def score(e):
        print(e)

    with pytest.raises(Incorrect, match="return を忘れていませんか"):
        expect_call(score, 1, expected=2)


def test_exception_in_learner_code_is_explained_not_dumped():
    def score(entry):
        return entry["ひんど"] * entry["つらさ"]

    with pytest.raises(Incorrect) as info:
        expect_call(score, {"ひんど": 1}, expected=1)
    text = str(info.value)
    assert "キー「つらさ」がありません" in text and "関数 score の中" in text
    assert "関数 score の中" in text and "Traceback" not in text


def test_optional_hint_is_shown_on_failure():
    with pytest.raises(Incorrect, match="ヒント: 掛け算です"):
        expect(1, 2, hint="掛け算です")


FIELDS = {"日付": str, "困りごと": str, "ひんど": (int, 1, 5)}


def entry(day="4月1日", text="ごみ出し", hindo=3):
    return {"日付": day, "困りごと": text, "ひんど": hindo}


def test_records_pass(capsys):
    expect_records([entry("1"), entry("2"), entry("3")], FIELDS, "日記", min_count=3, distinct=("日付", 3))
    assert "正解です: 日記（3 件）" in capsys.readouterr().out


@pytest.mark.parametrize(
    "records, message",
    [
        ([entry()] * 2, "3 件以上必要"),
        ([entry(), entry(), {"日付": "x", "ひんど": 3}], "3件目に「困りごと」がありません"),
        ([entry(), entry(), entry(hindo=6)], "1〜5 の整数"),
        ([entry(), entry(), entry(hindo="３")], "数値は引用符で囲まずに"),
        ([entry(), entry(), entry(text="  ")], "文字を書きます"),
        ([entry()] * 3, "「日付」が 3 種類以上必要"),
        ({"a": 1}, "リストが必要"),
    ],
)
def test_records_fail_with_the_reason(records, message):
    with pytest.raises(Incorrect, match=message):
        expect_records(records, FIELDS, "日記", min_count=3, distinct=("日付", 3))


def test_a_failed_check_shows_only_its_message_in_jupyter(tmp_path):
    """No red traceback into check.py: the learner reads the Japanese message, nbgrader still sees an error."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "from wagamama.check import expect_call\ndef score(e):\n    return e['ひんど'] + e['つらさ']\n"
        "expect_call(score, {'ひんど': 3, 'つらさ': 4}, expected=12, mistakes={7: 'かけ算の記号は * です。'})")])
    NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    (error,) = [o for o in nb.cells[0].outputs if o.output_type == "error"]
    assert error.ename == "Incorrect"
    assert error.traceback[0].startswith("❌ score(") and "💡 ヒント: かけ算の記号は * です。" in error.traceback
    assert not any("check.py" in line or "Traceback" in line for line in error.traceback)


def test_expect_texts_counts_and_refuses_copies(capsys):
    from wagamama.check import expect_texts

    five = ["迎えの時間を忘れる", "週ごとに時間が変わる", "連絡が紙で来る", "紙をなくす", "置き場所が決まっていない"]
    expect_texts(five, "なぜ", count=5)
    assert "⭕" in capsys.readouterr().out
    with pytest.raises(NotAttempted):
        expect_texts([], "なぜ", count=5)
    with pytest.raises(Incorrect, match="5 個必要ですが、いまは 4 個"):
        expect_texts(five[:4], "なぜ", count=5)
    with pytest.raises(Incorrect, match="同じ文が2回以上"):
        expect_texts(five[:4] + [" 紙をなくす "], "なぜ", count=5)
    with pytest.raises(Incorrect, match="3つ目が文字列ではありません"):
        expect_texts(five[:2] + [3] + five[3:], "なぜ", count=5)


@pytest.mark.parametrize("text", ["共働きの親は、習い事の迎えのときに、時間が毎週ちがうことで困っている。",
                                  "共働きの親は、迎えのときに、時間が分からないことで困っています"])
def test_expect_statement_accepts_the_three_parts(text, capsys):
    from wagamama.check import expect_statement

    expect_statement(text)
    assert "⭕" in capsys.readouterr().out


@pytest.mark.parametrize("text, hint", [
    ("共働きの親は、迎えの時間が分からない。", "困っている。"),
    ("共働きの親が迎えのときに時間で困っている。", "「は、」で区切ります"),
    ("共働きの親は、迎えの時間が毎週ちがうことで困っている。", "のときに、"),
    ("〇〇な人は、〇〇のときに、〇〇で困っている。", "〇〇 のところを"),
])
def test_expect_statement_names_the_missing_part(text, hint):
    from wagamama.check import expect_statement

    with pytest.raises(Incorrect, match=re.escape(hint)):
        expect_statement(text)


def test_expect_hmw():
    from wagamama.check import expect_hmw

    expect_hmw("どうすれば、共働きの親が迎えの時間を前の日に知ることができるか。")
    with pytest.raises(Incorrect, match="「どうすれば」で始まっていません"):
        expect_hmw("迎えの時間を忘れないようにしたい。")
    with pytest.raises(Incorrect, match="解決策（アプリ）"):
        expect_hmw("どうすれば迎えの時間を知らせるアプリを作れるか")
    with pytest.raises(Incorrect, match="問いの形で終わっていません"):
        expect_hmw("どうすれば迎えの時間を前の日に知ることができる")
    with pytest.raises(Incorrect, match="文字列が必要"):
        expect_hmw(["どうすれば"])


def test_explain_points_at_the_learners_line_and_names_the_real_mistake(tmp_path):

    def score(entry):
        return entry[ひんど]  # noqa: F821 — the learner forgot the quotes

    with pytest.raises(NameError) as info:
        score({"ひんど": 3})
    assert '半角の " " で囲みます（例: "ひんど"）' in explain(info.value)

    def rank(entries):
        return sorted(entries, key=score())  # noqa: F821

    with pytest.raises(TypeError) as info:
        rank([])
    assert "かっこをつけずに名前だけ" in explain(info.value)

    def yomu(path):
        return open(path, encoding="utf-8").read()

    with pytest.raises(FileNotFoundError) as info:
        yomu(tmp_path / "nai.json")
    text = explain(info.value)
    assert "nai.json がありません" in text and "関数 yomu の中" in text and "return open(path" in text


def test_a_check_cell_answers_in_japanese_whatever_state_the_answer_cell_is_in(tmp_path):
    """The extension (loaded for this venv's kernels) runs `# チェック` cells through check.run_check."""
    import nbformat
    from nbclient import NotebookClient

    cells = ["from wagamama.check import expect\n# チェックを実行してから答えます（問題0）",
             "# チェック: kaisu\nexpect(kaisu, 8, '回数 kaisu')",  # run before answering: not an error above
             "kaisu = ８",  # the IME left in full-width mode
             "# チェック: kaisu\nexpect(kaisu, 8, '回数 kaisu')",
             "kaisu = 8\nraise NotImplementedError",  # the starter's raise line left under a right answer
             "# チェック: kaisu\nexpect(kaisu, 8, '回数 kaisu')",
             "kaisu = 8",
             "# チェック: kaisu\nexpect(kaisu, 8, '回数 kaisu')"]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True,
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    said = ["\n".join(o.get("text", "") + "\n".join(o.get("traceback", [])) for o in c.outputs) for c in nb.cells]
    assert said[1].startswith("✏️ まだ答えができていません: kaisu がありません") and "すぐ上" not in said[1]
    assert said[3].startswith("❌ 答えのセルがエラーで止まっています。全角の数字「８」") and "4" not in said[3][:40]
    assert said[5].startswith("✏️ まだ解答が書かれていません。答えのセルに raise NotImplementedError の行が残っています")
    assert "⭕" not in said[5] and said[7].startswith("⭕ 正解です: 回数 kaisu")
    for text in said[1::2]:
        assert "Traceback" not in text and "expect(kaisu" not in text


def test_a_fullwidth_digit_is_shown_as_typed():
    rec = {"日付": "5月1日", "場面": "買い物", "困りごと": "店が遠い", "ひんど": "３", "つらさ": 2}
    with pytest.raises(Incorrect, match='文字列 "３" です。全角の数字になっています。'):
        expect_records([rec], {"ひんど": (int, 1, 5), "つらさ": (int, 1, 5)}, "日記")


def test_an_empty_result_of_a_function_is_an_answer_not_a_starter():
    with pytest.raises(Incorrect, match="答えがちがいます"):
        expect_call(lambda entries: [], [1, 2], expected=[2])


def test_a_pandas_table_where_a_list_is_expected_says_how_to_get_one():
    import pandas as pd

    with pytest.raises(Incorrect, match=r"表（pandas の Series）のままです。列のうしろに \.tolist\(\)"):
        expect(pd.Series(["さくら東保育園"]), ["さくら東保育園"], "ichiji")




def test_values_are_shown_as_the_learner_types_them():
    with pytest.raises(Incorrect) as info:
        expect_call(lambda namae: namae + "さん\u3000こんにちは", "さくら", expected="さくらさん、こんにちは")
    text = str(info.value)
    assert '"さくらさん　こんにちは"（全角スペースが入っています）' in text and "\\u3000" not in text
    assert text.startswith('❌ <lambda>("さくら"):')

    def score(entry):
        return entry["ひんど"] + entry["つらさ"]

    with pytest.raises(Incorrect) as info:
        expect_call(score, {"ひんど": 3, "つらさ": 4}, expected=12)
    assert str(info.value).startswith('❌ score({"ひんど": 3, "つらさ": 4}):')  # as typed, not a Python repr

    def tensu_list(diary):
        return []

    with pytest.raises(Incorrect) as info:
        expect_call(tensu_list, [{"場面": "ごみ出し", "ひんど": 3, "つらさ": 4}] * 5, expected=[12] * 5)
    assert str(info.value).startswith("❌ tensu_list(5件のリスト):")  # a long argument by what it is


def test_a_yes_no_check_answers_its_question():
    with pytest.raises(Incorrect) as info:
        expect(False, True, "erabi が辞書か", hint="辞書のまま入れます。")
    assert str(info.value) == "❌ erabi が辞書か: いいえ。\n💡 ヒント: 辞書のまま入れます。"
    with pytest.raises(Incorrect, match="まだ、できていません"):
        expect(False, True, "Excel 用の目印")


@pytest.mark.parametrize("text", ["一人暮らしの高齢者は、資源ごみの日の朝に、出す品目が分からないことで困っている。",
                                  "自治会の班長は、回覧板が回ってきたときに、次の家へ回し忘れることで困っている。"])
def test_expect_statement_takes_any_word_of_time(text, capsys):
    from wagamama.check import expect_statement

    expect_statement(text)
    assert "⭕" in capsys.readouterr().out


def test_expect_own_refuses_a_worked_example_copied_as_it_is():
    from wagamama.check import expect_own

    example = "診察が終わってから、帰りのバスを1時間近く待つから"
    expect_own(["バスが1時間に1本しかないから"], example)  # her own words: nothing said
    for copied in (example, [" " + example, "ほかの文"], {"くらし": example}):
        with pytest.raises(Incorrect, match="見本の文を、そのまま写しています"):
            expect_own(copied, example, name="なぜ", what="あなたのワガママの「なぜ？」")
