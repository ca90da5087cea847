"""Python's errors explained in Japanese, for beginners who type with a Japanese IME.

One place for every explanation: the checks (:mod:`wagamama.check`), the grader's judge and the
IPython extension (:mod:`wagamama.japanese_errors`) all call :func:`explain`. It looks at what the
learner typed, not only at Python's message: ``"年代": 50代`` gets "Perhaps you forgot a comma?" from
Python, and the real cause is the missing quotes. Each explanation says what is wrong, where (line and
character), and what to type instead, in short sentences.
"""

from __future__ import annotations

import difflib
import re
import sys
import traceback
import unicodedata

JAPANESE = re.compile(r"[ぁ-んァ-ヶー一-龠々〆〇]")
# Characters an IME in full-width mode types, what they are called, and what to type instead.
CHARACTERS = {
    "\u3000": ("全角スペース", "半角のスペースにします。見えないので、空白を消してから打ち直します"),
    "、": ("読点「、」", "リストや辞書の区切りは、半角のコンマ , です"),
    "，": ("全角のコンマ「，」", "半角のコンマ , にします"),
    "。": ("句点「。」", "プログラムの行の終わりには、何もつけません"),
    "：": ("全角のコロン「：」", "半角のコロン : にします"),
    "；": ("全角のセミコロン「；」", "半角の ; にします（ふつうは要りません）"),
    "・": ("中黒「・」", "ことばの中で使うなら、ことば全体を \" \" で囲みます"),
    "“": ("日本語の引用符「“」", "半角の \" にします"),
    "”": ("日本語の引用符「”」", "半角の \" にします"),
    "‘": ("日本語の引用符「‘」", "半角の ' にします"),
    "’": ("日本語の引用符「’」", "半角の ' にします"),
    "＂": ("全角の引用符「＂」", "半角の \" にします"),
    "「": ("かぎかっこ「「」", "文字を囲むのは半角の \" \" です"),
    "」": ("かぎかっこ「」」", "文字を囲むのは半角の \" \" です"),
    "￥": ("全角の円マーク「￥」", "改行なら \\n（半角のバックスラッシュと n）です。円の金額なら、数字だけを書きます"),
    "¥": ("円マーク「¥」", "改行なら \\n（半角のバックスラッシュと n）です。円の金額なら、数字だけを書きます"),
}


QUOTES = "“”‘’＂「」"


def _where(lineno, line: str, offset=None) -> str:
    line = (line or "").rstrip("\n")
    if not line.strip():
        return ""
    at = f"、{offset} 文字目" if offset else ""
    return f"（{lineno} 行目{at}: {line.strip()}）"


def _outside_quotes(line: str) -> str:
    """The code of a line without its strings and its comment (a starter's comment is often Japanese)."""
    code = re.sub(r'"[^"]*"|\'[^\']*\'', "", line)
    return code.split("#", 1)[0]


