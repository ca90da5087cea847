"""`make start`: the embedded default on this machine, and JupyterLab in Japanese on 127.0.0.1.

Prepares $WAGAMAMA_HOME: a demo cohort whose assignments this computer's user can fetch and submit
(nbgrader's Assignment List panel), a workspace with a copy of the curriculum, the Japanese UI
(overrides.json) with news fetching off, and nbgrader's config for the Jupyter server.
"""

from __future__ import annotations

import getpass
import json
import os
import secrets
import shutil
import sys
from pathlib import Path

from .cohort import create_cohort, list_cohorts, open_cohort
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
    """Japanese menus, no news fetching and line numbers by default, for every JupyterLab run from this environment."""
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


def prepare() -> tuple[Path, Path]:
    """Set up the embedded default; return (workspace, jupyter config dir). Safe to run again."""
    user = getpass.getuser()
    if COHORT not in {c.id for c in list_cohorts()}:
        create_cohort(COHORT, "wagamama-lab", "ワガママLab 体験講座（このパソコン）", instructors=(user,))
    cohort = open_cohort(COHORT)
    if user.lower() not in cohort.learners:
        roster = cohort.path / "roster-local.csv"
        roster.write_text(f"id,氏名\n{user},このパソコンの利用者\n", encoding="utf-8")
        import_roster(cohort, roster)
    release(cohort, cohort.assignments)

    workspace = home() / "workspace"
    copy_curriculum(workspace)
    config_dir = home() / "jupyter"
    config_dir.mkdir(parents=True, exist_ok=True)
    (config_dir / "nbgrader_config.py").write_text(
        "# Written by `wagamama start`: nbgrader for this computer's user (learner and instructor at once).\n"
        "c = get_config()  # noqa: F821\n"
        f"c.Exchange.root = {str(exchange_dir())!r}\n"
        "c.Exchange.path_includes_course = True\n"
        f"c.CourseDirectory.course_id = {COHORT!r}\n"
        f"c.CourseDirectory.root = {str(cohort.path)!r}\n"
        f"c.Exchange.assignment_dir = {str(workspace)!r}\n"
        # This home's own copy of submissions (nbgrader's default is shared by all homes of this user).
        f"c.Exchange.cache = {str(home() / 'nbgrader-cache')!r}\n",
        encoding="utf-8",
    )
    write_ui_overrides()
    return workspace, config_dir


def start(port: int = 8888, open_browser: bool = True) -> None:
    workspace, config_dir = prepare()
    token = secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/lab/tree/workspace/curriculum?token={token}"
    print("ワガママLab を起動します。ブラウザで次のURLを開いてください（止めるときは Ctrl+C を2回）:")
    print(f"    {url}")
    print(f"課題は「Nbgrader」メニューの「Assignment List」（講座 {COHORT}）、採点は同じメニューの「Formgrader」にあります。", flush=True)
    # app.qr() in a notebook builds the Voilà address of that notebook from this (see app/serve.py).
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(config_dir), WAGAMAMA_PUBLIC_URL=f"http://127.0.0.1:{port}/")
    lab = shutil.which("jupyter-lab", path=os.path.dirname(sys.executable)) or "jupyter-lab"
    args = [lab, "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
            # The formgrader needs the course directory below the server's root: serve $WAGAMAMA_HOME.
            f"--ServerApp.root_dir={home()}", "--LabApp.default_url=/lab/tree/workspace/curriculum", f"--IdentityProvider.token={token}",
            "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"]
    if os.geteuid() == 0:
        args.append("--allow-root")  # containers and CI run as root
    if not open_browser:
        args.append("--no-browser")
    os.execve(lab, args, env)
