"""Python's errors explained in Japanese (wagamama.explain), and the IPython extension that shows them.

Each case is a slip a learner with a Japanese IME really makes; the explanation must name the real
cause (not Python's guess), the place, and what to type instead.
"""

import nbformat
import pytest
from nbclient import NotebookClient

from wagamama.explain import explain


def syntax(code: str) -> str:
    with pytest.raises(SyntaxError) as info:
        compile(code, "<cell>", "exec")
    return explain(info.value)


def running(code: str, names=()) -> str:
    with pytest.raises(Exception) as info:
        exec(compile(code, "<cell>", "exec"), {})
    return explain(info.value, names=names)


@pytest.mark.parametrize(("code", "says"), [
    ("x = 7 *\u30002", "全角スペースがまざっています"),
    ("x = [1、2]", "読点「、」がまざっています。リストや辞書の区切りは、半角のコンマ , です"),
    ("x = [1，2]", "全角のコンマ「，」"),
    ('d = {"a"：1}', "全角のコロン「：」がまざっています。半角のコロン : にします"),
    ("x = “あ”", "日本語の引用符「“」がまざっています。半角の \" にします"),
    ("x = ＂あ＂", "全角の引用符「＂」"),
    ("x = 「あ」", "かぎかっこ「「」がまざっています。文字を囲むのは半角の \" \" です"),
    ("x = ¥100", "円マーク「¥」"),
    ("x = ￥100", "全角の円マーク「￥」"),
    ("n = ４", "全角の数字「４」がまざっています。半角の「4」で打ち直します"),
    ("x = （1 + 2）", "全角の記号「（」がまざっています。半角の「(」で打ち直します"),
    ("gomi = 第2・第4水曜", 'ことば「第2・第4水曜」が " " で囲まれていません'),
    ("yobina = さくら、です", 'ことば「さくら」が " " で囲まれていません'),
    ('d = {"年代": 50代}', '数字のあとに日本語が続いています（50代）。ことばなら " " で囲みます（例: "50代"）'),
    ("x = 3回", '数字のあとに日本語が続いています（3回）'),
    ("daikin = 900円", '数字のあとに日本語が続いています（900円）。ことばなら " " で囲みます'),
    ("kaisu = ８  # ← None を消して、答えを書きます", "全角の数字「８」がまざっています"),
    ('print("回覧板)', '文字の終わりの " がありません'),
    ("if x = 1:\n    pass", "= ではなく == を使います"),
    ("if x > 1\n    pass", "行の終わりの :（半角のコロン）がありません"),
    ('d = {"a": 1 "b": 2}', "コンマ（,）が足りないようです"),
    ("l = [1, 2", "かっこの数が合っていません"),
    ("print(1))", "かっこの数が合っていません"),
    ("for i in range(3):\nprint(i)", "行の始めを半角スペース4つ分下げます"),
    ("x = 1\n    y = 2", "行の始めに、余分な空白があります"),
    ("if True:\n        a = 1\n    b = 2", "字下げの深さがそろっていません"),
    ('"名前" = "さくら"', "= の左には、名前を書きます"),
])
def test_syntax_slips(code, says):
    text = syntax(code)
    assert says in text, text
    assert "行目" in text and "文字目" in text, "the line and the character"


def test_the_place_is_the_line_and_character_python_points_at():
    assert "（2 行目、5 文字目: n = ４）" in syntax("a = 1\nn = ４")


@pytest.mark.parametrize(("code", "names", "says"), [
    ("x = 通院", (), 'ことば「通院」が " " で囲まれていません。ことばは、半角の " " で囲みます（例: "通院"）'),
    ("print(kinuo)", ("kinou", "print"), "「kinou」のつもりですか"),
    ("print(kinou)", (), "その名前を作るセルを、先に実行します"),
    ('x = "3" + 4', (), "文字列と数をまぜて計算しています"),
    ("x = 4 + '3'", (), "文字列と数をまぜて計算しています"),
    ("x = None\nx[0]", (), "何もない値（None）を使っています"),
    ("len = 3\nlen([1])", (), "( ) をつけて呼べないものを呼んでいます"),
    ("def f(a):\n    return a\nf(1, 2)", (), "関数に渡す値の数が合いません"),
    ("for i in 3:\n    pass", (), "range(数)"),
    ('s = "abc"\ns["キー"]', (), "文字列に [\"キー\"] を使っています"),
    ('d = {"ひんど": 3}\nd["つらさ"]', (), "キー「つらさ」がありません"),
    ('d = {"料金(基本)": 1}\nd["料金（基本）"]', (), "かっこや数字の全角・半角"),
    ("x = [1, 2, 3]\nx[3]", (), "番号は 0 から始まり"),
    ("x = []\nx.appned(1)", (), "「append」のつもりですか"),
    ("x = 1 / 0", (), "0 で割り算をしています"),
    ("int('三')", (), "数にできない文字を int() に渡しています"),
])
def test_runtime_slips(code, names, says):
    text = running(code, names)
    assert says in text, text


def test_pandas_conditions_with_and():
    import pandas as pd

    df = pd.DataFrame({"区": ["東", "西"], "数": [1, 5]})
    with pytest.raises(ValueError) as info:
        if df["区"] == "東" and df["数"] > 3:
            pass
    assert "and ではなく &" in explain(info.value)


def test_a_hidden_check_never_echoes_what_the_learners_code_made():
    class Leak(KeyError):
        pass

    text = explain(Leak("ゆうき"), hidden=True)
    assert "ゆうき" not in text and "Leak" not in text and "辞書にないキー" in text


def _run(cells, env=None):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    client = NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True)
    if env:
        import os

        client.km = client.create_kernel_manager()
        client.km.extra_env = env
        old = dict(os.environ)
        os.environ.update(env)
        try:
            client.execute()
        finally:
            os.environ.clear()
            os.environ.update(old)
    else:
        client.execute()
    return ["\n".join(o.get("traceback", [])) for c in nb.cells for o in c.outputs if o.output_type == "error"]


def test_the_extension_adds_the_explanation_under_pythons_own_message():
    """Every kernel of this environment loads wagamama.japanese_errors (installed by `make`)."""
    errors = _run(["gomi = 第2・第4水曜", "print(kinou)", 'd = {"年代": 50代}'])
    assert len(errors) == 3
    for error, says in zip(errors, ["第2・第4水曜", "kinou", "50代"], strict=True):
        english, japanese = error.split("💡", 1)
        assert "Error" in english, "Python's own message stays, first"
        assert says in japanese and "囲" in japanese or "見つかりません" in japanese


def test_grading_kernels_show_only_pythons_own_message():
    errors = _run(["gomi = 第2・第4水曜"], env={"WAGAMAMA_GRADING": "1"})
    assert errors and "💡" not in errors[0]
