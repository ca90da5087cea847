"""Run each grading kernel in the sandbox: the grader's side (jupyter_client's kernel provisioner).

nbgrader starts one kernel per notebook. The cohort's grading config selects the kernelspec written
by :func:`write_kernelspec`, whose provisioner (registered in pyproject.toml) is
:class:`SandboxProvisioner`. It does not start the kernel: it starts the launcher
(:mod:`wagamama.grading.launcher`), which checks the request, sets the limits and runs the kernel in
bubblewrap. Here: whether the sandbox the cohort asks for can run at all (:func:`require`: grading never
falls back silently to a weaker one), what `wagamama doctor` and every autograde summary say about it
(:func:`isolation`), the wall-clock limit of a whole notebook, and why a kernel ended early
(:func:`take_kernel_ends`). The launcher's stdout goes to /dev/null: nothing the kernel prints reaches
the grader's log.
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
import time
from pathlib import Path

from jupyter_client.provisioning import LocalProvisioner

from .launcher import KERNEL_UID_BASE, RUNTIME_PREFIX, SANDBOX_FAILED, Policy, grader_runs, runtime_prefix  # noqa: F401 (the grader's names)

KERNEL_NAME = PROVISIONER = "wagamama-sandbox"

class SandboxUnavailable(RuntimeError):
    """The sandbox the cohort asks for cannot run here (the message says why and what to do, in Japanese)."""


@functools.cache
def bubblewrap_works() -> bool:
    """True when bwrap is installed and may create namespaces here."""
    bwrap = shutil.which("bwrap")
    if not bwrap:
        return False
    probe = subprocess.run([bwrap, "--ro-bind", "/", "/", "--unshare-net", "--unshare-pid", "true"],
                           capture_output=True, timeout=20)
    return probe.returncode == 0


def sudo_launcher() -> list[str]:
    """``sudo -n`` when this (non-root) grader may start the launcher as root (a hub's grader account).
    Asked again for every kernel: a rule taken away stops grading at once."""
    if os.geteuid() == 0 or not shutil.which("sudo"):
        return []
    probe = subprocess.run(["sudo", "-n", "-l", *launcher_command(), "probe", "probe"],
                           capture_output=True, timeout=20)
    return ["sudo", "-n"] if probe.returncode == 0 else []


def launcher_command() -> list[str]:
    return [sys.executable, "-m", "wagamama.grading.launcher", "launch"]


def require(policy: Policy) -> None:
    """Stop before grading when the sandbox the cohort asks for cannot run here (never fall back silently)."""
    if policy.bubblewrap and not bubblewrap_works():
        why = ("bubblewrap（bwrap）が入っていません" if not shutil.which("bwrap") else
               "bubblewrap（bwrap）が、この環境では名前空間を作れません（コンテナの設定などで禁止されています）")
        raise SandboxUnavailable(
            f"{why}。受講者のコードを隔離できないので、採点しませんでした。"
            "`sudo make system-deps` で入れるか、コンテナなら user namespace を許可してください。"
            "信頼できる提出物だけを採点するときは、講座の cohort.json の \"sandbox\" に \"bubblewrap\": false と書くか、"
            "`wagamama autograde --no-sandbox` を使います。")
    if policy.separate_user and os.geteuid() != 0 and not sudo_launcher():
        raise SandboxUnavailable(
            "この採点用アカウントから、受講者のコードを別のユーザーで動かせません（sudo の設定がありません）。"
            "採点簿の持ち主と同じアカウントで受講者のコードを動かさないため、採点しませんでした。"
            "`sudo wagamama hub render` で、採点用の sudo の設定を作り直してください。")


def isolation(policy: Policy | None = None) -> str:
    """What isolation grading uses on this machine, in Japanese (doctor and every autograde summary)."""
    from .cgroups import describe, detect

    policy = policy or Policy()
    root = os.geteuid() == 0 or bool(sudo_launcher())
    limits = (f"{describe(detect() if os.geteuid() == 0 else ('v1' if sudo_launcher() else ''))}＋prlimit"
              f"（メモリ {policy.memory_mb} MB、プロセス {policy.processes}、ノート1冊 {policy.notebook_seconds} 秒、"
              f"セル1つ {policy.cell_seconds} 秒、出力 {policy.output_kb} KB、フォルダ {policy.disk_mb} MB"
              + (f"・{policy.files} ファイル" if root else "") + "）")
    if not policy.bubblewrap:
        return f"{limits}のみ（講座の設定で bubblewrap を切っています。ファイルとネットワークは隔離しません）"
    if not bubblewrap_works():
        return "なし: bubblewrap が使えないため、採点できません（sudo make system-deps）"
    who = "カーネルごとに別の権限のないユーザー" if root else "採点するユーザーと同じユーザー"
    return f"bubblewrap（ネットワークなし・必要なファイルだけ読み取り専用・使い捨てのフォルダ・{who}）＋{limits}"


def write_kernelspec(data_dir: Path) -> Path:
    """A kernelspec under ``data_dir/kernels`` whose provisioner is the sandbox; put data_dir on JUPYTER_PATH."""
    spec = data_dir / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (wagamama sandbox)",
        "language": "python",
        "interrupt_mode": "signal",
        "metadata": {"kernel_provisioner": {"provisioner_name": PROVISIONER}},
    }, indent=1), encoding="utf-8")
    return data_dir


def prepare_process() -> str:
    """Before each notebook: the folders left by graders that ended are removed (sweep), and once per grading
    process the sandbox's kernelspec goes on JUPYTER_PATH with a private folder (0700) for connection files and
    kernel sockets, removed when the process ends. Returns the folder."""
    sweep()
    return _runtime()


def sweep() -> None:
    """Remove the private folders of grading processes that have ended: killed (kill -9, out of memory) or
    ended while a kernel of theirs was still going away. Also run by `wagamama autograde` after its workers.
    A folder is named for its process's pid and start time: a pid the system has since given to another
    process does not keep a dead grader's folder."""
    for stale in Path(tempfile.gettempdir()).glob(RUNTIME_PREFIX + "*-*"):
        if not grader_runs(stale) and stale.lstat().st_uid == os.getuid():
            shutil.rmtree(stale, ignore_errors=True)


@functools.cache
def _runtime() -> str:
    from multiprocessing.util import Finalize

    runtime = tempfile.mkdtemp(prefix=runtime_prefix())
    data = write_kernelspec(Path(runtime) / "jupyter-data")
    os.environ["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(data), os.environ.get("JUPYTER_PATH")]))
    # when the process ends: a multiprocessing worker of `wagamama autograde` or plain nbgrader alike
    Finalize(None, shutil.rmtree, args=(runtime, True), exitpriority=0)
    return runtime


# --- the grader's side: jupyter_client's provisioner --------------------------------------------------------

_ends: list[tuple[str, str]] = []


def take_kernel_ends() -> list[tuple[str, str]]:
    """(reason, detail) of kernels that ended early since the last call: notebook_time, crashed, exited."""
    taken = list(_ends)
    _ends.clear()
    return taken


class SandboxProvisioner(LocalProvisioner):
    """jupyter_client's local provisioner, starting the launcher instead of the kernel."""

    _policy: Policy | None = None
    _timer: threading.Timer | None = None
    _ended = False
    _errors = None

    async def pre_launch(self, **kwargs):
        kwargs = await super().pre_launch(**kwargs)
        build = Path(kwargs.get("cwd") or os.getcwd()).resolve()
        connection_file = Path(self.parent.connection_file).resolve()
        self._policy = Policy.of_cohort(build.parents[2])
        require(self._policy)
        kwargs["cmd"] = [*sudo_launcher(), *launcher_command(), str(build), str(connection_file)]
        self._errors = tempfile.TemporaryFile()
        kwargs["stdout"], kwargs["stderr"] = subprocess.DEVNULL, self._errors
        # SUDO_* of an instructor who typed `sudo wagamama autograde` must not make the launcher think
        # that a grader account asked; sudo sets them afresh when it is used.
        kwargs["env"] = {k: v for k, v in kwargs.get("env", os.environ).items() if not k.startswith("SUDO_")}
        return kwargs

    async def launch_kernel(self, cmd, **kwargs):
        info = await super().launch_kernel(cmd, **kwargs)
        self._timer = threading.Timer(self._policy.notebook_seconds, self._time_up)
        self._timer.daemon = True
        self._timer.start()
        return info

    def _time_up(self) -> None:
        self._end("notebook_time", str(self._policy.notebook_seconds))
        self._stop()

    def _end(self, reason: str, detail: str) -> None:
        if not self._ended:
            self._ended = True
            _ends.append((reason, detail))

    def _stop(self) -> None:
        """Ask the launcher to end the kernel and all it started (it cleans up, then exits)."""
        if self.process is not None and self.process.poll() is None:
            try:
                self.process.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass

    async def poll(self):
        code = await super().poll()
        if code:  # ended by itself; the launcher exits 128 + N when the kernel died of signal N
            signum = -code if code < 0 else code - 128 if code > 128 else 0
            if code == SANDBOX_FAILED:
                self._end("sandbox", self.launcher_error())
            elif signum and signum not in (signal.SIGTERM, signal.SIGKILL):
                self._end("crashed", signal.Signals(signum).name)
            elif not signum:
                self._end("exited", str(code))
        return code

    def launcher_error(self) -> str:
        if self._errors is None:
            return ""
        self._errors.seek(0)
        return self._errors.read(4000).decode("utf-8", "replace").strip()

    async def send_signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signum if signum == signal.SIGINT else signal.SIGTERM)

    async def kill(self, restart: bool = False) -> None:
        self._stop()
        await self.wait()

    async def terminate(self, restart: bool = False) -> None:
        self._stop()

    async def wait(self):
        for _ in range(100):  # the launcher needs a moment to clean up
            if self.process is None or self.process.poll() is not None:
                break
            time.sleep(0.05)
        return await super().wait()

    async def cleanup(self, restart: bool = False) -> None:
        if self._timer:
            self._timer.cancel()
        self._stop()
        if self._errors is not None:
            self._errors.close()
        await super().cleanup(restart)


