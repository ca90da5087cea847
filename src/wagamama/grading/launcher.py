"""The launcher: starts one grading kernel in the sandbox and cleans up after it (root on a server).

``python -m wagamama.grading.launcher launch BUILD CONNECTION_FILE`` is what the provisioner
(:mod:`wagamama.grading.sandbox`) runs for every notebook: directly when the grader is root, through
``sudo`` when it is a cohort's grader account on a hub (a sudoers rule allows exactly this command),
as the grader itself on a laptop. It trusts none of its arguments: the build folder must be a
submission being graded in a cohort, the connection file must be in the grader's private folder, both
belonging to the grader that asked, and the kernel's command line is its own. Then it:

- makes a control group for the kernel (:mod:`wagamama.grading.cgroups`);
- as root, mounts a new tmpfs (size and number of files limited) in a mount namespace of its own, so
  that it vanishes with the launcher; otherwise bubblewrap makes one of limited size;
- runs prlimit → bubblewrap → (as root) setpriv to the kernel's own uid → a copy of the submission's
  files (not its notebooks) into that folder → the kernel;
- passes interrupts to the kernel, ends everything when asked (SIGTERM) or when the grader dies, and
  removes the control group and the kernel's socket folder. The grader is the process its private folder
  is named for (pid and start time): the launcher checks every second that it runs, since a parent-death
  signal alone misses a grader that died while the launcher was starting, or one behind sudo.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, fields
from pathlib import Path

RUNTIME_PREFIX = "wagamama-kernels-"
# As root, each kernel runs as its own unprivileged uid (no passwd entry): base + the launcher's pid.
# RLIMIT_NPROC counts the tasks of a uid system-wide, so one kernel's fork bomb cannot use up another's.
KERNEL_UID_BASE = 1_900_000_000
SUBMISSION_FILES = "/tmp/.submission"  # where the kernel sees the submission's files (read-only) to copy
ENVIRONMENT = {"LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "HOME": "/tmp", "TMPDIR": "/tmp", "MPLBACKEND": "Agg",
               "PYTHONDONTWRITEBYTECODE": "1", "MPLCONFIGDIR": "/tmp/.matplotlib",
               "WAGAMAMA_GRADING": "1"}  # no learner-side extension: nbgrader records Python's own output
ACCOUNT_FILES = ["/etc/passwd", "/etc/group", "/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/sudoers.d",
                 "/etc/subuid", "/etc/subgid", "/etc/ssh"]
SANDBOX_FAILED = 125  # the launcher's exit code when it refused or could not start the kernel


@dataclass
class Policy:
    """A cohort's limits (cohort.json "sandbox"); the defaults suit the course's notebooks."""

    cell_seconds: int = 30  # one cell (nbgrader's Execute.timeout)
    notebook_seconds: int = 120  # the whole notebook, from kernel start
    memory_mb: int = 2048  # the whole submission (cgroup) and each process (address space)
    output_kb: int = 512  # what the learner's cells may output, per notebook (kept by the grader)
    file_mb: int = 50  # the largest file the kernel may write
    disk_mb: int = 100  # its whole folder
    files: int = 5000  # files and folders it may make (when the grader is root)
    processes: int = 64  # processes and threads of the whole submission
    bubblewrap: bool = True  # False only when the instructor says so: no file and network isolation
    separate_user: bool = False  # on a hub: refuse to grade as the grader's own account

    @classmethod
    def of_cohort(cls, cohort_dir: Path) -> Policy:
        meta = json.loads((cohort_dir / "cohort.json").read_text(encoding="utf-8"))
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in (meta.get("sandbox") or {}).items() if k in known})


class SandboxRefused(RuntimeError):
    """The launcher was asked to run something it must not."""


def started(pid: int | str) -> str | None:
    """The start time of a live process (field 22 of /proc/PID/stat); None when it has ended (a zombie too)."""
    try:
        state, *rest = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return None if state == "Z" else rest[18]
    except (OSError, IndexError):
        return None


def runtime_prefix() -> str:
    """The name of this grading process's private folder begins with its pid and start time."""
    return f"{RUNTIME_PREFIX}{os.getpid()}-{started(os.getpid())}-"


