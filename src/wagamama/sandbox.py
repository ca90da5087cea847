"""Run a grading kernel in a sandbox: bubblewrap when it works here, resource limits always.

nbgrader starts one kernel per notebook. While ``wagamama autograde`` grades, it starts them through
this module (a kernelspec whose argv is ``python -m wagamama.sandbox {connection_file}``):

- a wall-clock limit for the whole notebook: when it passes, the kernel and everything it started are
  killed, nbgrader sees a dead kernel for that notebook only, and a status file says why;
- setrlimit: address space (memory), file size, no core dumps, and a process count;
- a cap on what the kernel prints (:mod:`wagamama.capped_output`);
- with bubblewrap (Debian package ``bubblewrap``): no network, a read-only file system, a private
  /tmp, the course folder, the exchange, the repository (exercises and solutions), ``$WAGAMAMA_HOME``
  and the instructor's home replaced by empty folders; only the submission's own build folder is
  writable, and the notebook files in it (the graded copy holds the hidden tests) read as empty.
  When the grader runs as root, the kernel runs as an unprivileged uid of its own (see
  KERNEL_UID_BASE) so that the process limit applies: the build folder is lent to that uid for the
  run and given back afterwards.

The policy comes from the environment variable ``WAGAMAMA_SANDBOX`` (JSON), set by the grader.
This module is the kernel's launcher: it must stay cheap to import (no ipykernel here).
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

POLICY_ENV = "WAGAMAMA_SANDBOX"
KERNEL_NAME = "wagamama-sandbox"
RUNTIME_PREFIX = "wagamama-kernels-"
# When the grader runs as root, each kernel runs as its own unprivileged uid (no passwd entry):
# base + the launcher's pid. RLIMIT_NPROC counts the tasks of a uid system-wide, so one kernel's
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
    """The launcher was asked to lend a folder it must not touch."""


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
    limits = (f"資源の制限（setrlimit: メモリ {policy.memory_mb} MB、プロセス {policy.processes}、"
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
        "argv": [sys.executable, "-m", "wagamama.sandbox", "{connection_file}"],
        "display_name": "Python 3 (wagamama sandbox)",
        "language": "python",
        "interrupt_mode": "signal",
    }, indent=1), encoding="utf-8")
    return data_dir


def new_runtime_dir() -> str:
    """A private folder for connection files and ipc sockets (the sandbox has no network, not even loopback).

    jupyter_client writes a kernel's connection file with ``tempfile.mkstemp``: the grading process
    points TMPDIR here, so that the launcher lends this folder, and only this one, to the kernel.
    """
    for stale in Path(tempfile.gettempdir()).glob(RUNTIME_PREFIX + "*-*"):  # left by a grader that was killed
        owner = stale.name.removeprefix(RUNTIME_PREFIX).split("-")[0]
        if owner.isdigit() and not Path(f"/proc/{owner}").exists():
            shutil.rmtree(stale, ignore_errors=True)
    path = tempfile.mkdtemp(prefix=f"{RUNTIME_PREFIX}{os.getpid()}-")
    os.environ["TMPDIR"] = os.environ["JUPYTER_RUNTIME_DIR"] = path
    tempfile.tempdir = None  # forget the cached answer of gettempdir()
    return path


# --- launcher -----------------------------------------------------------------------------------------

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


def command(policy: Policy, connection_file: Path, build: Path) -> tuple[list[str], bool]:
    """The kernel's command line, and whether it runs as a uid of its own."""
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection_file),
              "--HistoryManager.hist_file=:memory:",
              "--IPKernelApp.outstream_class=wagamama.capped_output.CappedOutStream"]
    if not (policy.bubblewrap and bubblewrap_works()):
        return kernel, False
    args = ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--tmpfs", "/tmp",
            "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--die-with-parent"]
    for path in sorted({os.path.realpath(p) for p in policy.hide if os.path.isdir(p)}, key=len):
        args += ["--tmpfs", path]
    python = {sys.prefix, sys.base_prefix, str(Path(__file__).resolve().parents[1])}
    for path in sorted({os.path.realpath(p) for p in python if os.path.exists(p)}, key=len):
        args += ["--ro-bind", path, path]
    for path in (connection_file.parent, build):
        args += ["--bind", str(path), str(path)]
    for notebook in sorted(build.glob("*.ipynb")):  # the graded copy holds the hidden tests
        args += ["--ro-bind", "/dev/null", str(notebook)]
    # JPY_PARENT_PID means nothing in the kernel's own pid namespace (ipykernel would think its parent
    # died); --die-with-parent does that job here.
    args += ["--chdir", str(build), "--setenv", "HOME", "/tmp", "--setenv", "TMPDIR", "/tmp",
             "--unsetenv", "JPY_PARENT_PID"]
    own_uid = os.getuid() == 0
    if own_uid:
        uid = kernel_uid()
        args += ["--", "setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
    return [*args, "--", *kernel], own_uid


def kernel_uid() -> int:
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


def _limits(policy: Policy, own_uid: bool) -> None:
    """Runs in the kernel's process before exec; the limits pass on through bwrap and setpriv."""
    os.setsid()  # its own process group: the launcher signals and sweeps exactly the kernel's processes
    ctypes.CDLL(None).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG: the kernel dies with its launcher
    mb = 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (policy.memory_mb * mb, policy.memory_mb * mb))
    resource.setrlimit(resource.RLIMIT_FSIZE, (policy.file_mb * mb, policy.file_mb * mb))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # RLIMIT_NPROC counts every task of the kernel's user: the kernel's own uid runs nothing else;
    # another user's limit leaves room for what that user runs already. Root is never limited by it.
    n = policy.processes + (0 if own_uid else _tasks_of(os.getuid()))
    resource.setrlimit(resource.RLIMIT_NPROC, (n, n))


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


