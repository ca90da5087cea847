"""Run each grading kernel in a sandbox: bubblewrap when it works here, resource limits always.

nbgrader starts one kernel per notebook. While ``wagamama autograde`` grades, kernels come from the
kernelspec written by :func:`write_kernelspec`, whose kernel provisioner (jupyter_client's plug-in for
starting kernels, registered in pyproject.toml) is :class:`SandboxProvisioner`. In the grading process
itself, before the kernel starts, it wraps the kernel's command line in:

- ``prlimit``: address space (memory), file size, no core dumps, a process count;
- with bubblewrap (Debian package ``bubblewrap``): no network, a read-only file system, a private
  /tmp, the course folder, the exchange, the repository (exercises and solutions), ``$WAGAMAMA_HOME``
  and the instructor's home replaced by empty folders; only the submission's own build folder is
  writable, and the notebook files in it (the graded copy holds the hidden tests) cannot be read.
  When the grader runs as root, the kernel runs as an unprivileged uid of its own (see
  KERNEL_UID_BASE) so that the process limit applies: the build folder is lent to that uid for the
  run and given back afterwards.

It also keeps a wall-clock limit for the whole notebook (a timer kills the kernel: nbgrader sees a
dead kernel for that notebook only), passes interrupts to the kernel itself, kills what the kernel
left running, and records why a kernel ended early (:func:`take_kernel_ends`). The kernel's output
is capped inside the kernel by :mod:`wagamama.grading.capped_output`. The policy comes from the environment
variable ``WAGAMAMA_SANDBOX`` (JSON), set by the grader.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
from dataclasses import asdict, dataclass, field
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

POLICY_ENV = "WAGAMAMA_SANDBOX"
KERNEL_NAME = PROVISIONER = "wagamama-sandbox"
RUNTIME_PREFIX = "wagamama-kernels-"
# When the grader runs as root, each kernel runs as its own unprivileged uid (no passwd entry):
# base + the grading process's pid (it runs one kernel at a time). RLIMIT_NPROC counts the tasks of a uid system-wide, so one kernel's
# fork bomb must not use up the count of a kernel graded beside it.
KERNEL_UID_BASE = 1_900_000_000


@dataclass
class Policy:
    cell_seconds: int = 30  # one cell (nbgrader's Execute.timeout)
    notebook_seconds: int = 120  # the whole notebook, from kernel start
    memory_mb: int = 2048  # address space of the kernel
    output_kb: int = 512  # what the kernel may print, per stream
    file_mb: int = 50  # the largest file it may write
    processes: int = 64  # processes and threads it may add
    bubblewrap: bool = True  # use it when it works here
    hide: list[str] = field(default_factory=list)  # folders replaced by empty ones
    build_root: str = ""  # the only tree whose folders the kernel may be lent (the cohort's autograded/)
    runtime_dir: str = ""  # the grading process's folder for connection files (see new_runtime_dir)

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Policy:
        return cls(**json.loads(os.environ.get(POLICY_ENV, "{}")))


class SandboxRefused(RuntimeError):
    """The sandbox was asked to lend a folder it must not touch."""


@functools.cache
def bubblewrap_works() -> bool:
    """True when bwrap is installed and may create namespaces here."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
                           capture_output=True, timeout=20)
    return probe.returncode == 0


def isolation(policy: Policy | None = None) -> str:
    """What isolation grading uses on this machine, in Japanese (for `wagamama doctor`)."""
    policy = policy or Policy()
    limits = (f"資源の制限（prlimit: メモリ {policy.memory_mb} MB、プロセス {policy.processes}、"
              f"ノート1冊 {policy.notebook_seconds} 秒、セル1つ {policy.cell_seconds} 秒、出力 {policy.output_kb} KB）")
    if policy.bubblewrap and bubblewrap_works():
        who = "、カーネルごとに別の権限のないユーザーで実行" if os.getuid() == 0 else ""
        return f"bubblewrap（ネットワークなし・読み取り専用・講座フォルダを隠す{who}）＋{limits}"
    if policy.bubblewrap:
        return f"{limits}のみ。bubblewrap を入れると、ファイルとネットワークも隔離します（sudo make system-deps）"
    return f"{limits}のみ（講座の設定で bubblewrap を切っています）"


