"""The judge's hands inside the learner's kernel: answers its requests with data, never with verdicts.

While a notebook is graded, test cells are not sent to the learner's kernel. The judge
(:mod:`wagamama.grading.judge`, in the grading process) runs them and asks the kernel, through this
module, for what a test reads: the values of names, the results of calling learner functions with
the test's arguments, attributes of the app toolkit's objects, files in the learner's folder. Every
reply is plain data (see :func:`encode`); anything else travels as a numbered handle that the judge
can only pass back here.

Nothing here is trusted: learner code runs in the same interpreter and may replace this module. It
can only change what the replies say, which is what a wrong answer does anyway. Expected values and
hidden tests never come here; a request carries only a test's arguments.

A request is one JSON text, evaluated by IPython as a user expression::

    __import__("wagamama.grading.agent").grading.agent.answer('{"op": "names", "names": ["score"]}')

and the reply comes back in the execute reply as ``application/json`` (the expression's value has
``_repr_json_``), so no output of the learner's cell is ever mistaken for it.
"""

from __future__ import annotations

import base64
import builtins
import contextlib
import io
import json
import math
import sys
import traceback
from pathlib import Path

MAX_ITEMS = 20_000  # containers longer than this, or nested deeper than MAX_DEPTH, travel as handles
MAX_DEPTH = 40
MAX_TEXT = 64 * 1024  # captured output of one call
MAX_BYTES = 1024 * 1024

_handles: dict[int, object] = {}
_swapped: list[tuple[str, object]] = []  # (name, value before) of learner variables a test replaced
_numbers: dict[int, int] = {}  # id(object) → handle number (the handle keeps the object alive)


class _TooBig(Exception):
    pass


def handle(obj) -> dict:
    number = _numbers.get(id(obj))
    if number is None or _handles.get(number) is not obj:
        number = len(_handles) + 1
        _handles[number] = obj
        _numbers[id(obj)] = number
    try:
        text = repr(obj)
    except Exception:
        text = f"<{type(obj).__name__}>"
    return {"$h": number, "type": type(obj).__name__, "repr": text[:300], "callable": callable(obj),
            "name": str(getattr(obj, "__name__", ""))[:100]}


def _plain(value, depth: int, budget: list[int]):
    budget[0] -= 1
    if budget[0] < 0 or depth > MAX_DEPTH:
        raise _TooBig
    t = type(value)
    if t is str and len(value) > MAX_BYTES:
        raise _TooBig  # travels as a handle: larger than any answer, and than a reply may be
    if value is None or t is bool or t is int or t is str:
        return value
    if t is float:
        return value if math.isfinite(value) else {"$f": repr(value)}
    if t is list:
        return [_plain(v, depth + 1, budget) for v in value]
    if t is tuple:
        return {"$t": [_plain(v, depth + 1, budget) for v in value]}
    if t is dict:
        return {"$d": [[_plain(k, depth + 1, budget), _plain(v, depth + 1, budget)] for k, v in value.items()]}
    if t is set or t is frozenset:
        return {"$s": [_plain(v, depth + 1, budget) for v in value]}
    if t is bytes:
        if len(value) > MAX_BYTES:
            raise _TooBig
        return {"$b": base64.b64encode(value).decode("ascii")}
    if value is Ellipsis:
        return {"$e": 1}
    if t.__module__ == "numpy" and getattr(value, "ndim", None) == 0:  # a NumPy or pandas scalar: its Python value
        return _plain(value.item(), depth, budget)
    raise _TooBig


def encode(value):
    """Plain data as JSON-able data (tagged where JSON has no such type); anything else as a handle."""
    try:
        return _plain(value, 0, [MAX_ITEMS])
    except _TooBig:
        return handle(value)


def decode(data):
    """The judge's arguments: plain data, and handles given out earlier."""
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    if "$h" in data:
        return _handles[data["$h"]]
    if "$t" in data:
        return tuple(decode(v) for v in data["$t"])
    if "$d" in data:
        return {decode(k): decode(v) for k, v in data["$d"]}
    if "$s" in data:
        return {decode(v) for v in data["$s"]}
    if "$f" in data:
        return float(data["$f"])
    if "$e" in data:
        return Ellipsis
    if "$b" in data:
        return base64.b64decode(data["$b"])
    raise ValueError(f"unknown data {data!r}")


