"""Self-study anywhere: what binder/ specifies builds, postBuild prepares it, and the notebooks run there.

repo2docker cannot run here, so the test does what it would: a fresh virtual environment from exactly the
pip part of binder/environment.yml, postBuild in a copy of the repository with a temporary home, then the
self-study copies and the lessons executed with that environment's kernel, without any network
(a network namespace with only loopback, when the tests run as root).
"""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import yaml
from conftest import REPO

from wagamama.links import binder_url, nbgitpuller_url

pytestmark = pytest.mark.slow


def pip_part() -> list[str]:
    env = yaml.safe_load((REPO / "binder" / "environment.yml").read_text(encoding="utf-8"))
    return next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))


def offline(cmd: list[str]) -> list[str]:
    """Run without network: a new network namespace with loopback up (kernels talk over loopback)."""
    if os.geteuid() == 0 and shutil.which("unshare") and shutil.which("ip"):
        return ["unshare", "--net", "sh", "-c", 'ip link set lo up && exec "$@"', "sh", *cmd]
    return cmd


@pytest.fixture(scope="module")
def binder(tmp_path_factory):
    base = tmp_path_factory.mktemp("binder")
    repo = base / "repo"
    files = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, files):
        src, dest = REPO / name.decode(), repo / name.decode()
        if src.is_file():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest)
    env = base / "env"
    subprocess.run([sys.executable, "-m", "venv", env], check=True)
    subprocess.run([env / "bin" / "pip", "install", "--quiet", *pip_part()], check=True, timeout=1800)
    home = base / "home"
    home.mkdir()
    run_env = {"PATH": f"{env / 'bin'}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "WAGAMAMA_PROGRESS": str(home / ".wagamama" / "progress.json")}
    done = subprocess.run([repo / "binder" / "postBuild"], cwd=repo, env=run_env, capture_output=True, text=True,
                          timeout=1200)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return {"repo": repo, "env": env, "run_env": run_env, "home": home}


def execute(binder, notebook: Path, allow_errors: bool) -> nbformat.NotebookNode:
    out = notebook.with_name(notebook.stem + ".out.ipynb")
    cmd = [str(binder["env"] / "bin" / "jupyter"), "nbconvert", "--to", "notebook", "--execute", str(notebook),
           "--output", out.name, "--ExecutePreprocessor.timeout=60", *(["--allow-errors"] if allow_errors else [])]
    done = subprocess.run(offline(cmd), cwd=notebook.parent, env=binder["run_env"], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, f"{notebook}: {done.stderr[-3000:]}"
    return nbformat.read(out, as_version=4)


def test_postbuild_sets_the_japanese_ui_without_news(binder):
    overrides = json.loads((binder["env"] / "share" / "jupyter" / "lab" / "settings" / "overrides.json").read_text())
    assert overrides["@jupyterlab/translation-extension:plugin"]["locale"] == "ja_JP"
    assert overrides["@jupyterlab/apputils-extension:notification"]["fetchNews"] == "false"
    assert (binder["env"] / "share" / "jupyter" / "labextensions" / "@jupyterlab" / "translation-extension").exists() or \
        list((binder["env"] / "lib").glob("python3*/site-packages/jupyterlab_language_pack_ja_JP"))


def test_self_study_copies_have_no_solutions_and_every_check_says_not_attempted(binder):
    root = binder["repo"] / "selfstudy"
    assignments = sorted(p.name for p in root.iterdir() if p.is_dir())
    assert assignments == sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir())
    for a in assignments:
        notebook = root / a / f"{a}.ipynb"
        text = notebook.read_text(encoding="utf-8")
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
        # a learner alone: no Nbgrader menu, no instructor reading; how to keep her work is said in the notebook
        assert "Nbgrader" not in text and "講師が読" not in text and "提出はありません" in text, a
        assert "selfstudy-backup" in text and "save_button()" in text, a
        hints = json.loads((root / a / ".hints.json").read_text(encoding="utf-8"))
        nb = execute(binder, notebook, allow_errors=True)
        checks = [c for c in nb.cells if "progress.part(" in c.source]
        assert checks and len(checks) == len(hints), a
        for cell in checks:
            shown = "".join(o.get("text", "") + "".join(o.get("traceback", [])) + o.get("evalue", "")
                            for o in cell.outputs)
            assert "まだ解答が書かれていません" in shown, (a, cell.source[:200], shown[:500])
    recorded = json.loads(Path(binder["run_env"]["WAGAMAMA_PROGRESS"]).read_text(encoding="utf-8"))
    assert set(recorded) == set(assignments)
    assert {e["state"] for entries in recorded.values() for e in entries.values()} == {"not attempted"}


def test_lessons_and_the_progress_notebook_execute_offline(binder):
    lessons = sorted((binder["repo"] / "curriculum").glob("*/*.ipynb"))
    assert len(lessons) >= 10
    for lesson in lessons:
        nb = execute(binder, lesson, allow_errors=False)  # cells that err on purpose are tagged raises-exception
        assert any(c.get("outputs") for c in nb.cells if c.cell_type == "code")
    nb = execute(binder, binder["repo"] / "selfstudy" / "progress.ipynb", allow_errors=False)
    tracks = "".join(o.get("text", "") for o in nb.cells[1].outputs)
    assert "地域おこし協力隊" in tracks and "（kyoryokutai）" in tracks and "（sip）" in tracks
    report = "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert "次は「はじめての Jupyter」" in report
    assert any("image/png" in o.get("data", {}) for o in nb.cells[5].outputs)


def test_links_open_the_right_notebook():
    url = binder_url("https://github.com/wagamama-lab/wagamama-lab", "main", "curriculum/00_hajimete/00_hajimete.ipynb")
    assert url == ("https://mybinder.org/v2/gh/wagamama-lab/wagamama-lab/main"
                   "?urlpath=lab%2Ftree%2Fcurriculum%2F00_hajimete%2F00_hajimete.ipynb")
    pull = nbgitpuller_url("https://lab.example-town.jp/", "https://github.com/example-town/wagamama-lab", "main",
                           "curriculum/05_sekkei/05_sekkei.ipynb")
    assert pull.startswith("https://lab.example-town.jp/hub/user-redirect/git-pull?repo=https%3A%2F%2Fgithub.com")
    assert "urlpath=lab%2Ftree%2Fwagamama-lab%2Fcurriculum%2F05_sekkei%2F05_sekkei.ipynb" in pull
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert url in readme and "mybinder.org/badge_logo.svg" in readme