def _report(connection_file: Path, reason: str, detail: str = "") -> None:
    """Leave why the kernel ended beside its connection file, for the grader to read."""
    status = connection_file.with_name(connection_file.stem + ".status.json")
    status.write_text(json.dumps({"reason": reason, "detail": detail}), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    connection_file = Path(argv[0]).resolve()
    policy = Policy.from_env()
    build = Path.cwd()
    cmd, own_uid = command(policy, connection_file, build)
    if own_uid:
        _lend(build, connection_file.parent, policy, kernel_uid())
    child = subprocess.Popen(cmd, preexec_fn=lambda: _limits(policy, own_uid))

    def sweep(signum: int) -> None:
        try:
            os.killpg(child.pid, signum)
        except ProcessLookupError:
            pass

    def interrupt(signum: int) -> None:  # only the kernel: bwrap would end the sandbox on SIGINT
        for pid in _kernels_under(child.pid):
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    # jupyter_client signals the launcher's process group: pass that on to the kernel.
    signal.signal(signal.SIGINT, lambda s, _frame: interrupt(s))
    signal.signal(signal.SIGTERM, lambda s, _frame: sweep(s))
    try:
        code = child.wait(timeout=policy.notebook_seconds)
        killed_by = -code if code < 0 else code - 128 if code > 128 and cmd[0] == "bwrap" else 0
        if killed_by and killed_by not in (signal.SIGTERM, signal.SIGKILL):  # how jupyter_client ends kernels
            _report(connection_file, "crashed", signal.Signals(killed_by).name)
        elif code > 0 and not killed_by:
            _report(connection_file, "exited", str(code))
        return code
    except subprocess.TimeoutExpired:
        _report(connection_file, "notebook_time", str(policy.notebook_seconds))
        return 124
    finally:
        sweep(signal.SIGKILL)  # whatever the kernel left running (a fork bomb's children)
        child.wait()
        if own_uid:
            _lend(build, connection_file.parent, policy, os.getuid())


if __name__ == "__main__":
    sys.exit(main())