def _syntax(err: SyntaxError) -> str:
    msg = err.msg or ""
    line = (err.text or "").rstrip("\n")
    outside = _outside_quotes(line)
    where = _where(err.lineno, line, err.offset)
    bad = re.search(r"invalid (?:non-printable )?character.*?U\+([0-9A-F]{4,})", msg)
    char = chr(int(bad.group(1), 16)) if bad else ""
    words = [w for w in re.findall(r"[^\s=:,()\[\]{}+*/\-\"'、，。“”＂「」‘’]+", outside) if JAPANESE.search(w)]
    if char and char in QUOTES:  # Japanese quotes: the word inside is fine, the quotes are what to change
        words = []
    if isinstance(err, IndentationError):
        if "expected an indented block" in msg:
            text = ("if、for、def などの行（: で終わる行）の次の行は、行の始めを半角スペース4つ分下げます（字下げ）。"
                    "Tab キーを1回押しても下がります。")
        elif "unexpected indent" in msg:
            text = "行の始めに、余分な空白があります。上の行と同じ位置から書き始めます。"
        else:
            text = "字下げの深さがそろっていません。同じまとまりの行は、同じ数の空白で始めます。"
        return text + where
    number = re.search(r"(?:^|(?<=[\s=:,(\[{+*/-]))\d+[ぁ-んァ-ヶー一-龠々〆〇]+", outside)  # 50代, 900円, 3回
    if number and not (char and char in QUOTES):
        shown = number.group(0) if number else ""
        return (f"数字のあとに日本語が続いています（{shown}）。ことばなら \" \" で囲みます（例: \"{shown}\"）。"
                "数なら、数字だけを書きます。") + where
    if words and ("unterminated" not in msg):
        word = words[0]
        text = f"ことば「{word}」が \" \" で囲まれていません。ことばは、半角の \" \" で囲みます（例: \"{word}\"）。"
        if char in CHARACTERS:
            text += f"なお、{CHARACTERS[char][0]}は \" \" の中なら使えます。"
        return text + where
    if char in CHARACTERS:
        name, todo = CHARACTERS[char]
        return f"{name}がまざっています。{todo}。日本語入力を切ってから打ち直すと、まちがえにくくなります。" + where
    if char and unicodedata.normalize("NFKC", char).isascii() and unicodedata.normalize("NFKC", char).strip():
        half = unicodedata.normalize("NFKC", char)
        kind = "数字" if half.isdigit() else "英字" if half.isalpha() else "記号"
        return (f"全角の{kind}「{char}」がまざっています。半角の「{half}」で打ち直します。"
                "日本語入力を切ってから打つと、半角になります。") + where
    if char:
        return f"プログラムに使えない文字「{char}」がまざっています。消して、半角で打ち直します。" + where
    if "unterminated" in msg or "EOL" in msg:
        if any(q in line for q in "“”＂"):
            return "日本語の引用符（“ ” や ＂）が使われています。文字は、半角の \" \" で囲みます。" + where
        return "文字の終わりの \" がありません。文字の最後に、半角の \" を足します。" + where
    if msg.startswith("f-string"):
        return ("f文字列の { } の中の書き方がまちがっています。{ } の中に \" を使うときは、外側を ' にするか、"
                "キーを ' ' で囲みます（例: {erabu['場面']}）。") + where
    if "cannot assign" in msg:
        return "= の左には、名前を書きます（例: kotae = 3）。くらべるなら == です。" + where
    if "'=='" in msg or "':='" in msg:
        return "くらべるときは、= ではなく == を使います（= は、名前に値を入れる記号です）。" + where
    if "expected ':'" in msg:
        return "行の終わりの :（半角のコロン）がありません。if、for、def、else の行の終わりには : をつけます。" + where
    if "never closed" in msg or "unmatched" in msg or "does not match" in msg:
        return ("かっこの数が合っていません。( )、[ ]、{ } は、開いたら同じ形で閉じます。"
                "閉じるかっこが足りないときは、この行か、上の行の終わりを見ます。") + where
    if "comma" in msg:
        return "コンマ（,）が足りないようです。リストや辞書の中身の間に、半角の , を入れます。" + where
    return ("書き方のまちがいがあります。この行か、1つ上の行を見ます。"
            "コンマ（,）の忘れ、かっこや \" の閉じ忘れが、よくあるまちがいです。") + where


def learner_frames(exc: BaseException) -> list[tuple[str, int, str]]:
    """(function, line number, line) of the learner's own code: not the package, not Python's or a library's.
    An error rebuilt by the grader's judge carries them as ``learner_frames``."""
    if hasattr(exc, "learner_frames"):
        return list(exc.learner_frames)
    package = __file__.rsplit("/", 1)[0]
    libraries = (sys.prefix, sys.base_prefix, sys.exec_prefix, package)
    return [(f.name, f.lineno, f.line or "") for f in traceback.extract_tb(exc.__traceback__)
            if not f.filename.startswith(libraries) and "site-packages" not in f.filename]


def _suggest(word: str, names) -> str:
    close = difflib.get_close_matches(word, [n for n in names if not n.startswith("_")], n=1, cutoff=0.75)
    return f"「{close[0]}」のつもりですか。" if close else ""


HIDDEN = {
    "NameError": "名前が見つかりません。つづりと、その名前を作るセルを確かめます。",
    "TypeError": "値の種類に合わない使い方をしています。",
    "KeyError": "辞書にないキーを使っています。キーの名前と、全角・半角を確かめます。",
    "IndexError": "リストの範囲の外の番号を使っています。番号は 0 から始まります。",
    "ZeroDivisionError": "0 で割り算をしています。",
    "ValueError": "値の形が合いません。",
    "AttributeError": "その値には、その機能がありません。",
    "RecursionError": "関数が自分自身を呼び続けて止まらなくなりました。",
    "TimeoutError": "時間切れです。決められた時間のうちに終わりませんでした（無限ループなど）。",
    "FileNotFoundError": "ファイルがありません。",
}