def grader_runs(folder: Path) -> bool:
    """Whether the grading process a private folder is named for still runs (a pid may have been reused)."""
    owner = folder.name.removeprefix(RUNTIME_PREFIX).split("-")
    return len(owner) > 2 and owner[0].isdigit() and started(owner[0]) == owner[1]


def _invoker() -> int:
    """The uid that asked for this kernel: the grader (through sudo, SUDO_UID)."""
    sudo_uid = os.environ.get("SUDO_UID")
    return int(sudo_uid) if os.geteuid() == 0 and sudo_uid and sudo_uid.isdigit() else os.getuid()


def _checked(build: str, connection_file: str) -> tuple[Path, Path, Path]:
    """(build folder, connection file, cohort folder) after checking them; SandboxRefused otherwise."""
    b, c = Path(build), Path(connection_file)
    if not b.is_absolute() or os.path.realpath(b) != str(b) or not b.is_dir():
        raise SandboxRefused(f"not a real folder: {b}")
    cohort = b.parents[2] if len(b.parents) > 2 else b
    if b.parent.parent.name != "autograded" or not (cohort / "cohort.json").is_file():
        raise SandboxRefused(f"not a submission being graded: {b}")
    if not c.is_absolute() or os.path.realpath(c) != str(c) or not c.parent.name.startswith(RUNTIME_PREFIX):
        raise SandboxRefused(f"not a connection file of a grading process: {c}")
    invoker = _invoker()
    if c.parent.lstat().st_uid != invoker or c.parent.lstat().st_mode & 0o077:
        raise SandboxRefused(f"{c.parent} is not the grader's private folder")
    if invoker != 0:  # a grader account: only its own cohort's folders
        for path in (b, cohort):
            if path.lstat().st_uid != invoker:
                raise SandboxRefused(f"{path} does not belong to the grader (uid {invoker})")
    if invoker != os.geteuid():  # through sudo: only the grader account of this very cohort
        import pwd

        if pwd.getpwuid(invoker).pw_name != f"grader-{cohort.name}":
            raise SandboxRefused(f"uid {invoker} is not the grader of {cohort.name}")
    return b, c, cohort


def _read_private(path: Path, owner: int) -> bytes:
    """A regular file of ``owner``, opened without following links."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        st = os.fstat(fd)
        if not (st.st_mode & 0o170000 == 0o100000 and st.st_uid == owner and st.st_size < 100_000):
            raise SandboxRefused(f"not a connection file: {path}")
        return os.read(fd, 100_000)
    finally:
        os.close(fd)


def _private_mount_namespace() -> bool:
    """As root: a mount namespace of the launcher's own, so its mounts vanish with it."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000) != 0:  # CLONE_NEWNS
        return False
    subprocess.run(["mount", "--make-rprivate", "/"], check=True, capture_output=True)
    return True


def _die_with_parent() -> None:
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: the grader (or sudo) died: clean up


def _python_paths() -> list[str]:
    import wagamama

    paths = {sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.realpath(sys.executable)),
             str(Path(wagamama.__file__).resolve().parents[1])}
    return sorted({os.path.realpath(p) for p in paths if os.path.exists(p)}, key=len)