def _learner_frames(exc: BaseException) -> list[list]:
    frames = traceback.extract_tb(exc.__traceback__)
    libraries = (sys.prefix, sys.base_prefix, sys.exec_prefix)
    return [[f.name, f.lineno, (f.line or "").strip()] for f in frames
            if f.filename != __file__ and not f.filename.startswith(libraries) and "site-packages" not in f.filename][-5:]


def error_facts(exc: BaseException) -> dict:
    """What the judge needs to explain an exception in Japanese, as data."""
    base = next(c for c in type(exc).__mro__ if getattr(builtins, c.__name__, None) is c)
    facts = {"type": type(exc).__name__, "base": base.__name__, "message": str(exc)[:2000],
             "args": encode(exc.args), "frames": _learner_frames(exc)}
    for attr in ("name", "filename"):
        value = getattr(exc, attr, None)
        if isinstance(value, str):
            facts[attr] = value[:500]
    return facts


def _shell():
    from IPython import get_ipython

    return get_ipython()


def _capture(fn):
    """Run fn, keeping what it prints (up to MAX_TEXT) with the reply."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        try:
            result = {"value": encode(fn())}
        except KeyboardInterrupt:
            result = {"interrupted": True}
        except BaseException as exc:  # SystemExit included: the learner's function is what failed
            result = {"error": error_facts(exc)}
    text = out.getvalue()
    if text:
        result["out"] = text[:MAX_TEXT]
    return result


def _in_folder(path: str) -> Path:
    p = Path(path)
    if p.is_absolute() or ".." in p.parts:
        raise ValueError("only files in the learner's folder")
    return p


def _file(action: str, path: str, text: str | None):
    p = _in_folder(path)
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
        p.unlink(missing_ok=True)
        return None
    raise ValueError(action)


def _serve(request: dict) -> dict:
    op = request["op"]
    if op == "names":
        ns = _shell().user_ns
        return {"values": {n: encode(ns[n]) if n in ns else {"$missing": 1} for n in request["names"]}}
    if op == "state":  # for answer_cell: is the name there, and the last error (the judge knows which cell failed)
        err = getattr(sys, "last_value", None)
        return {"defined": request["name"] in _shell().user_ns,
                "last_error": error_facts(err) if isinstance(err, BaseException) else None}
    target = _handles[request["h"]] if "h" in request else None
    args = decode(request.get("args", []))
    kwargs = decode(request.get("kwargs", {"$d": []}))
    if op == "call":
        return _capture(lambda: target(*args, **kwargs))
    if op == "getattr":
        return _capture(lambda: getattr(target, request["attr"]))
    if op == "setattr":
        return _capture(lambda: setattr(target, request["attr"], args[0]))
    if op == "getitem":
        return _capture(lambda: target[args[0]])
    if op == "enter":
        return _capture(lambda: target.__enter__())
    if op == "exit":
        return _capture(lambda: target.__exit__(None, None, None))
    if op == "swap":  # a learner variable replaced for a while: by data, or by a function answering a template
        ns, name, template = _shell().user_ns, request["name"], request.get("template")
        _swapped.append((name, ns.get(name, _swapped)))
        ns[name] = (lambda *a: template.format(*a)) if isinstance(template, str) else args[0]
        return {"value": len(_swapped) - 1}
    if op == "restore":
        name, before = _swapped[args[0]]
        if before is _swapped:
            _shell().user_ns.pop(name, None)
        else:
            _shell().user_ns[name] = before
        return {"value": None}
    if op == "file":
        return _capture(lambda: _file(request["action"], request["path"], request.get("text")))
    raise ValueError(f"unknown request {op!r}")


class Reply:
    """The value of the judge's user expression: IPython sends ``_repr_json_`` as application/json."""

    def __init__(self, data: dict):
        self.data = data

    def _repr_json_(self):
        return self.data

    def __repr__(self) -> str:
        return "<wagamama reply>"


def answer(request: str) -> Reply:
    try:
        return Reply(_serve(json.loads(request)))
    except Exception as exc:  # a request the learner's kernel could not serve: its state is broken
        return Reply({"error": error_facts(exc)})

