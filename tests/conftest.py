import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# nbgrader runs `alembic` and `jupyter` by name: use the ones beside this Python.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def need(ok: bool, what: str, install: str) -> None:
    """Skip a test whose component is missing, naming the install command; under CI=true, fail instead."""
    if ok:
        return
    message = f"{what} is missing: install it with `{install}`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI must not skip: " + message)
    pytest.skip(message)


def need_executable(name: str, install: str = "sudo make system-deps") -> str:
    path = shutil.which(name) or (str(REPO / "node_modules" / ".bin" / name) if (REPO / "node_modules" / ".bin" / name).exists() else None)
    need(path is not None, name, install)
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh $WAGAMAMA_HOME for one test."""
    h = tmp_path / "home"
    monkeypatch.setenv("WAGAMAMA_HOME", str(h))
    return h


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres():
    """A real PostgreSQL server on 127.0.0.1 for this test session; yields a function: name → database URL.

    Run as the `postgres` system user when the tests run as root (PostgreSQL refuses root).
    """
    import glob
    import subprocess
    import tempfile
    import time

    bindirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
    need(bool(bindirs), "PostgreSQL (Debian package postgresql)", "sudo make system-deps")
    bindir = Path(bindirs[-1])
    data = Path(tempfile.mkdtemp(prefix="wagamama-pg-"))
    as_user = []
    if os.getuid() == 0:
        import pwd

        pg = pwd.getpwnam("postgres")
        os.chown(data, pg.pw_uid, pg.pw_gid)  # the folder just made for it, nothing else
        as_user = ["runuser", "-u", "postgres", "--"]
    subprocess.run([*as_user, bindir / "initdb", "-D", data / "db", "-U", "wagamama", "--auth=trust", "-E", "UTF8",
                    "--locale=C.UTF-8"], check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen([*as_user, bindir / "postgres", "-D", data / "db", "-h", "127.0.0.1", "-p", str(port),
                               "-k", data], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import psycopg

    for _ in range(100):
        try:
            psycopg.connect(f"postgresql://wagamama@127.0.0.1:{port}/postgres", autocommit=True).close()
            break
        except psycopg.OperationalError:
            time.sleep(0.1)

    def database(name: str) -> str:
        with psycopg.connect(f"postgresql://wagamama@127.0.0.1:{port}/postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://wagamama@127.0.0.1:{port}/{name}"

    yield database
    server.terminate()
    server.wait(timeout=30)
    shutil.rmtree(data, ignore_errors=True)


def _runs_as_other_users() -> bool:
    """Other Unix users can run this venv's Python (every folder on the way lets them through)."""
    import subprocess

    probe = subprocess.run(["runuser", "-u", "nobody", "--", sys.executable, "-c", "import wagamama"],
                           capture_output=True, cwd="/")
    return probe.returncode == 0


@pytest.fixture(scope="session")
def other_users_run_python():
    """Learner servers and an unprivileged grader run the venv's Python as other Unix users. In CI (root, a
    throwaway machine) open the folders above the venv and the checkout for traversal only (o+x) for the
    session; on a laptop the test explains instead."""
    import stat

    need(os.geteuid() == 0, "root (tests that run as other Unix users)", "sudo make test")
    need(shutil.which("useradd") is not None, "useradd", "apt-get install passwd")
    opened = []
    if not _runs_as_other_users() and os.environ.get("CI", "").lower() == "true":
        for target in {Path(sys.executable).resolve(), REPO.resolve(), Path(sys.prefix).resolve()}:
            for folder in target.parents:
                mode = folder.stat().st_mode
                if not mode & stat.S_IXOTH:
                    os.chmod(folder, mode | stat.S_IXOTH)
                    opened.append((folder, mode))
    need(_runs_as_other_users(), "a Python that other Unix users can run (the venv and its base interpreter)",
         "make the checkout and the venv's Python readable by all users, e.g. create .venv from /usr/bin/python3")
    yield
    for folder, mode in reversed(opened):
        os.chmod(folder, mode)


def ended_graders_folders() -> set[Path]:
    """/tmp/wagamama-kernels-PID-START-* of grading processes that have ended: no process with that pid and
    start time (field 22 of /proc/PID/stat) runs now (a zombie has ended). Read here independently of the sweep
    that removes them."""
    def started_as(pid: str, start: str) -> bool:
        try:
            fields = Path("/proc", pid, "stat").read_text().rsplit(")", 1)[1].split()
            return fields[0] != "Z" and fields[19] == start
        except (OSError, IndexError):
            return False

    return {d for d in Path("/tmp").glob("wagamama-kernels-*-*-*") if not started_as(*d.name.split("-")[2:4])}


def sandbox_leftovers(root: Path) -> list[str]:
    """Command lines of sandboxed kernel processes still running in a folder under root (a cohort).

    Only this cohort's: another test run on the same machine may be grading at the same time.
    """
    from wagamama.grading.launcher import KERNEL_UID_BASE

    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid >= KERNEL_UID_BASE and \
                    Path(os.readlink(f"/proc/{pid}/cwd")).is_relative_to(root):
                found.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode())
        except OSError:
            continue
    return found
