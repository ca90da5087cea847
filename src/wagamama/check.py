"""Self-checks for learners: short Japanese feedback, AssertionError on failure.

Visible test cells of the exercises call these functions. nbgrader scores the cell (an error
means no points); a learner without nbgrader gets the same feedback. Three outcomes:

- 正解: prints a short message.
- まだ解答が書かれていません (``NotAttempted``): the starter is untouched — ``None``, ``...``,
  an empty list, or ``NotImplementedError`` from the starter code.
- ちがいます (``Incorrect``): says what is wrong in plain Japanese, and a hint when there is one.
  With ``hidden=True`` the expected value is never shown.
"""

from __future__ import annotations

import contextlib
import math
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from pathlib import Path

from .explain import explain as _explain

__all__ = ["NotAttempted", "Incorrect", "expect", "expect_call", "expect_records", "expect_texts", "expect_statement",
           "expect_hmw", "expect_own", "answered", "answer_cell", "explain", "normalize", "type_name", "learner_file",
           "assignment_file", "expect_design", "expect_click", "learner_value", "learner_function",
           "run_check", "before_check", "check_failure"]


class _LocalKernel:
    """The learner's own kernel, where self-checks run: what answer_cell and learner_file look at.

    While a submission is graded, the judge (wagamama.grading.judge) puts its own view here: the same
    questions, answered by the learner's kernel as data.
    """

    records_progress = True

    @staticmethod
    def _shell():
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        return get_ipython()

    def ran_with_error(self) -> BaseException | None:
        """The error of the last cell run before this check that is not itself a check, if it ended in one
        (wagamama.japanese_errors keeps it; without the extension, the last cell run)."""
        from . import japanese_errors

        if japanese_errors.loaded():
            return japanese_errors.answer_error()
        shell = self._shell()
        if shell is None or getattr(shell, "last_execution_succeeded", True):
            return None
        return getattr(sys, "last_value", None)

    def names(self) -> list[str]:
        shell = self._shell()
        return list(shell.user_ns) if shell is not None else []

    def defined(self, name: str) -> bool:
        shell = self._shell()
        return shell is None or name in shell.user_ns

    def value(self, name: str):
        shell = self._shell()
        return shell.user_ns.get(name) if shell is not None else None

    def file(self, action: str, path: str, text: str | None = None):
        p = Path(path)
        if action == "exists":
            return p.exists()
        if action == "read_text":
            return p.read_text(encoding="utf-8")
        if action == "read_bytes":
            return p.read_bytes()
        if action == "write_text":
            p.write_text(text, encoding="utf-8")
            return None
        if action == "unlink":
            return p.unlink(missing_ok=True)
        raise ValueError(action)

    def assignment_folder(self) -> Path | None:
        return None  # the notebook's own folder: paths stay relative

    def swap(self, name: str, value=None, template: str | None = None):
        """Give the learner's variable another value (or a function answering with ``template``) for a while."""
        ns = self._shell().user_ns
        before = ns.get(name, _NOTHING)
        ns[name] = (lambda *args: template.format(*args)) if template is not None else value
        return name, before

    def restore(self, token) -> None:
        name, before = token
        ns = self._shell().user_ns
        if before is _NOTHING:
            ns.pop(name, None)
        else:
            ns[name] = before


_NOTHING = object()


_kernel = _LocalKernel()


@contextlib.contextmanager
def kernel_view(view):
    """While grading: the judge's view of the learner's kernel replaces the local one."""
    global _kernel
    before, _kernel = _kernel, view
    try:
        yield view
    finally:
        _kernel = before


class LearnerFile:
    """A file in the learner's folder, such as one her function wrote. While grading, her kernel reads and
    writes it for the test (the grader itself never opens what learner code touched)."""

    def __init__(self, path):
        self.path = str(path)

    def __str__(self) -> str:
        return self.path

    def __repr__(self) -> str:
        return f"learner_file({self.path!r})"

    def exists(self) -> bool:
        return _kernel.file("exists", self.path) is True

    def read_text(self, encoding: str = "utf-8") -> str:
        return self.read_bytes().decode(encoding)

    def read_bytes(self) -> bytes:
        if not self.exists():
            raise Incorrect(_with_context(f"❌ ファイル {self.path} がありません。関数が、まだファイルに書きこんでいません。\n"
                                          "💡 ヒント: with open(path, \"w\", encoding=\"utf-8\") as f: の形で書きこみます。"))
        return _kernel.file("read_bytes", self.path)

    def write_text(self, text: str) -> None:
        _kernel.file("write_text", self.path, text)

    def unlink(self) -> None:
        _kernel.file("unlink", self.path)