def write_kernelspec(data_dir: Path) -> Path:
    """A kernelspec under ``data_dir/kernels`` that starts kernels here; put data_dir on JUPYTER_PATH."""
    spec = data_dir / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                 "--IPKernelApp.outstream_class=wagamama.grading.capped_output.CappedOutStream"],
        "display_name": "Python 3 (wagamama sandbox)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER}},
    }, indent=1), encoding="utf-8")
    return data_dir


def new_runtime_dir() -> str:
    """A private folder for connection files and ipc sockets (the sandbox has no network, not even loopback).

    jupyter_client writes a kernel's connection file with ``tempfile.mkstemp``: the grading process
    points TMPDIR here, so that the provisioner lends this folder, and only this one, to the kernel.
    """
    for stale in Path(tempfile.gettempdir()).glob(RUNTIME_PREFIX + "*-*"):  # left by a grader that was killed
        owner = stale.name.removeprefix(RUNTIME_PREFIX).split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    path = tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-")
    os.environ["TMPDIR"] = os.environ["JUPYTER_RUNTIME_DIR"] = path
    tempfile.tempdir = None  # forget the cached answer of gettempdir()
    return path


# --- the provisioner ------------------------------------------------------------------------------------

def _inside(path: Path, root: str) -> bool:
    return bool(root) and Path(root).resolve() in path.parents


def _lend(build: Path, runtime: Path, policy: Policy, uid: int) -> None:
    """Give the build folder (recursively) and the runtime folder (itself and what is in it) to uid.

    Refuses anything but a folder strictly inside the cohort's autograded/ and the runtime folder the
    policy names, made by :func:`new_runtime_dir`: this runs as root.
    """
    if build.is_symlink() or not _inside(build.resolve(), policy.build_root):
        raise SandboxRefused(f"not a build folder inside {policy.build_root!r}: {build}")
    if runtime.is_symlink() or not policy.runtime_dir or runtime != Path(policy.runtime_dir).resolve() \
            or not runtime.name.startswith(RUNTIME_PREFIX):
        raise SandboxRefused(f"not a wagamama runtime folder: {runtime}")
    os.lchown(runtime, uid, uid)
    for entry in runtime.iterdir():
        os.lchown(entry, uid, uid)
    os.lchown(build, uid, uid)
    for top, dirs, files in os.walk(build):
        for name in dirs + files:
            os.lchown(os.path.join(top, name), uid, uid)


def kernel_uid() -> int:
    """The uid of the kernel this grading process starts (it runs one at a time)."""
    return KERNEL_UID_BASE + os.getpid()


def _tasks_of(uid: int) -> int:
    """Processes and threads this user runs now (RLIMIT_NPROC counts both)."""
    count = 0
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                if os.stat(f"/proc/{pid}").st_uid == uid:
                    count += len(os.listdir(f"/proc/{pid}/task"))
            except OSError:
                continue
    return count


def command(policy: Policy, kernel: list[str], connection_file: Path, build: Path) -> tuple[list[str], bool]:
    """The kernel's command line wrapped in the sandbox, and whether it runs as a uid of its own."""
    own_uid = policy.bubblewrap and os.getuid() == 0
    # RLIMIT_NPROC counts every task of the kernel's user: the kernel's own uid runs nothing else;
    # another user's limit leaves room for what that user runs already. Root is never limited by it.
    processes = policy.processes + (0 if own_uid else _tasks_of(os.getuid()))
    mb = 1024 * 1024
    limits = ["prlimit", f"--as={policy.memory_mb * mb}", f"--fsize={policy.file_mb * mb}", "--core=0",
              f"--nproc={processes}", "--"]
    if not policy.bubblewrap:  # the grader decided whether bubblewrap works here (bubblewrap_works)
        return [*limits, *kernel], False
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    for path in sorted({os.path.realpath(p) for p in policy.hide if os.path.isdir(p)}, key=len):
        args += ["--tmpfs", path]
    python = {sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[1])}
    for path in sorted({os.path.realpath(p) for p in python if os.path.exists(p)}, key=len):
        args += ["--ro-bind", path, path]
    # The folders above the two bound ones, inside /tmp or a hidden folder, exist only as empty ones:
    # make them traversable, so that learner code looking for ../other.json finds nothing (instead of a
    # PermissionError), as on a learner's own machine.
    empty_roots = [Path("/tmp"), *(Path(os.path.realpath(p)) for p in policy.hide)]
    parents = {a for path in (connection_file.parent, build) for a in path.parents
               if any(root in a.parents for root in empty_roots)}
    for parent in sorted(parents, key=lambda a: len(a.parts)):
        args += ["--perms", "0755", "--dir", str(parent)]
    for path in (connection_file.parent, build):
        args += ["--bind", str(path), str(path)]
    for notebook in sorted(build.glob("*.ipynb")):  # the graded copy holds the hidden tests
        args += ["--ro-bind", "/dev/null", str(notebook)]
    # JPY_PARENT_PID means nothing in the kernel's own pid namespace (ipykernel would think its parent
    # died); --die-with-parent does that job here.
    args += ["--chdir", str(build), "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
             "--unsetenv", "JPY_PARENT_PID"]
    if own_uid:
        uid = kernel_uid()
        args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return [*limits, *args, "--", *kernel], own_uid