def _runtime(exc: BaseException, names) -> str:
    kind = type(exc).__name__
    text = str(exc)
    name = getattr(exc, "name", None)
    if kind == "NameError" and name and not str(name).isascii():
        return f"ことば「{name}」が \" \" で囲まれていません。ことばは、半角の \" \" で囲みます（例: \"{name}\"）。"
    if kind == "NameError" and name:
        return (f"名前 {name} が見つかりません。{_suggest(name, names)}"
                "つづり（大文字と小文字も）を確かめます。その名前を作るセルを、先に実行します。")
    if kind == "AttributeError" and name and getattr(exc, "obj", None) is not None:
        what = type(exc.obj).__name__
        return f"{what} には「{name}」という機能がありません。{_suggest(name, dir(exc.obj))}つづりを確かめます。"
    if kind == "TypeError":
        if "positional argument" in text:
            return (f"関数に渡す値の数が合いません（{text}）。def の行の ( ) の中と、呼ぶときの ( ) の中の数をそろえます。"
                    "key= のように関数を渡すときは、かっこをつけずに名前だけを書きます（例: key=score）。")
        if "string indices must be integers" in text:
            return "文字列に [\"キー\"] を使っています。辞書だと思っている値が、文字列になっていないかを確かめます。"
        if "concatenate str" in text or ("str" in text and ("int" in text or "float" in text)):
            return ("文字列と数をまぜて計算しています。数は \" \" で囲まずに書きます。"
                    "文字列とつなげるときは、str(数) で文字列にします。")
        if "not callable" in text:
            return ("( ) をつけて呼べないものを呼んでいます。関数ではない名前に ( ) をつけていないか、"
                    "関数と同じ名前の変数を作っていないかを確かめます。")
        if "'NoneType'" in text:
            return "何もない値（None）を使っています。関数が return で値を返しているかを確かめます。"
        if "not iterable" in text:
            return "for で1つずつ取り出せない値です。数の回数だけくり返すときは range(数) を使います。"
        if "unhashable" in text:
            return "リストや辞書は、辞書のキーや集合には入れられません。文字列や数をキーにします。"
        return f"値の種類に合わない使い方をしています（{text}）。"
    if kind == "KeyError":
        key = exc.args[0] if exc.args else ""
        hint = ""
        if isinstance(key, str) and (re.search(r"[（）()]", key) or key != unicodedata.normalize("NFKC", key)):
            hint = "かっこや数字の全角・半角が、データの見出しと同じかを確かめます（例: 料金（基本） と 料金(基本)）。"
        return f"キー「{key}」がありません。キーの名前と、全角・半角を確かめます。{hint}"
    if kind == "IndexError":
        return "リストや文字列の範囲の外の番号を使っています。番号は 0 から始まり、3つなら 0、1、2 です。"
    if kind == "ZeroDivisionError":
        return "0 で割り算をしています。わる数が 0 にならないかを確かめます（空のリストの len は 0 です）。"
    if kind == "ValueError" and "truth value" in text and "ambiguous" in text:
        return ("表（pandas）の条件を、and や or や if で使っています。条件を2つ組み合わせるときは、"
                "and ではなく &、or ではなく | を使い、1つずつ ( ) で囲みます（例: (df[\"区\"] == \"東\") & (df[\"数\"] > 3)）。")
    if kind == "ValueError" and "invalid literal for int()" in text:
        return "数にできない文字を int() に渡しています。数字だけの文字か、空白が入っていないかを確かめます。"
    if kind == "FileNotFoundError":
        return f"ファイル {getattr(exc, 'filename', '')} がありません。ファイルの名前と場所を確かめます。Path(名前).exists() で、先にあるかを確かめられます。"
    if kind == "JSONDecodeError":
        return "ファイルが壊れていて、JSON として読めません。try: と except json.JSONDecodeError: ではさみます。"
    if kind == "UnicodeDecodeError":
        return ("ファイルの文字コードが合いません。open や read_csv に encoding=\"utf-8\" をつけます。"
                "Excel で作った CSV なら encoding=\"utf-8-sig\" か encoding=\"cp932\" をためします。")
    if kind in ("ModuleNotFoundError", "ImportError"):
        return f"読み込むモジュールの名前がちがうか、入っていません（{text}）。つづりを確かめます。"
    if kind == "RecursionError":
        return "関数が自分自身を呼び続けて止まらなくなりました。"
    if kind == "KeyboardInterrupt":
        return "実行を止めました。止まらないときは、無限ループ（終わらないくり返し）になっていないかを確かめます。"
    if not text.isascii():
        return text  # already Japanese (the app toolkit, the store, the grader)
    if kind == "ValueError":
        return f"値の形が合いません（{text}）。"
    return f"エラー {kind} が起きました（{text}）。"


def explain(exc: BaseException, hidden: bool = False, names=()) -> str:
    """One or two Japanese sentences on an error: what happened, where to look, what to type instead.

    ``names``: the names the learner has (for "did you mean"). ``hidden``: the learner's code saw a hidden
    test's arguments, so nothing it made (the message, the name of its class, the place) appears.
    """
    if hidden:
        import builtins

        base = next(c.__name__ for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c)
        return HIDDEN.get(base, "エラーになりました。見えるテストのチェックを、先に ⭕ にします。")
    if isinstance(exc, SyntaxError):
        return _syntax(exc)
    where = ""
    frames = learner_frames(exc)
    if frames:
        func, lineno, line = frames[-1]
        place = f"関数 {func} の中、" if func not in ("<module>", "<cell line: 0>") else ""
        where = f"（{place}{lineno} 行目: {line.strip()}）" if line.strip() else ""
    return _runtime(exc, names) + where