def learner_file(path) -> LearnerFile:
    """A file in the learner's folder, for tests (see LearnerFile)."""
    return LearnerFile(path)


@contextlib.contextmanager
def learner_value(name: str, value):
    """While the block runs, the learner's variable ``name`` holds ``value`` (data); then hers comes back."""
    token = _kernel.swap(name, value=value)
    try:
        yield
    finally:
        _kernel.restore(token)


@contextlib.contextmanager
def learner_function(name: str, answer: str):
    """While the block runs, the learner's function ``name`` is a stand-in that returns ``answer.format(*args)``,
    so that a part that calls it is checked on its own (``"gomi_no_hi({!r}) の答え"``)."""
    token = _kernel.swap(name, template=answer)
    try:
        yield
    finally:
        _kernel.restore(token)


def assignment_file(path) -> str:
    """A data file of the assignment (``data/…``): the learner's copy in a self-check, the course's own
    copy while grading (learner code cannot change what a test compares with)."""
    folder = _kernel.assignment_folder()
    return str(folder / path) if folder is not None else str(path)


class Feedback(AssertionError):
    """A check's verdict. IPython shows only the Japanese message, not a traceback into check.py
    (``_render_traceback_`` is IPython's hook for that); nbgrader still sees an error, so the cell
    scores no points."""

    progress_state = ""

    def __init__(self, *args):
        super().__init__(*args)
        if _kernel.records_progress:
            from . import progress  # self-study copies record each check's outcome (see progress.py)

            progress.failed(self.progress_state)

    def _render_traceback_(self) -> list[str]:
        return str(self).splitlines()


class NotAttempted(Feedback):
    """The starter code is untouched: nothing to grade yet."""

    progress_state = "not attempted"


class Incorrect(Feedback):
    """An answer is there, and it is not right yet."""

    progress_state = "tried"


TYPE_NAMES = {bool: "真偽値（True / False）", int: "数値", float: "数値", str: "文字列", list: "リスト", tuple: "タプル",
              dict: "辞書", set: "集合", type(None): "何もない値（None）"}


def type_name(value) -> str:
    for t, name in TYPE_NAMES.items():
        if type(value) is t:
            return name
    return type(value).__name__