def bwrap_arguments(policy: Policy, build: Path, work: Path | None, sockets: Path) -> list[str]:
    """bubblewrap's arguments: what the kernel sees. ``work`` is a prepared tmpfs (root), else bwrap makes one."""
    args = ["bwrap", "--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try",
            "--die-with-parent", "--new-session", "--clearenv", "--ro-bind", "/usr", "/usr"]
    for top in ("bin", "lib", "lib64", "sbin", "lib32", "libx32"):
        path = Path("/") / top
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    args += ["--ro-bind", "/etc", "/etc"]
    for account in ACCOUNT_FILES:
        if os.path.lexists(account):
            args += ["--ro-bind", "/dev/null", account] if not os.path.isdir(account) else ["--tmpfs", account]
    size = str(policy.disk_mb * 1024 * 1024)
    args += ["--dev", "/dev", "--proc", "/proc", "--perms", "1777", "--size", size, "--tmpfs", "/tmp"]
    python = _python_paths()
    # The folders above what is bound (/root above a Python, the course above the kernel's folder) exist only
    # as empty, traversable ones: learner code looking for ../other.json finds nothing, as on her own machine.
    above = {str(a) for p in [*python, str(build), str(sockets)] for a in Path(p).parents
             if a != Path("/") and a != Path("/tmp") and not str(a).startswith("/usr")}
    for folder in sorted(above, key=len):
        args += ["--perms", "0755", "--dir", folder]
    for path in python:
        args += ["--ro-bind", path, path]
    args += ["--ro-bind", str(build), SUBMISSION_FILES]
    for top, _dirs, files in os.walk(build):  # notebooks: the graded copy holds the hidden tests
        for name in sorted(f for f in files if f.endswith(".ipynb")):
            args += ["--ro-bind", "/dev/null", os.path.join(SUBMISSION_FILES, os.path.relpath(top, build), name)]
    if work is not None:
        args += ["--bind", str(work), str(build)]
    else:
        args += ["--perms", "0700", "--size", size, "--tmpfs", str(build)]
    args += ["--bind", str(sockets), str(sockets), "--chdir", str(build)]
    for key, value in ENVIRONMENT.items():
        args += ["--setenv", key, value]
    args += ["--setenv", "PATH", f"{os.path.dirname(sys.executable)}:/usr/bin:/bin"]
    return args


def kernel_command(policy: Policy, build: Path, work: Path | None, sockets: Path, uid: int, gid: int) -> list[str]:
    """prlimit, bubblewrap, then (as root) setpriv to the kernel's uid, a copy of the submission's files, the kernel."""
    mb = 1024 * 1024
    limits = ["prlimit", f"--as={policy.memory_mb * mb}", f"--fsize={policy.file_mb * mb}", "--core=0",
              f"--nproc={policy.processes}", "--"]
    connection = str(sockets / "connection.json")
    kernel = [sys.executable, "-m", "ipykernel_launcher", "-f", connection, "--HistoryManager.hist_file=:memory:",
              "--IPKernelApp.outstream_class=wagamama.grading.capped_output.CappedOutStream"]
    drop = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--"] if os.geteuid() == 0 else []
    if not policy.bubblewrap:  # the instructor's explicit choice: limits and the kernel's own uid only
        return [*limits, *drop, *kernel]
    copy = ["sh", "-c", f"umask 007; tar -C {SUBMISSION_FILES} --exclude='*.ipynb' -cf - . 2>/dev/null "
            "| tar -xf - 2>/dev/null; exec \"$@\"", "sh"]
    return [*limits, *bwrap_arguments(policy, build, work, sockets), "--", *drop, *copy, *kernel]


