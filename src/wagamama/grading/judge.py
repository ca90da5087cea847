"""The judge: test cells run here, in the grading process, and the verdict is decided here.

nbgrader's ``Execute`` sends every code cell to the kernel. :class:`JudgedExecute` (a subclass,
selected by the cohort's ``nbgrader_config.py``) sends only the learner's cells and the locked set-up
cells. A test cell (an autograded cell with no answer in it) never reaches the kernel: :class:`Judge`
runs its code in this process, with ``wagamama.check`` and the names the test cells define. Every
other name the test reads is the learner's, and only data comes back for it (see
:mod:`wagamama.grading.agent`): the value of a variable, or a :class:`Remote` handle whose calls run
in the kernel and return data. The outputs the judge writes into the cell (the ⭕ lines, or the error
with the Japanese message) are what nbgrader grades, exactly as if the cell had run in the kernel.

So learner code can change what its own answers are, and nothing else: not the helpers, not the
expected values (they never leave this process), not how a result is recorded. The same class also
caps every kind of output of the learner's cells here, outside the kernel, and ignores widget and
display-update messages, with which a kernel could otherwise reach other cells' outputs.
"""

from __future__ import annotations

import ast
import base64
import builtins
import contextlib
import io
import json
import math
import os
import time
import uuid

import zmq
from jupyter_client.session import Session
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader import utils as nbutils
from nbgrader.preprocessors import Execute
from traitlets import Bool

from .. import check

AGENT = "__import__('wagamama.grading.agent').grading.agent.answer({!r})"
MAX_REPLY = 16 * 1024 * 1024  # one reply from the kernel, in bytes (larger ones are dropped by ZeroMQ)
MAX_ITEMS = 100_000  # values in one reply
GRACE = 5  # seconds a kernel has to answer after an interrupt
MAX_PRINTED = 16 * 1024  # what the learner's code may print during one test cell (characters)


class KernelTimeout(TimeoutError):
    """The learner's code did not finish in time (a test called a function that never returns)."""


class KernelGone(Exception):
    """The learner's kernel stopped answering: it died or ignores interrupts."""


class BadReply(Exception):
    """The kernel answered with something that is not data."""


def is_test_cell(cell) -> bool:
    return cell.cell_type == "code" and nbutils.is_grade(cell) and not nbutils.is_solution(cell)