def _typed(value) -> str:
    """A value written as the learner writes it: strings in " " (a full-width space stays a full-width space,
    never \\u3000), lists and dicts with them; other values as Python shows them."""
    if isinstance(value, str):
        inner = "".join(c if c.isprintable() or c == "\u3000" else repr(c)[1:-1] for c in value)
        return '"' + inner.replace('"', '\\"') + '"'
    if isinstance(value, (list, tuple)):
        items = ", ".join(_typed(v) for v in value)
        return f"[{items}]" if isinstance(value, list) else f"({items}{',' if len(value) == 1 else ''})"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_typed(k)}: {_typed(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (bool, int, float)) or value is None or value is Ellipsis:
        return repr(value)
    if type(value).__name__ in ("DataFrame", "Series"):
        return f"表（pandas の {type(value).__name__}、{len(value)} 行）"
    return repr(value)


def _show(value, width: int = 60) -> str:
    text = _typed(value)
    if "\u3000" in text:
        text += "（全角スペースが入っています）"
    return text if len(text) <= width else text[:width - 1] + "…"


def _argument(value) -> str:
    """An argument in a check's name: short values as typed, long ones by what they are (5件のリスト)."""
    text = _typed(value)
    if len(text) <= 30:
        return text
    if isinstance(value, (list, tuple)):
        return f"{len(value)}件のリスト"
    return f"{type_name(value)}" if type_name(value) != type(value).__name__ else _show(value, 30)


def normalize(value):
    """Strings are NFKC-normalised and stripped (全角→半角, 前後の空白なし); containers recursively."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    if isinstance(value, (list, tuple)):
        return type(value)(normalize(v) for v in value)
    if isinstance(value, dict):
        return {normalize(k): normalize(v) for k, v in value.items()}
    return value


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def _equal(a, b, tol: float) -> bool:
    if _is_number(a) and _is_number(b):
        return math.isclose(a, b, rel_tol=tol, abs_tol=tol)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_equal(x, y, tol) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_equal(a[k], b[k], tol) for k in a)
    return type(a) is type(b) and a == b


def _ok(name: str) -> None:
    print(f"⭕ 正解です: {name}")


ABOVE_FAILED = ("⚠️ すぐ上のセルがエラーで止まっています。先にそのエラーを直し、上のセルをもう一度実行してから、"
                "このチェックを実行します。")


def _above_failed() -> bool:
    """True when the cell run just before this check ended in an error (in Jupyter); a check's own verdict
    shown in that cell (a lesson's demo of a check) is not an error of the answer."""
    err = _kernel.ran_with_error()
    return err is not None and not isinstance(err, Feedback)


def _with_context(text: str) -> str:
    return f"{ABOVE_FAILED}\n{text}" if _above_failed() else text


def _fail(name: str, what: str, hint: str | None) -> Incorrect:
    text = f"❌ {name}: {what}"
    if hint:
        text += f"\n💡 ヒント: {hint}"
    return Incorrect(_with_context(text))


def _is_starter(value) -> bool:
    return value is None or value is Ellipsis or (isinstance(value, (str, list, dict, tuple)) and len(value) == 0)


def answered(value, name: str = "答え") -> None:
    """Raise NotAttempted when ``value`` is still a starter (None, ..., empty)."""
    __tracebackhide__ = True
    if _is_starter(value):
        raise NotAttempted(_with_context(f"✏️ まだ解答が書かれていません: {name}。答えを書いてから、もう一度このセルを実行します。"))


def _type_problem(actual, expected, hidden: bool = False) -> str | None:
    """What kind of value is wrong. ``hidden``: nothing the learner's code made (its value, the name of its
    class) appears in the message, since her code saw the hidden test's arguments."""
    show = (lambda v: "") if hidden else (lambda v: " " + _show(v))
    kind = (lambda v: TYPE_NAMES.get(type(v), "別の種類の値")) if hidden else type_name
    if _is_number(expected) and isinstance(actual, str):
        digits = unicodedata.normalize("NFKC", actual).strip()
        extra = ""
        if digits != actual.strip():
            extra = "全角の数字になっていませんか。"
        return f"数値が必要ですが、文字列{show(actual)} が入っています。{extra}引用符（' や \"）で囲むと文字列になります。"
    if _is_number(expected) and _is_number(actual):
        return None
    if type(actual).__name__ in ("Series", "DataFrame") and type(expected).__name__ not in ("Series", "DataFrame") \
            and not hidden:
        return (f"{type_name(expected)}が必要ですが、表（pandas の {type(actual).__name__}）のままです。"
                "列のうしろに .tolist() をつけるとリスト、.iloc[0] をつけると上から1つ目の値、"
                "value_counts() のあとに .to_dict() をつけると辞書になります。")
    if type(expected) is not type(actual) and not (isinstance(expected, (list, tuple)) and isinstance(actual, (list, tuple))):
        return f"{type_name(expected)}が必要ですが、{kind(actual)}{show(actual)} が入っています。"
    return None


def _mistake(actual, expected) -> str | None:
    """Hints for the mistakes beginners make most, found by comparing with the right answer."""
    if _is_number(actual) and _is_number(expected) and abs(actual - expected) == 1:
        return "答えが 1 だけずれています。数え始め（0 から？1 から？）や、範囲の端を確かめましょう。"
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)) and len(actual) == len(expected) > 1:
        if _equal(list(actual), list(reversed(expected)), 1e-9):
            return "並び順が逆です。大きい順にするときは reverse=True を使います。"
        try:
            if sorted(map(repr, actual)) == sorted(map(repr, expected)):
                return "中身は合っていますが、並び順がちがいます。"
        except TypeError:
            pass
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)) and abs(len(actual) - len(expected)) == 1:
        return "要素の数が 1 つずれています。範囲の端（[:3] なら 0, 1, 2 番目）を確かめましょう。"
    return None