def _kernels_under(root: int) -> list[int]:
    """The kernel processes among the descendants of root."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            children.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        try:
            if b"ipykernel_launcher" in Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[:3]:
                found.append(pid)
                continue
        except OSError:
            continue
        todo += children.get(pid, [])
    return found


def launch(build_arg: str, connection_arg: str) -> int:
    """The launcher: run one kernel in the sandbox, wait for it, clean up. Returns its exit code."""
    from . import cgroups

    _die_with_parent()
    build, connection_file, cohort = _checked(build_arg, connection_arg)
    if not grader_runs(connection_file.parent):
        raise SandboxRefused(f"the grader of {connection_file.parent} has ended")
    policy = Policy.of_cohort(cohort)
    invoker = _invoker()
    root = os.geteuid() == 0
    if invoker != os.geteuid():
        import pwd

        policy.bubblewrap = True  # a grader account cannot switch the sandbox off through sudo
        uid, gid = KERNEL_UID_BASE + os.getpid(), pwd.getpwuid(invoker).pw_gid  # its group reaches the sockets
    elif root:
        uid = gid = KERNEL_UID_BASE + os.getpid()
    else:
        uid, gid = os.getuid(), os.getgid()
    info = json.loads(_read_private(connection_file, invoker))
    sockets = Path(info["ip"]).parent if info.get("transport") == "ipc" else connection_file.parent / "tcp"
    if sockets.parent != connection_file.parent:
        raise SandboxRefused(f"sockets outside the grader's folder: {sockets}")
    shutil.rmtree(sockets, ignore_errors=True)
    sockets.mkdir(mode=0o700)
    fd = os.open(sockets / "connection.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(json.dumps(info).encode())
    work = None
    limits = None
    try:
        if root:
            os.chown(sockets, uid, gid)
            os.chmod(sockets, 0o710)
            os.chown(sockets / "connection.json", uid, gid)
            if policy.bubblewrap and _private_mount_namespace():
                work = connection_file.parent / f"work-{os.getpid()}"
                work.mkdir(mode=0o700)
                subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={policy.disk_mb}m,nr_inodes={policy.files},"
                                f"mode=0700,uid={uid},gid={gid},nosuid,nodev", "tmpfs", str(work)],
                               check=True, capture_output=True)
            cgroups.remove_stale()
            kind = cgroups.detect()
            if kind:
                name = f"{cohort.name}-{build.parent.name}-{build.name}-{os.getpid()}"
                limits = cgroups.Limits(kind, name, policy.memory_mb * 1024 * 1024, policy.processes)
        command = kernel_command(policy, build, work, sockets, uid, gid)
        preexec = (lambda: limits.join(os.getpid())) if limits else None
        with open(os.devnull, "rb") as null_in, open(os.devnull, "wb") as null_out:
            child = subprocess.Popen(command, stdin=null_in, stdout=null_out, stderr=null_out, close_fds=True,
                                     cwd="/" if policy.bubblewrap else str(build), preexec_fn=preexec,
                                     start_new_session=True, env={"PATH": "/usr/bin:/bin", **ENVIRONMENT})

        def relay(signum, _frame):
            if signum == signal.SIGINT:
                for pid in _kernels_under(child.pid):
                    try:
                        os.kill(pid, signal.SIGINT)
                    except ProcessLookupError:
                        pass
            else:
                try:
                    os.killpg(child.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

        for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(signum, relay)
        while True:
            try:
                code = child.wait(timeout=1)
                return 128 - code if code < 0 else code
            except subprocess.TimeoutExpired:
                if not grader_runs(connection_file.parent):  # nobody reads this kernel any more
                    relay(signal.SIGTERM, None)
    finally:
        if limits is not None:
            limits.remove()
        shutil.rmtree(sockets, ignore_errors=True)
        if work is not None:
            subprocess.run(["umount", "-l", str(work)], capture_output=True)
            try:
                work.rmdir()
            except OSError:
                pass


def main(argv: list[str]) -> int:
    if argv[:1] == ["probe"]:  # sudo -l asks whether this grader may start the launcher
        return 0
    if len(argv) != 3 or argv[0] != "launch":
        print("usage: python -m wagamama.grading.launcher launch BUILD CONNECTION_FILE", file=sys.stderr)
        return 2
    try:
        return launch(argv[1], argv[2])
    except (SandboxRefused, OSError, subprocess.CalledProcessError, ValueError) as exc:
        print(f"採点の隔離を始められませんでした: {exc}", file=sys.stderr)
        return SANDBOX_FAILED


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
