"""Memory and process limits for a whole submission: one control group (cgroup) per grading kernel.

``prlimit`` limits each process on its own; a learner who starts ten processes gets ten times the
memory. A cgroup counts them together. The kernel, and everything it starts, runs in a group of its
own under ``wagamama/`` with ``memory`` and ``pids`` limits; a submission's notebooks are graded one
after another, so at any moment this is the whole submission.

- cgroup v2 (one unified tree with the memory and pids controllers), where the machine has it;
- cgroup v1 (``memory`` and ``pids`` hierarchies), as on the development machines;
- neither (not root, nothing delegated): :func:`detect` says so, and only prlimit applies.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
GROUP = "wagamama"


def _writable(path: Path) -> bool:
    return path.is_dir() and os.access(path, os.W_OK)


def detect() -> str:
    """"v2", "v1" or "" (no cgroup this process may create with memory and pids limits)."""
    controllers = ROOT / "cgroup.controllers"
    if controllers.exists():
        available = set(controllers.read_text().split())
        if {"memory", "pids"} <= available and _writable(ROOT):
            return "v2"
        return ""
    if _writable(ROOT / "memory") and _writable(ROOT / "pids"):
        return "v1"
    return ""


def describe(kind: str) -> str:
    return {"v2": "cgroup v2（memory・pids）", "v1": "cgroup v1（memory・pids）"}.get(
        kind, "cgroup なし（プロセスごとの制限だけ）")


class Limits:
    """One kernel's group: made with its limits, joined by the kernel, removed when it is empty."""

    def __init__(self, kind: str, name: str, memory_bytes: int, processes: int):
        self.kind = kind
        self.dirs: list[Path] = []
        if kind == "v2":
            parent = ROOT / GROUP
            parent.mkdir(exist_ok=True)
            (ROOT / "cgroup.subtree_control").write_text("+memory +pids")
            (parent / "cgroup.subtree_control").write_text("+memory +pids")
            group = parent / name
            group.mkdir()
            (group / "memory.max").write_text(str(memory_bytes))
            if (group / "memory.swap.max").exists():
                (group / "memory.swap.max").write_text("0")
            (group / "pids.max").write_text(str(processes))
            self.dirs = [group]
        elif kind == "v1":
            memory = ROOT / "memory" / GROUP / name
            pids = ROOT / "pids" / GROUP / name
            memory.mkdir(parents=True)
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory_bytes))
            pids.mkdir(parents=True)
            (pids / "pids.max").write_text(str(processes))
            self.dirs = [memory, pids]

    def join(self, pid: int) -> None:
        """Put a process in the group (before it runs any learner code: its children follow it)."""
        for d in self.dirs:
            (d / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        found = set()
        for d in self.dirs:
            try:
                found |= {int(p) for p in (d / "cgroup.procs").read_text().split()}
            except OSError:
                continue
        return found

    def out_of_memory(self) -> bool:
        for d in self.dirs:
            for name, key in (("memory.events", "oom_kill"), ("memory.oom_control", "oom_kill")):
                try:
                    for line in (d / name).read_text().splitlines():
                        k, _, v = line.partition(" ")
                        if k == key and int(v) > 0:
                            return True
                except (OSError, ValueError):
                    continue
        return False

    def remove(self) -> None:
        """Kill what is left in the group, then remove it."""
        for _ in range(50):
            left = self.pids()
            if not left:
                break
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
        for d in self.dirs:
            try:
                d.rmdir()
            except OSError:
                pass


def remove_stale() -> None:
    """Groups left by launchers that were killed (their name ends with the launcher's pid)."""
    for base in (ROOT / GROUP, ROOT / "memory" / GROUP, ROOT / "pids" / GROUP):
        if not base.is_dir():
            continue
        for group in base.iterdir():
            owner = group.name.rsplit("-", 1)[-1]
            if group.is_dir() and owner.isdigit() and not Path(f"/proc/{owner}").exists():
                try:
                    group.rmdir()
                except OSError:
                    pass