def expect(actual, expected, name: str = "答え", *, hint: str | None = None, hidden: bool = False,
           mistakes=None, tol: float = 1e-9, returned: bool = False) -> None:
    """Compare an answer with the expected value after normalising strings (NFKC, spaces).

    ``mistakes``: known wrong answers and the hint each deserves, as a dict or (value, hint) pairs.
    ``returned``: the value came back from the learner's function, so an empty one is an answer too.
    """
    __tracebackhide__ = True
    if not returned and _is_starter(actual) and actual != expected:  # empty is right only where expected
        answered(actual, name)
    a, e = normalize(actual), normalize(expected)
    if _equal(a, e, tol):
        _ok(name)
        return
    problem = _type_problem(actual, expected, hidden)
    pairs = mistakes.items() if isinstance(mistakes, Mapping) else (mistakes or ())
    for wrong, why in pairs:
        if _equal(a, normalize(wrong), tol):
            hint = why
            break
    else:
        hint = hint or _mistake(a, e)
    if problem:
        raise _fail(name, problem, hint)
    if isinstance(expected, bool) and isinstance(actual, bool):  # a yes/no check: the hint says what to do
        raise _fail(name, "いいえ。" if name.rstrip("？?。").endswith("か") else "まだ、できていません。", hint)
    what = "答えがちがいます。" if hidden else f"答えがちがいます。正しい答え: {_show(expected)}、あなたの答え: {_show(actual)}。"
    if hidden:
        what += "（見えないテスト用の別のデータで確かめました）"
    raise _fail(name, what, hint)


def explain(exc: BaseException, hidden: bool = False) -> str:
    """Python's error in Japanese (see wagamama.explain); the learner's names help with typos."""
    return _explain(exc, hidden, names=_kernel.names())


CHECK_CELL = re.compile(r"^\s*# チェック(?:\s*$|[:：（(])")  # 「# チェック: …」, not 「# チェックの道具…」


def before_check(err: BaseException | None) -> None:
    """The answer cell just before this check ended in an error: say why, in Japanese, and check nothing,
    so that a value left over from an earlier run is never graded."""
    if err is None or isinstance(err, Feedback):
        return
    if isinstance(err, NotImplementedError):
        raise NotAttempted("✏️ まだ解答が書かれていません。答えのセルに raise NotImplementedError の行が残っています。"
                           "その行を消して、答えを書いてから、答えのセルとこのセルを実行します。")
    raise Incorrect(f"❌ 答えのセルがエラーで止まっています。{explain(err)}\n"
                    "💡 ヒント: 直したら、答えのセルを実行してから、このチェックのセルを実行します。")


def check_failure(exc: BaseException) -> Feedback:
    """What a check cell that stopped with an error (not a verdict) tells the learner, in Japanese."""
    if isinstance(exc, Feedback):
        return exc
    if isinstance(exc, NameError) and getattr(exc, "name", None) and str(exc.name).isascii():
        return NotAttempted(f"✏️ まだ答えができていません: {exc.name} がありません。答えのセルで {exc.name} を作り、"
                            "上のセルから順に実行してから、このチェックのセルを実行します。")
    if isinstance(exc, NotImplementedError):
        return NotAttempted("✏️ まだ解答が書かれていません。raise NotImplementedError の行を消して、答えを書きます。")
    return Incorrect(f"❌ チェックの途中でエラーになりました。{explain(exc)}")


def run_check(source: str, namespace: dict) -> None:
    """A check cell in the learner's kernel (wagamama.japanese_errors rewrites ``# チェック`` cells to this):
    whatever state her answer cell is in, what she reads is Japanese and says what to do."""
    __tracebackhide__ = True
    before_check(_kernel.ran_with_error())
    for name in __all__:  # the check helpers, as the judge gives them, even when an earlier import cell failed
        namespace.setdefault(name, globals()[name])
    try:
        exec(compile(source, "<チェック>", "exec"), namespace)  # noqa: S102 (the check cell itself)
    except Exception as exc:
        raise check_failure(exc) from None