def _kernels_under(root: int) -> list[int]:
    """The kernel processes among the descendants of root (bwrap's own command line names it too)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            if Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[1:3] == [b"-m", b"ipykernel_launcher"]:
                found.append(pid)
                continue
        except OSError:
            continue
        todo += children.get(pid, [])
    return found


_ends: list[tuple[str, str]] = []


def take_kernel_ends() -> list[tuple[str, str]]:
    """(reason, detail) of kernels that ended early since the last call: notebook_time, crashed, exited."""
    taken = list(_ends)
    _ends.clear()
    return taken


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, with the kernel's command wrapped by :func:`command`."""

    _policy: Policy | None = None
    _build: Path | None = None
    _own_uid = False
    _timer: threading.Timer | None = None
    _ended = False

    async def pre_launch(self, **kwargs):
        kwargs = await super().pre_launch(**kwargs)
        self._policy = Policy.from_env()
        self._build = Path(kwargs.get("cwd") or os.getcwd()).resolve()
        connection_file = Path(self.parent.connection_file).resolve()
        kwargs["cmd"], self._own_uid = command(self._policy, kwargs["cmd"], connection_file, self._build)
        if self._own_uid:
            _lend(self._build, connection_file.parent, self._policy, kernel_uid())
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        info = await super().launch_kernel(cmd, **kwargs)
        self._timer = threading.Timer(self._policy.notebook_seconds, self._time_up)
        self._timer.daemon = True
        self._timer.start()
        return info

    def _time_up(self) -> None:
        self._end("notebook_time", str(self._policy.notebook_seconds))
        self._kill_all()

    def _end(self, reason: str, detail: str) -> None:
        if not self._ended:
            self._ended = True
            _ends.append((reason, detail))

    def _kill_all(self) -> None:
        try:
            os.killpg(self.pgid, signal.SIGKILL)  # the kernel, all it started; bwrap takes its namespace down
        except (OSError, TypeError):
            pass

    async def poll(self):
        code = await super().poll()
        if code:  # ended by itself; jupyter_client ends kernels with SIGTERM or SIGKILL
            signum = -code if code < 0 else code - 128 if code > 128 and self._policy.bubblewrap else 0
            if signum and signum not in (signal.SIGTERM, signal.SIGKILL):
                self._end("crashed", signal.Signals(signum).name)
            elif not signum:
                self._end("exited", str(code))
        return code

    async def send_signal(self, signum: int) -> None:
        if signum == signal.SIGINT and self._policy.bubblewrap and self.pid:  # bwrap would end the sandbox
            for pid in _kernels_under(self.pid):
                try:
                    os.kill(pid, signum)
                except ProcessLookupError:
                    pass
            return
        await super().send_signal(signum)

    async def cleanup(self, restart: bool = False) -> None:
        if self._timer:
            self._timer.cancel()
        self._kill_all()  # whatever the kernel left running (a fork bomb's children)
        if self._own_uid:
            _lend(self._build, Path(self._policy.runtime_dir).resolve(), self._policy, os.getuid())
        await super().cleanup(restart)
