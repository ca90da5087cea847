"""`make start`: the embedded default on this machine, and JupyterLab in Japanese on 127.0.0.1.

Prepares $WAGAMAMA_HOME: a demo cohort whose assignments this computer's user can fetch and submit
(nbgrader's Assignment List panel), a workspace with a copy of the curriculum, the Japanese UI
(overrides.json) with news fetching off, and nbgrader's config for the Jupyter server.
`wagamama start COHORT` serves another cohort instead (its formgrader, for its instructor).
The address with its token is printed last, once the server answers.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from .cohort import Cohort, create_cohort, list_cohorts, open_cohort
from .errors import WagamamaError
from .locations import content_root, exchange_dir, home
from .release import release
from .roster import import_roster

COHORT = "demo"
UI_OVERRIDES = {
    "@jupyterlab/translation-extension:plugin": {"locale": "ja_JP"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
    # Check feedback says "3 行目": show line numbers (JupyterLab 4 hides them by default).
    "@jupyterlab/notebook-extension:tracker": {"codeCellConfig": {"lineNumbers": True}},
}


def write_ui_overrides(prefix: Path = Path(sys.prefix)) -> Path:
    """Japanese menus, no news fetching and line numbers by default, for every JupyterLab run from this
    environment; and Python's errors explained in Japanese in its kernels (wagamama.japanese_errors)."""
    from .japanese_errors import install

    install(prefix)
    path = prefix / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    for plugin, values in UI_OVERRIDES.items():
        current.setdefault(plugin, {}).update(values)
    path.write_text(json.dumps(current, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def copy_curriculum(workspace: Path) -> list[Path]:
    """Copy lessons into the workspace; a file the learner already has is never overwritten.
    Returns the files and folders it created."""
    src = content_root() / "curriculum"
    created = []
    for f in sorted(src.rglob("*")):
        if f.is_file() and ".ipynb_checkpoints" not in f.parts and "__pycache__" not in f.parts:
            dest = workspace / "curriculum" / f.relative_to(src)
            if not dest.exists():
                for folder in reversed(dest.parents):
                    if not folder.exists():
                        folder.mkdir()
                        created.append(folder)
                shutil.copy2(f, dest)
                created.append(dest)
    return created


def prepare(cohort_id: str = COHORT) -> tuple[Path, Path, Cohort]:
    """Set up the embedded default; return (workspace, jupyter config dir, the cohort served). Safe to run again.

    The built-in ``demo`` cohort is made on first use, with this computer's user as its learner. Another
    cohort is opened as it is (this computer's user is its instructor, not a learner).
    """
    user = getpass.getuser()
    if cohort_id == COHORT:
        if COHORT not in {c.id for c in list_cohorts()}:
            create_cohort(COHORT, "wagamama-lab", "ワガママLab 体験講座（このパソコン）", instructors=(user,))
        cohort = open_cohort(COHORT)
        if user.lower() not in cohort.learners:
            roster = cohort.path / "roster-local.csv"
            roster.write_text(f"id,氏名\n{user},このパソコンの利用者\n", encoding="utf-8")
            import_roster(cohort, roster)
        release(cohort, cohort.assignments)
    else:
        cohort = open_cohort(cohort_id)

    workspace = home() / "workspace"
    copy_curriculum(workspace)
    config_dir = home() / "jupyter"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "nbgrader_config.py").write_text(
        f"# Written by `wagamama start {cohort.id}`: nbgrader for this computer's user (learner and instructor at once).\n"
        "c = get_config()  # noqa: F821\n"
        "# The cohort's own settings (gradebook, course folder, feedback): the formgrader shows this cohort.\n"
        f"load_subconfig({str(cohort.path / 'nbgrader_config.py')!r})  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange_dir())!r}\n"
        "c.Exchange.path_includes_course = True\n"
        f"c.CourseDirectory.course_id = {cohort.id!r}\n"
        f"c.CourseDirectory.root = {str(cohort.path)!r}\n"
        f"c.Exchange.assignment_dir = {str(workspace)!r}\n"
        # This home's own copy of submissions (nbgrader's default is shared by all homes of this user).
        f"c.Exchange.cache = {str(home() / 'nbgrader-cache')!r}\n",
        encoding="utf-8",
    )
    write_ui_overrides()
    return workspace, config_dir, cohort


class ServerLog:
    """JupyterLab's log goes to $WAGAMAMA_HOME/logs/jupyterlab.log; the terminal shows only its warnings and
    errors. Its own address line is never shown: it hides our token (``?token=...``), so it cannot be used."""

    SHOWN = "WEC"  # warning, error, critical

    def __init__(self, stream, path: Path):
        self.stream, self.path = stream, path
        self.last_output = time.monotonic()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        level = "I"
        with open(self.path, "a", encoding="utf-8") as log:
            for line in self.stream:
                self.last_output = time.monotonic()
                log.write(line)
                log.flush()
                if line.startswith("[") and len(line) > 2 and line[2] == " ":
                    level = line[1]
                if level in self.SHOWN and "token=..." not in line:
                    print(line, end="", file=sys.stderr, flush=True)

    def quiet_for(self, seconds: float, longest: float) -> None:
        """Wait until the server has written nothing for ``seconds`` (at most ``longest`` seconds)."""
        deadline = time.monotonic() + longest
        while time.monotonic() - self.last_output < seconds and time.monotonic() < deadline:
            time.sleep(0.1)


def _answers(port: int, token: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/status?token={token}", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def start(cohort_id: str = COHORT, port: int = 8888, open_browser: bool = True) -> int:
    """Run JupyterLab until it is stopped; the last line printed once it answers is its whole address."""
    workspace, config_dir, cohort = prepare(cohort_id)
    token = secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/workspace/curriculum?token={token}"
    print(f"ワガママLab（講座 {cohort.id}: {cohort.title}）を起動しています。少し待ってください…", flush=True)
    # app.qr() in a notebook builds the Voilà address of that notebook from this (see app/serve.py).
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir), WAGAMAMA_PUBLIC_URL=f"http://127.0.0.1:{port}/")
    lab = shutil.which("jupyter-lab", path=os.path.dirname(sys.executable)) or "jupyter-lab"
    args = [lab, "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            # The formgrader needs the course directory below the server's root: serve $WAGAMAMA_HOME.
            f"--ServerApp.root_dir={home()}", "--LabApp.default_url=/lab/tree/workspace/curriculum",
            f"--IdentityProvider.token={token}",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")  # containers and CI run as root
    if not open_browser:
        args.append("--no-browser")
    server = subprocess.Popen(args, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              encoding="utf-8", errors="replace")
    log = ServerLog(server.stdout, home() / "logs" / "jupyterlab.log")

    def stop(signum, frame):
        raise SystemExit(128 + signum)  # runs the `finally` below: the server stops with us

    signal.signal(signal.SIGTERM, stop)
    try:
        while not _answers(port, token):
            if server.poll() is not None:
                log.thread.join(timeout=5)
                raise WagamamaError(
                    f"JupyterLab が起動しませんでした。上のメッセージと記録（{log.path}）を見てください。"
                    f"ポート {port} をほかのプログラムが使っているときは、--port で別の番号にします（例: --port 8890）。",
                    f"jupyter-lab exited with {server.returncode}",
                )
            time.sleep(0.3)
        log.quiet_for(1.0, longest=10)
        print(f"ワガママLab が動いています（講座 {cohort.id}）。課題は「Nbgrader」メニューの「Assignment List」、"
              "採点は同じメニューの「Formgrader」にあります。止めるときは、この画面で Ctrl+C を2回押します。")
        print("ブラウザで次の URL を開いてください（全部をコピーします）:")
        print(f"    {url}", flush=True)
        while True:
            try:
                return server.wait()
            except KeyboardInterrupt:
                continue  # JupyterLab asks, and stops at the second Ctrl+C; wait for it
    finally:
        if server.poll() is None:
            server.terminate()
            server.wait(timeout=30)
