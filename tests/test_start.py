"""`make start`: JupyterLab on 127.0.0.1, Japanese UI by default, the demo cohort fetchable and submittable."""

import getpass
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import need

from wagamama.programs import get_program

REPO = Path(__file__).resolve().parents[1]
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(home: Path, *args: str):
    """`wagamama start --no-browser` on a free port; returns (process, base URL, token) once the server answers
    and the URL is printed. Everything it prints goes to home/start.log."""
    port = free_port()
    env = dict(os.environ, WAGAMAMA_HOME=str(home))
    log = open(home / "start.log", "w+", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "wagamama.cli", "start", *args, "--no-browser", "--port", str(port)],
                            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    for _ in range(240):
        text = (home / "start.log").read_text(encoding="utf-8")
        m = re.search(r"http://127\.0\.0\.1:\d+/lab/tree/workspace/curriculum\?token=(\w+)", text)
        if m:
            token = m.group(1)
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
                break
            except OSError:
                pass
        assert proc.poll() is None, text
        time.sleep(0.5)
    else:
        os.killpg(proc.pid, signal.SIGTERM)
        pytest.fail("JupyterLab did not answer: " + (home / "start.log").read_text(encoding="utf-8"))
    time.sleep(3)  # what the instructor sees a moment later, before anyone uses the server
    (home / "printed-at-start.txt").write_text((home / "start.log").read_text(encoding="utf-8"), encoding="utf-8")
    return proc, base, token


def stop(proc) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=30)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    home = tmp_path_factory.mktemp("start")
    proc, base, token = launch(home)
    yield base, token, home
    stop(proc)


def api(lab, path, data=None):
    base, token, _ = lab
    req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"},
                                 data=urllib.parse.urlencode(data).encode() if data else None)
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read().decode())


def test_the_whole_url_is_the_last_line_printed(lab):
    base, token, home = lab
    printed = (home / "printed-at-start.txt").read_text(encoding="utf-8")
    lines = [line.strip() for line in printed.splitlines() if line.strip()]
    assert lines[-1] == f"{base}/lab/tree/workspace/curriculum?token={token}" and len(token) == 32
    assert lines[-2] == "ブラウザで次の URL を開いてください（全部をコピーします）:"
    assert "token=..." not in printed  # JupyterLab's own line hides the token: it is not shown
    assert "token=..." in (home / "logs" / "jupyterlab.log").read_text(encoding="utf-8")  # it is kept in the log
    assert base.startswith("http://127.0.0.1:")


def test_a_named_cohort_is_served_and_demo_stays_the_default(tmp_path):
    home = tmp_path / "home"
    env = dict(os.environ, WAGAMAMA_HOME=str(home))
    wagamama = [sys.executable, "-m", "wagamama.cli"]
    subprocess.run([*wagamama, "cohort", "create", "t-start", "--program", "oneday", "--title", "小山市 1日講座"],
                   env=env, check=True, capture_output=True)
    (tmp_path / "r.csv").write_text("学籍番号,氏名\n2026001,山田 花子\n", encoding="utf-8")
    subprocess.run([*wagamama, "roster", "import", "t-start", str(tmp_path / "r.csv")], env=env, check=True,
                   capture_output=True)
    proc, base, token = launch(home, "t-start")
    try:
        served = (base, token, home)
        assert [s["id"] for s in api(served, "/formgrader/api/students")] == ["u2026001"]
        assert {a["name"] for a in api(served, "/formgrader/api/assignments")} == set(get_program("oneday").assignments)
        printed = (home / "printed-at-start.txt").read_text(encoding="utf-8").strip().splitlines()
        assert printed[-1].strip() == f"{base}/lab/tree/workspace/curriculum?token={token}"
        assert "講座 t-start" in printed[0]
        assert not (home / "cohorts" / "demo").exists()  # the built-in cohort is made only when it is served
    finally:
        stop(proc)
    run = subprocess.run([*wagamama, "start", "ghost", "--no-browser"], env=env, capture_output=True, text=True)
    assert run.returncode == 1 and "講座「ghost」が見つかりません" in run.stderr


def test_japanese_ui_and_no_news_by_default(lab):
    locale = api(lab, "/lab/api/settings/@jupyterlab/translation-extension:plugin")
    assert locale["schema"]["properties"]["locale"]["default"] == "ja_JP"
    news = api(lab, "/lab/api/settings/@jupyterlab/apputils-extension:notification")
    assert news["schema"]["properties"]["fetchNews"]["default"] == "false"
    tracker = api(lab, "/lab/api/settings/@jupyterlab/notebook-extension:tracker")
    assert tracker["schema"]["properties"]["codeCellConfig"]["default"]["lineNumbers"] is True
    packs = api(lab, "/lab/api/translations")
    assert "ja_JP" in packs["data"]


def test_curriculum_is_in_the_file_browser(lab):
    listing = api(lab, "/api/contents/workspace/curriculum")
    assert "00_hajimete" in {c["name"] for c in listing["content"]}


def test_local_user_fetches_and_submits_the_demo_assignment(lab):
    _, _, home = lab
    listed = api(lab, "/assignments?course_id=demo")
    released = [(a["assignment_id"], a["status"]) for a in listed["value"]]
    assert ("ex01_wagamama", "released") in released and all(status == "released" for _, status in released)
    fetched = api(lab, "/assignments/fetch", {"course_id": "demo", "assignment_id": "ex01_wagamama"})
    assert fetched["success"], fetched
    assert (home / "workspace" / "demo" / "ex01_wagamama" / "ex01_wagamama.ipynb").exists()
    submitted = api(lab, "/assignments/submit", {"course_id": "demo", "assignment_id": "ex01_wagamama"})
    assert submitted["success"], submitted
    inbound = list((home / "exchange" / "demo" / "inbound").iterdir())
    assert [p.name.split("+")[:2] for p in inbound] == [[getpass.getuser(), "ex01_wagamama"]]
    # The copy nbgrader keeps for feedback lives in this home, not in the user's shared cache.
    assert list((home / "nbgrader-cache" / "demo").glob(f"{getpass.getuser()}+ex01_wagamama+*"))
    assert "ex01_wagamama" in [a["name"] for a in api(lab, "/formgrader/api/assignments")]


def test_a_real_browser_shows_the_menus_in_japanese(lab, tmp_path):
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium (Debian)", "sudo make system-deps")
    base, token, _ = lab
    url = f"{base}/lab/tree/workspace/curriculum?token={token}"
    run = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                          "--virtual-time-budget=20000", "--dump-dom", url], capture_output=True, text=True, timeout=120)
    menus = re.findall(r'class="lm-MenuBar-itemLabel[^"]*">([^<]+)<', run.stdout)
    assert {"ファイル", "編集", "表示", "カーネル"} <= set(menus), menus
    out = REPO / "test-output"
    out.mkdir(exist_ok=True)
    subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile2'}", "--window-size=1280,800",
                    "--virtual-time-budget=20000", f"--screenshot={out / 'jupyterlab-ja.png'}", url],
                   capture_output=True, timeout=120)
    assert (out / "jupyterlab-ja.png").stat().st_size > 10_000