def answer_cell(name: str, variable: str, hint: str | None = None) -> None:
    """Before checking ``variable``: did the answer cell run? Explains its error in Japanese, says "not
    attempted" while the starter's NotImplementedError is there, and never grades a value left over from an
    earlier run when the cell now has a syntax error."""
    __tracebackhide__ = True
    err = _kernel.ran_with_error()
    if isinstance(err, AssertionError):  # a check's own verdict, not the answer cell's error
        err = None
    tip = f"\n💡 ヒント: {hint}" if hint else "\n💡 ヒント: 直したら、答えのセルを実行してから、このチェックのセルを実行します。"
    if isinstance(err, SyntaxError) or (err is not None and not isinstance(err, NotImplementedError)):
        raise Incorrect(f"❌ {name}: 答えのセルがエラーで止まっています。{explain(err)}{tip}")
    if isinstance(err, NotImplementedError) and _kernel.value(variable) is None:
        raise NotAttempted(f"✏️ まだ解答が書かれていません: {name}。答えのセルの raise NotImplementedError の行を全部消して、"
                           "答えを書きます。")
    if not _kernel.defined(variable):
        raise NotAttempted(f"✏️ まだ解答が書かれていません: {name}。{variable} がまだありません。"
                           f"{variable} = … の形で書き、答えのセルを実行してから、このチェックのセルを実行します。")


def expect_call(func: Callable, *args, expected, name: str | None = None, hint: str | None = None,
                hidden: bool = False, mistakes=None, tol: float = 1e-9) -> None:
    """Call the learner's function and compare what it returns."""
    __tracebackhide__ = True
    fname = getattr(func, "__name__", "関数")
    name = name or (f"{fname}(…)" if hidden else f"{fname}({', '.join(map(_argument, args))})")
    if not callable(func):
        raise _fail(name, f"{fname} が関数になっていません（{type_name(func)} です）。def で関数を作ります。", None)
    try:
        actual = func(*args)
    except NotImplementedError:
        raise NotAttempted(_with_context(
            f"✏️ まだ解答が書かれていません: {fname}。raise NotImplementedError の行を消して、答えを書きます。")) from None
    except Exception as exc:
        raise _fail(name, "関数の中でエラーが起きました。" + explain(exc, hidden), hint) from None
    if actual is None and expected is not None:
        raise _fail(name, "関数が何も返していません（None）。", "return を忘れていませんか。print は画面に出すだけで、値は返しません。")
    expect(actual, expected, name, hint=hint, hidden=hidden, mistakes=mistakes, tol=tol, returned=True)


def expect_records(records, fields: Mapping[str, object], name: str = "記録", *, min_count: int = 1,
                   distinct: tuple[str, int] | None = None, count_hint: str | None = None,
                   distinct_hint: str | None = None) -> None:
    """Check the form of a list of dicts, such as diary entries: counts, required fields, value ranges.

    ``fields`` maps each required key to ``str`` (a non-empty string) or ``(int, low, high)``.
    ``distinct=("日付", 3)`` asks for at least 3 different values of 日付. ``count_hint`` and
    ``distinct_hint`` say what to do when there are too few records or too few different values.
    Judgement is left to people.
    """
    __tracebackhide__ = True
    answered(records, name)
    if not isinstance(records, (list, tuple)):
        raise _fail(name, f"リストが必要ですが、{type_name(records)} が入っています。[ ] で囲みます。", None)
    problems = []
    for i, rec in enumerate(records, 1):
        if not isinstance(rec, dict):
            problems.append(f"{i}件目が辞書ではありません（{type_name(rec)}）。{{ }} で囲みます。")
            continue
        typed = {normalize(k): v for k, v in rec.items()}  # as the learner typed the values
        rec = normalize(rec)
        for key, rule in fields.items():
            if key not in rec:
                problems.append(f"{i}件目に「{key}」がありません。")
                continue
            value = rec[key]
            if rule is str:
                if not isinstance(value, str) or not value:
                    problems.append(f"{i}件目の「{key}」に文字を書きます（いまは {_show(value)}）。")
            else:
                _, low, high = rule
                if isinstance(value, str) and value.isdigit():
                    wide = "全角の数字になっています。" if typed[key] != value else ""
                    problems.append(f"{i}件目の「{key}」が文字列 {_show(typed[key])} です。{wide}数値は引用符で囲まずに、半角で書きます。")
                elif not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
                    problems.append(f"{i}件目の「{key}」は {low}〜{high} の整数で書きます（いまは {_show(value)}）。")
    if problems:
        shown = problems[:5] + ([f"ほかに {len(problems) - 5} か所あります。"] if len(problems) > 5 else [])
        raise _fail(name, "形が整っていないところがあります。\n  " + "\n  ".join(shown), None)
    if len(records) < min_count:
        raise _fail(name, f"{min_count} 件以上必要ですが、いまは {len(records)} 件です。",
                    count_hint or f"あと {min_count - len(records)} 件、書き足します。")
    if distinct:
        key, count = distinct
        values = {normalize(r.get(key)) for r in records}
        if len(values) < count:
            raise _fail(name, f"「{key}」が {count} 種類以上必要ですが、いまは {len(values)} 種類です。",
                        distinct_hint or f"「{key}」がほかとちがうものを足します。")
    _ok(f"{name}（{len(records)} 件）")