def read_names(source: str) -> set[str]:
    """Every name the code reads (loads), anywhere in it."""
    return {n.id for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


# --- talking to the kernel ------------------------------------------------------------------------------

class KernelLink:
    """A private shell channel to the learner's kernel: requests out, execute replies back (nothing else)."""

    def __init__(self, info: dict, interrupt, alive):
        self._interrupt, self._alive = interrupt, alive
        self._context = zmq.Context()
        self._socket = self._context.socket(zmq.DEALER)
        self._socket.setsockopt(zmq.MAXMSGSIZE, MAX_REPLY)
        self._socket.setsockopt(zmq.LINGER, 0)
        address = info["ip"]
        self._socket.connect(f"ipc://{address}-{info['shell_port']}" if info["transport"] == "ipc"
                             else f"tcp://{address}:{info['shell_port']}")
        key = info["key"]
        self._session = Session(key=key if isinstance(key, bytes) else key.encode(),
                                signature_scheme=info.get("signature_scheme", "hmac-sha256"), username="judge")

    def close(self) -> None:
        self._socket.close(linger=0)
        self._context.term()

    def ask(self, request: dict, timeout: float) -> dict:
        """Send one request to the agent; its reply as data. Raises KernelTimeout or KernelGone."""
        msg = self._session.msg("execute_request", {
            "code": "", "silent": True, "store_history": False, "allow_stdin": False, "stop_on_error": False,
            "user_expressions": {"r": AGENT.format(json.dumps(request, ensure_ascii=False))}})
        self._session.send(self._socket, msg)
        reply = self._wait(msg["header"]["msg_id"], timeout)
        if reply is None:
            self._interrupt()
            if self._wait(msg["header"]["msg_id"], GRACE) is None:
                raise KernelGone("no reply after an interrupt")
            raise KernelTimeout(f"時間切れです。{timeout:.0f} 秒たっても終わりませんでした（無限ループなど）。")
        expression = reply["content"].get("user_expressions", {}).get("r", {})
        if expression.get("status") != "ok":  # the kernel could not even run the agent: its Python is broken
            return {"error": {"type": str(expression.get("ename") or "KernelError"), "base": "Exception",
                              "message": str(expression.get("evalue") or reply["content"].get("evalue", ""))[:2000],
                              "args": {"$t": []}, "frames": []}}
        data = expression.get("data", {}).get("application/json")
        if not isinstance(data, dict):
            raise BadReply("the kernel's reply is not data")
        return data

    def _wait(self, msg_id: str, timeout: float) -> dict | None:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            if not self._socket.poll(int(min(left, 1.0) * 1000)):
                if not self._alive():
                    raise KernelGone("the kernel died")
                continue
            frames = self._socket.recv_multipart()
            try:
                _, parts = self._session.feed_identities(frames)
                msg = self._session.deserialize(parts)
            except Exception:
                continue  # not a message of this session: ignore it
            if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "execute_reply":
                return msg
        return None


# --- the learner's values in the judge ------------------------------------------------------------------

_classes: dict[tuple[str, type], type] = {}


def _named(name: str, base: type) -> type:
    """A class with the learner's type name (so messages and type checks read naturally)."""
    name = name if name.isidentifier() else "LearnerValue"
    key = (name, base)
    if key not in _classes:
        _classes[key] = type(name, (base,), {"__module__": "learner"})
    return _classes[key]


class Remote:
    """A value that stays in the learner's kernel: attributes, items and ``with`` are asked for there."""

    __slots__ = ("_Remote__judge", "_Remote__number", "_Remote__repr", "_Remote__name")

    def __init__(self, judge: Judge, number: int, text: str, name: str):
        object.__setattr__(self, "_Remote__judge", judge)
        object.__setattr__(self, "_Remote__number", number)
        object.__setattr__(self, "_Remote__repr", text)
        object.__setattr__(self, "_Remote__name", name)

    def __getattr__(self, attr: str):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return self.__judge.ask({"op": "getattr", "h": self.__number, "attr": attr})

    def __setattr__(self, attr: str, value) -> None:
        self.__judge.ask({"op": "setattr", "h": self.__number, "attr": attr, "args": [self.__judge.encode(value)]})

    def __getitem__(self, key):
        return self.__judge.ask({"op": "getitem", "h": self.__number, "args": [self.__judge.encode(key)]})

    def __enter__(self):
        return self.__judge.ask({"op": "enter", "h": self.__number})

    def __exit__(self, *exc) -> bool:
        self.__judge.ask({"op": "exit", "h": self.__number})
        return False  # learner code never swallows the judge's verdict

    def __repr__(self) -> str:
        return self.__repr

    @property
    def __name__(self) -> str:  # noqa: PLW3201 (what check.expect_call shows for a function)
        return self.__name or type(self).__name__

    @property
    def handle(self) -> int:
        return self.__number


class RemoteFunction(Remote):
    __slots__ = ()

    def __call__(self, *args, **kwargs):
        judge = self._Remote__judge
        return judge.ask({"op": "call", "h": self._Remote__number, "args": [judge.encode(a) for a in args],
                          "kwargs": judge.encode(kwargs)})


def rebuild_error(facts: dict, decode) -> Exception:
    """The learner's exception, rebuilt from data: the same type name, message and attributes."""
    base = getattr(builtins, str(facts.get("base")), None)
    if not (isinstance(base, type) and issubclass(base, Exception)):
        base = Exception  # SystemExit, KeyboardInterrupt…: never raise those in the grader
    name = str(facts.get("type") or "Error")
    cls = base if name == base.__name__ else _named(name, base)
    try:
        args = decode(facts.get("args"))
        exc = cls(*args) if isinstance(args, tuple) else cls(str(facts.get("message", "")))
    except Exception:
        exc = cls(str(facts.get("message", "")))
    for attr in ("name", "filename"):
        if isinstance(facts.get(attr), str):
            with contextlib.suppress(AttributeError, TypeError):
                setattr(exc, attr, facts[attr])
    frames = facts.get("frames")
    exc.learner_frames = [tuple(f) for f in frames if isinstance(f, list) and len(f) == 3] if isinstance(frames, list) else []
    return exc


class Judge:
    """Runs a notebook's test cells, one after another, against one learner's kernel."""

    def __init__(self, link: KernelLink, timeout: float, assignment_folder=None):
        self.link, self.timeout, self.assignment_folder = link, timeout, assignment_folder
        self.namespace: dict = {"__name__": "__judge__", "__builtins__": builtins}
        self.namespace.update({name: getattr(check, name) for name in check.__all__})
        self.kernel_view = _KernelView(self)
        self._remotes: dict[int, Remote] = {}
        self.last_cell_failed = False
        self.printed = 0

    # values between the two processes
    def encode(self, value):
        if isinstance(value, Remote):
            return {"$h": value.handle}
        t = type(value)
        if value is None or t in (bool, int, str):
            return value
        if t is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if t is list:
            return [self.encode(v) for v in value]
        if t is tuple:
            return {"$t": [self.encode(v) for v in value]}
        if t is dict:
            return {"$d": [[self.encode(k), self.encode(v)] for k, v in value.items()]}
        if t in (set, frozenset):
            return {"$s": [self.encode(v) for v in value]}
        if t is bytes:
            return {"$b": base64.b64encode(value).decode("ascii")}
        if value is Ellipsis:
            return {"$e": 1}
        raise TypeError(f"テストから受講者のコードに渡せるのはデータだけです（{t.__name__} は渡せません）。")

    def decode(self, data, _count=None):
        count = _count if _count is not None else [MAX_ITEMS]
        count[0] -= 1
        if count[0] < 0:
            raise BadReply("too many values")
        t = type(data)
        if data is None or t in (bool, int, float, str):
            return data
        if t is list:
            return [self.decode(v, count) for v in data]
        if t is not dict or len(data) == 0:
            raise BadReply(f"not data: {t.__name__}")
        if "$h" in data:
            return self._remote(data)
        if "$t" in data and isinstance(data["$t"], list):
            return tuple(self.decode(v, count) for v in data["$t"])
        if "$d" in data and isinstance(data["$d"], list):
            return {self.decode(k, count): self.decode(v, count) for k, v in data["$d"]}
        if "$s" in data and isinstance(data["$s"], list):
            return {self.decode(v, count) for v in data["$s"]}
        if "$f" in data and data["$f"] in ("nan", "inf", "-inf"):
            return float(data["$f"])
        if "$e" in data:
            return Ellipsis
        if "$b" in data and isinstance(data["$b"], str):
            return base64.b64decode(data["$b"])
        raise BadReply("unknown data")

    def _remote(self, data: dict) -> Remote:
        number = data["$h"]
        if not isinstance(number, int):
            raise BadReply("bad handle")
        if number not in self._remotes:
            base = RemoteFunction if data.get("callable") is True else Remote
            cls = _named(str(data.get("type", "")), base)
            self._remotes[number] = cls(self, number, str(data.get("repr", ""))[:300], str(data.get("name", ""))[:100])
        return self._remotes[number]

    def ask(self, request: dict):
        """One request to the agent: the value it returns; what the learner's code printed goes to our stdout."""
        reply = self.link.ask(request, self.timeout)
        out = reply.get("out")
        if isinstance(out, str) and out and self.printed < MAX_PRINTED:  # what the learner's code printed
            out = out[: MAX_PRINTED - self.printed]
            self.printed += len(out)
            print(out, end="" if out.endswith("\n") else "\n")
        if reply.get("interrupted"):
            raise KernelTimeout(f"時間切れです。{self.timeout:.0f} 秒たっても終わりませんでした（無限ループなど）。")
        if isinstance(reply.get("error"), dict):
            raise rebuild_error(reply["error"], self.decode)
        return self._decoded(reply.get("value"))

    def _decoded(self, data):
        try:
            return self.decode(data)
        except (TypeError, ValueError, KeyError, RecursionError) as exc:
            raise BadReply(str(exc)) from None

    def names(self, names: list[str]) -> dict:
        """The learner's values of these names (names the kernel does not have are left out)."""
        reply = self.link.ask({"op": "names", "names": names}, self.timeout)
        values = reply.get("values")
        if not isinstance(values, dict):
            raise BadReply("no values")
        return {n: self._decoded(v) for n, v in values.items() if n in names and v != {"$missing": 1}}

    def state(self, name: str) -> dict:
        reply = self.link.ask({"op": "state", "name": name}, self.timeout)
        if not isinstance(reply.get("defined"), bool):
            raise BadReply("no state")
        return reply

    # the test cells
    def run(self, source: str, grade_id: str) -> list:
        """Run one test cell here; return the outputs nbgrader grades (a stream of ⭕ lines, maybe an error)."""
        code = compile(source, f"<チェック {grade_id}>", "exec")
        self.printed = 0
        wanted = sorted(n for n in read_names(source) if n not in self.namespace and not hasattr(builtins, n))
        printed = io.StringIO()
        error: BaseException | None = None
        lent: dict[str, object] = {}
        with contextlib.redirect_stdout(printed), check.kernel_view(self.kernel_view):
            try:
                check.before_check(self.kernel_view.ran_with_error())  # as in the learner's own kernel
                lent = self.names(wanted) if wanted else {}
                self.namespace.update(lent)
                exec(code, self.namespace)  # noqa: S102 (the instructor's test code, trusted)
            except (KernelGone, BadReply):
                raise
            except Exception as exc:
                error = exc
        for name, value in lent.items():  # the learner's values are read again by the next test
            if self.namespace.get(name) is value:
                del self.namespace[name]
        outputs = []
        if printed.getvalue():
            outputs.append(new_output("stream", name="stdout", text=printed.getvalue()))
        if error is not None:
            outputs.append(error_output(error))
        return outputs


class _KernelView:
    """What ``wagamama.check`` asks about the learner's kernel (answer_cell, learner_file), answered by the agent."""

    records_progress = False

    def __init__(self, judge: Judge):
        self.judge = judge

    def ran_with_error(self) -> BaseException | None:
        if not self.judge.last_cell_failed:
            return None
        facts = self.judge.state("").get("last_error")
        return rebuild_error(facts, self.judge.decode) if isinstance(facts, dict) else Exception("error")

    def defined(self, name: str) -> bool:
        return self.judge.state(name)["defined"]

    def names(self) -> list[str]:
        return []  # "did you mean" needs the learner's names: not worth a request while grading

    def value(self, name: str):
        return self.judge.names([name]).get(name)

    def file(self, action: str, path: str, text: str | None = None):
        return self.judge.ask({"op": "file", "action": action, "path": path, "text": text})

    def assignment_folder(self):
        return self.judge.assignment_folder

    def swap(self, name: str, value=None, template: str | None = None):
        request = {"op": "swap", "name": name, "args": [self.judge.encode(value)]}
        if template is not None:
            request["template"] = template
        return self.judge.ask(request)

    def restore(self, token) -> None:
        self.judge.ask({"op": "restore", "args": [self.judge.encode(token)]})


def error_output(exc: BaseException):
    """The error output a test cell gets: the check's Japanese message, as in the learner's own kernel."""
    feedback = check.check_failure(exc)
    return new_output("error", ename=type(feedback).__name__, evalue=str(feedback)[:2000],
                      traceback=str(feedback).splitlines())


# --- nbgrader's Execute, with the judge ------------------------------------------------------------------

class JudgedExecute(Execute):
    """nbgrader's Execute preprocessor: test cells judged here, learner cells in the (sandboxed) kernel."""

    sandbox = Bool(True, help="Run learner code in the sandbox (False: an ordinary kernel, trusted notebooks only)."
                   ).tag(config=True)

    def preprocess(self, nb, resources=None, km=None):
        from .sandbox import Policy

        self._judge: Judge | None = None
        self._last_failed = False
        self._capped = False
        cohort, self._folder = _course_folders(resources)
        policy = Policy.of_cohort(cohort) if cohort is not None else Policy()
        self.timeout = policy.cell_seconds
        self._left = policy.output_kb * 1024
        try:
            return super().preprocess(nb, resources, km)
        finally:
            if self._judge is not None:
                self._judge.link.close()

    def create_kernel_manager(self):
        if not self.sandbox:
            return super().create_kernel_manager()
        from . import sandbox

        self.kernel_name = sandbox.KERNEL_NAME
        runtime = sandbox.prepare_process()
        km = super().create_kernel_manager()
        # The sandbox has no network, not even loopback: the kernel's sockets are files in a folder of its own.
        km.transport = "ipc"
        km.ip = os.path.join(runtime, "sockets", "kernel")
        km.connection_file = os.path.join(runtime, f"kernel-{uuid.uuid4().hex}.json")
        return km

    def _sync(self, coroutine_function):
        from jupyter_core.utils import run_sync

        return run_sync(coroutine_function)()

    def preprocess_cell(self, cell, resources, index):
        if not is_test_cell(cell):
            cell, resources = super().preprocess_cell(cell, resources, index)
            if cell.cell_type == "code" and cell.source.strip():
                self._last_failed = any(o.output_type == "error" for o in cell.outputs)
            return cell, resources
        if self._judge is None:
            link = KernelLink(self.km.get_connection_info(), interrupt=lambda: self._sync(self.km.interrupt_kernel),
                              alive=lambda: self._sync(self.km.is_alive))
            self._judge = Judge(link, float(self.timeout or 30), self._folder)
        self._judge.last_cell_failed = self._last_failed
        try:
            cell.outputs = self._judge.run(cell.source, cell.metadata.nbgrader.get("grade_id", ""))
        except KernelGone:
            if not self._sync(self.km.is_alive):
                raise DeadKernelError("Kernel died") from None
            raise CellTimeoutError.error_from_timeout_and_cell("Kernel stopped answering", self.timeout, cell) from None
        except BadReply:
            cell.outputs = [new_output("error", ename="BadReply", evalue="",
                                       traceback=["❌ 受講者のカーネルの答えが、データではありませんでした。"])]
        cell.execution_count = None
        return cell, resources

    def on_cell_executed(self, **kwargs):
        """nbgrader adds the execute reply's error to the cell: shortened here, like every other output."""
        content = kwargs["execute_reply"]["content"]
        if content.get("status") == "error":
            content["ename"] = str(content.get("ename", ""))[:100]
            content["evalue"] = str(content.get("evalue", ""))[:2000]
            content["traceback"] = [str(line)[:2000] for line in (content.get("traceback") or [])[:40]]
        return super().on_cell_executed(**kwargs)

    # outputs of the learner's cells, capped here (the kernel cannot lift a cap kept by the grader)
    def output(self, outs, msg, display_id, cell_index):
        size = len(json.dumps(msg.get("content", {}), ensure_ascii=False).encode("utf-8"))
        if self._left - size < 0:
            if not self._capped:
                self._capped = True
                outs.append(new_output("stream", name="stdout", text=CAPPED))
            return None
        self._left -= size
        return super().output(outs, msg, None, cell_index)

    def _update_display_id(self, display_id, msg):
        return None  # a kernel may not rewrite outputs it made earlier (in another cell)

    def handle_comm_msg(self, outs, msg, cell_index):
        return None  # widgets are not needed to grade, and their messages could capture other outputs


CAPPED = "\n…（出力が多すぎるため、ここから先は省略しました）\n"


def _course_folders(resources):
    """(the course folder, the assignment's folder in its source/) of the notebook being graded, when it is one."""
    from pathlib import Path

    info = (resources or {}).get("nbgrader", {})
    build = Path((resources or {}).get("metadata", {}).get("path") or ".").resolve()
    course = build.parents[2] if len(build.parents) > 2 else build
    if not (course / "cohort.json").is_file():
        return None, None
    folder = course / "source" / str(info.get("assignment", ""))
    return course, folder if info.get("assignment") and folder.is_dir() else None