def _text(value, name: str) -> str:
    """The learner's sentence, normalised; a clear message when it is not a string."""
    answered(value, name)
    if not isinstance(value, str):
        raise _fail(name, f"文字列が必要ですが、{type_name(value)} {_show(value)} が入っています。文は \" \" で囲みます。", None)
    text = normalize(value)
    if "〇" in text or "○" in text:
        raise _fail(name, "「〇〇」が残っています。", "〇〇 のところを、あなたの言葉に書きかえます。")
    return text


def _leaves(value) -> list[str]:
    if isinstance(value, str):
        return [normalize(value)]
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [leaf for v in value for leaf in _leaves(v)]
    return []


def expect_own(value, *examples: str, name: str = "答え", what: str = "あなたのこと") -> None:
    """Refuse a worked example copied as it is: a sentence of ``value`` (a string, or one inside a list or a
    dict) that is one of the ``examples`` (sentences of the example shown above the answer cell)."""
    __tracebackhide__ = True
    shown = {normalize(e) for e in examples}
    copied = [leaf for leaf in _leaves(value) if leaf in shown]
    if copied:
        raise _fail(name, f"見本の文を、そのまま写しています（{_show(copied[0], 40)}）。",
                    f"見本は書き方の例です。{what}を、自分の言葉で書きます。")


def expect_texts(values, name: str = "答え", *, count: int, min_length: int = 4) -> None:
    """A list of ``count`` different sentences (such as the five answers to なぜ？)."""
    __tracebackhide__ = True
    answered(values, name)
    if not isinstance(values, (list, tuple)):
        raise _fail(name, f"リストが必要ですが、{type_name(values)} が入っています。[ ] で囲み、文をコンマで区切ります。", None)
    problems = [f"{i}つ目が文字列ではありません（{_show(v)}）。\" \" で囲みます。"
                for i, v in enumerate(values, 1) if not isinstance(v, str)]
    problems += [f"{i}つ目が短すぎます（{_show(v)}）。" for i, v in enumerate(values, 1)
                 if isinstance(v, str) and len(normalize(v)) < min_length]
    if problems:
        raise _fail(name, "\n  ".join(problems), None)
    if len(values) != count:
        fewer = ("数えたら足りているときは、コンマ（,）が抜けて、2つの文がくっついていないか確かめます。"
                 if len(values) < count else f"{count} 個にしぼります。")
        raise _fail(name, f"{count} 個必要ですが、いまは {len(values)} 個です。", fewer)
    seen = [normalize(v) for v in values]
    twice = sorted({v for v in seen if seen.count(v) > 1})
    if twice:
        raise _fail(name, f"同じ文が2回以上あります（{_show(twice[0])}）。", "前の答えを写さずに、一歩おくの理由を書きます。")
    _ok(f"{name}（{count} 個）")


# 「いつ」 ends in a word of time: 「習い事の迎えのときに、」「資源ごみの日の朝に、」「迎えのとき、」.
STATEMENT = re.compile(r"(?P<dare>.+?)は、(?P<itsu>.+?)(?:のときに|ときに|とき|に)、(?P<nani>.+?)で困って(?:いる|います)。?")


def expect_statement(value, name: str = "問題文") -> None:
    """「〇〇な人は、〇〇のときに、〇〇で困っている」: three parts, in this order, each written in."""
    __tracebackhide__ = True
    text = _text(value, name)
    if STATEMENT.fullmatch(text):
        _ok(name)
        return
    if "困って" not in text:
        hint = "文の終わりを「〇〇で困っている。」にします。"
    elif "は、" not in text:
        hint = "最初に「だれ」を書き、「は、」で区切ります（例: 共働きの親は、）。"
    elif not re.search(r"(?:とき|に)、", text):
        hint = "「いつ」を「〇〇のときに、」の形で入れます（例: 習い事の迎えのときに、資源ごみの日の朝に、）。"
    else:
        hint = "「〇〇な人は、〇〇のときに、〇〇で困っている。」の順に、読点（、）で区切ります。"
    raise _fail(name, "「だれは、いつのときに、なにで困っている」の形になっていません。", hint)


SOLUTION_WORDS = ("アプリ", "システム", "サイト", "ホームページ", "LINE", "ライン", "AI", "ロボット", "ソフト")


def expect_hmw(value, name: str = "問い") -> None:
    """「どうすれば〜できるか」: starts with どうすれば, asks (か), and names no solution yet."""
    __tracebackhide__ = True
    text = _text(value, name)
    if not text.startswith("どうすれば"):
        raise _fail(name, "「どうすれば」で始まっていません。", "「どうすれば〜できるか」と、問いの形にします。")
    if not re.search(r"か[。？?]?$", text):
        raise _fail(name, "問いの形で終わっていません。", "文の終わりを「〜できるか。」にします。")
    named = [w for w in SOLUTION_WORDS if w.casefold() in text.casefold()]
    if named:
        raise _fail(name, f"解決策（{named[0]}）が入っています。",
                    "ここでは、まだ解決策の名前は入れません。だれが、何をできるようになればよいかを書きます。")
    _ok(name)


def expect_design(sekkei, name: str = "設計"):
    """An app design (a dict, as in module 5) that has components and nothing to fix; returns the App.

    The design is data: while grading, the judge builds the app from it in the grading process.
    """
    __tracebackhide__ = True
    from .app import DesignError, load_design

    answered(sekkei, name)
    if isinstance(sekkei, dict) and isinstance(sekkei.get("screens"), list):
        components = [c for s in sekkei["screens"] if isinstance(s, dict) and isinstance(s.get("components"), list)
                      for c in s["components"]]
        answered(components, name + " の部品")
    try:
        app = load_design(sekkei)
        problems = app.problems()
    except DesignError as e:
        problems = e.problems
    if problems:
        raise Incorrect(_with_context(
            f"❌ {name}: 直すところが {len(problems)} か所あります。\n" + "\n".join("  ・" + m for m in problems)
            + "\n💡 ヒント: ・ の行を上から1つずつ読んで直します。1つ直したら、答えのセルとこのセルを、もう一度実行します。"))
    print(f"⭕ {name}: 設計に直すところはありません。")
    return app


def expect_click(button, label, handler: str, before: str = "（まだ変わっていません）"):
    """Press ``button`` as a finger would (headless) and return ``label.Text`` afterwards.

    Says in Japanese when the button is not connected to the learner's current function ``handler`` (not
    connected, or an older version of it still connected), when that function is still the starter, or
    when pressing the button ends in an error. ``label.Text`` is ``before`` until the handler changes it.
    """
    __tracebackhide__ = True
    answer_cell(handler, handler)
    connected = button.handlers.get("Click")
    if connected is None or connected is not _kernel.value(handler):
        raise Incorrect(f"❌ {handler}: いまの {handler} が、{button.name} とつながっていません。\n"
                        f"💡 ヒント: def {handler}(): の行のすぐ上に @{button.name}.on_click と書いて、"
                        "そのセルをもう一度実行します。")
    with button.app.running():
        label.Text = before
    try:
        button.click()
    except NotImplementedError:
        raise NotAttempted(f"✏️ まだ解答が書かれていません: {handler}。raise NotImplementedError の行を消して、答えを書きます。") from None
    except Exception as e:
        if isinstance(e, NameError) and str(getattr(e, "name", "")).isascii() and getattr(e, "name", None):
            why = (f"名前 {e.name} が見つかりません。タグのような文字なら、\"{e.name}\" と半角の \" \" で囲みます。"
                   "部品の名前なら、つづりを確かめます。")
        else:
            why = explain(e)
        hint = ""
        if "Component" in str(e):
            hint = ("\n💡 ヒント: 部品そのものではなく、中身を使います。"
                    "TextBox1.Text や ListView1.Selection のように、.Text や .Selection をつけて取り出します。")
        raise Incorrect(f"❌ {handler}: {button.name} を押すと、エラーになります。{why}{hint}") from None
    return label.Text
