"""A real JupyterHub on 127.0.0.1: two cohorts, one instructor each, three learners as real Unix users.

Learners fetch, edit and submit through their own servers; the instructor collects, autogrades and
releases feedback through the cohort's formgrader service; isolation is checked over HTTP and on disk;
a real chromium logs in and runs a self-check in the Japanese JupyterLab. Needs root (Unix users).
"""

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
import requests
from conftest import REPO, need
from conftest import _free_port as free_port

pytestmark = pytest.mark.slow
A, B = "hubtest-a", "hubtest-b"
EX = "ex01_wagamama"
PASSWORD = "machi-no-" + secrets.token_hex(4)
TAG = secrets.token_hex(2)
LEARNERS = {A: [f"hana{TAG}", f"taro{TAG}"], B: [f"yui{TAG}"]}
INSTRUCTORS = {A: f"sensei{TAG}a", B: f"sensei{TAG}b"}


def descendants(pid: int) -> set[int]:
    """Every process the hub started (servers and services run in sessions of their own)."""
    found, todo = set(), [pid]
    while todo:
        out = subprocess.run(["pgrep", "-P", str(todo.pop())], capture_output=True, text=True).stdout.split()
        for child in map(int, out):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


@pytest.fixture(scope="module")
def hub(other_users_run_python):
    from wagamama.hub import accounts

    base = Path(tempfile.mkdtemp(prefix="wagamama-hub-"))
    os.chmod(base, 0o755)
    env = dict(os.environ, WAGAMAMA_HOME=str(base / "home"), PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    old_home = os.environ.get("WAGAMAMA_HOME")
    os.environ["WAGAMAMA_HOME"] = env["WAGAMAMA_HOME"]
    ports = {"port": free_port(), "hub_port": free_port(), "proxy_api_port": free_port()}
    wagamama = [sys.executable, "-m", "wagamama.cli"]
    users = [*LEARNERS[A], *LEARNERS[B], *INSTRUCTORS.values(), f"grader-{A}", f"grader-{B}"]
    proc = None
    try:
        for cohort in (A, B):
            subprocess.run([*wagamama, "cohort", "create", cohort, "--program", "oneday", "--title", f"テスト講座 {cohort}"],
                           env=env, check=True, capture_output=True)
            subprocess.run([*wagamama, "hub", "add-instructor", cohort, INSTRUCTORS[cohort]], env=env, check=True,
                           capture_output=True)
            for learner in LEARNERS[cohort]:
                subprocess.run([*wagamama, "hub", "add-learner", cohort, learner, "--name", "町 花子"], env=env,
                               check=True, capture_output=True)
            subprocess.run([*wagamama, "release", cohort, EX], env=env, check=True, capture_output=True)
        subprocess.run([*wagamama, "hub", "render", "--auth", "shared-password", "--shared-password", PASSWORD,
                        "--homes", str(base / "homes"), *[f"--{k.replace('_', '-')}={v}" for k, v in ports.items()]],
                       env=env, check=True, capture_output=True)
        log = open(base / "hub.log", "w")
        proc = subprocess.Popen([shutil.which("jupyterhub", path=os.path.dirname(sys.executable)), "-f",
                                 str(REPO / "deploy" / "jupyterhub_config.py")],
                                cwd=base / "home" / "hub", env=env, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)
        url = f"http://127.0.0.1:{ports['port']}"
        token = (base / "home" / "hub" / "admin-token").read_text().strip()
        deadline = time.monotonic() + 90
        while True:
            try:
                if requests.get(f"{url}/hub/api/", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            assert proc.poll() is None and time.monotonic() < deadline, (base / "hub.log").read_text()[-3000:]
            time.sleep(0.5)
        yield {"url": url, "admin": {"Authorization": f"token {token}"}, "base": base, "proc": proc, "env": env}
    finally:
        if proc and proc.poll() is None:
            for pid in descendants(proc.pid) | {proc.pid}:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
        for user in users:
            accounts.remove_user(user)
        for cohort in (A, B):
            accounts.remove_user(f"nbgrader-{cohort}")
        shutil.rmtree(base, ignore_errors=True)
        if old_home is None:
            os.environ.pop("WAGAMAMA_HOME", None)
        else:
            os.environ["WAGAMAMA_HOME"] = old_home


def token_for(hub, user: str) -> dict:
    r = requests.post(f"{hub['url']}/hub/api/users/{user}/tokens", headers=hub["admin"],
                      json={"expires_in": 3600, "note": "test"})
    assert r.status_code == 201, r.text
    return {"Authorization": f"token {r.json()['token']}"}


def spawn(hub, user: str, headers: dict) -> None:
    r = requests.post(f"{hub['url']}/hub/api/users/{user}/server", headers=headers)
    assert r.status_code in (201, 202), r.text
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        model = requests.get(f"{hub['url']}/hub/api/users/{user}", headers=headers).json()
        if model["servers"].get("", {}).get("ready"):
            return
        time.sleep(0.5)
    raise AssertionError((hub["base"] / "hub.log").read_text()[-3000:])


@pytest.fixture(scope="module")
def learners(hub):
    tokens = {}
    for name in [*LEARNERS[A], *LEARNERS[B]]:
        tokens[name] = token_for(hub, name)
        spawn(hub, name, tokens[name])
    return tokens


def test_learner_logs_in_with_the_form(hub):
    s = requests.Session()
    s.get(f"{hub['url']}/hub/login")
    r = s.post(f"{hub['url']}/hub/login", data={"username": LEARNERS[A][0], "password": PASSWORD,
                                               "_xsrf": s.cookies.get("_xsrf")}, allow_redirects=False)
    assert r.status_code == 302
    bad = requests.Session()
    bad.get(f"{hub['url']}/hub/login")
    r = bad.post(f"{hub['url']}/hub/login", data={"username": LEARNERS[A][0], "password": "wrong-password",
                                                 "_xsrf": bad.cookies.get("_xsrf")}, allow_redirects=False)
    assert r.status_code == 403


def test_groups_roles_and_services_come_from_the_cohorts(hub):
    groups = {g["name"]: g for g in requests.get(f"{hub['url']}/hub/api/groups", headers=hub["admin"]).json()}
    assert sorted(groups[f"nbgrader-{A}"]["users"]) == sorted(LEARNERS[A])
    assert sorted(groups[f"formgrade-{B}"]["users"]) == sorted([INSTRUCTORS[B], f"grader-{B}"])
    services = requests.get(f"{hub['url']}/hub/api/services", headers=hub["admin"]).json()
    assert {A, B, "wagamama", "idle-culler"} <= set(services)


def server(hub, user: str, path: str) -> str:
    return f"{hub['url']}/user/{user}/{path}"


def test_learners_fetch_edit_and_submit(hub, learners):
    from wagamama.cases import filled, load_cases
    from wagamama.cohort import open_cohort

    cases = load_cases(EX)
    plays = {LEARNERS[A][0]: cases["model"], LEARNERS[A][1]: cases["blank"], LEARNERS[B][0]: cases["model"]}
    for cohort, names in LEARNERS.items():
        for name in names:
            h = learners[name]
            listed = requests.get(server(hub, name, "assignments"), params={"course_id": cohort}, headers=h)
            assert listed.ok and EX in [a["assignment_id"] for a in listed.json()["value"]], listed.text
            r = requests.post(server(hub, name, "assignments/fetch"), headers=h,
                              data={"assignment_id": EX, "course_id": cohort})
            assert r.ok, r.text
            path = f"api/contents/{cohort}/{EX}/{EX}.ipynb"
            assert requests.get(server(hub, name, path), headers=h).ok
            nb = nbformat.reads(filled(open_cohort(cohort), EX, plays[name]).decode(), as_version=4)
            r = requests.put(server(hub, name, path), headers=h, json={"type": "notebook", "format": "json", "content": nb})
            assert r.ok, r.text
            r = requests.post(server(hub, name, "assignments/submit"), headers=h,
                              data={"assignment_id": EX, "course_id": cohort})
            assert r.ok and "error" not in r.text.lower()[:200], r.text
    # each learner is a real Unix user: the submission in the exchange carries their uid
    inbound = Path(hub["env"]["WAGAMAMA_HOME"]) / "exchange" / A / "inbound"
    owners = {p.name.split("+")[0]: p.stat().st_uid for p in inbound.iterdir()}
    import pwd

    assert owners == {n: pwd.getpwnam(n).pw_uid for n in LEARNERS[A]}


def formgrader(hub, cohort: str, path: str) -> str:
    return f"{hub['url']}/services/{cohort}/formgrader/api/{path}"


def test_instructor_collects_autogrades_and_releases_feedback(hub, learners):
    from wagamama.cases import load_cases

    h = token_for(hub, INSTRUCTORS[A])
    r = requests.post(formgrader(hub, A, f"assignment/{EX}/collect"), headers=h)
    assert r.ok and r.json()["success"], r.text
    for name in LEARNERS[A]:
        r = requests.post(formgrader(hub, A, f"submission/{EX}/{name}/autograde"), headers=h, timeout=300)
        assert r.ok and r.json()["success"], r.text
    scores = {s["student"]: s["score"] for s in requests.get(formgrader(hub, A, f"submissions/{EX}"), headers=h).json()}
    assert scores == {LEARNERS[A][0]: load_cases(EX)["model"].auto_score, LEARNERS[A][1]: 0}
    # the formgrader runs as the gradebook's owner: learner code runs as another uid, through the sudo rule
    # `hub render` wrote; without it, grading refuses instead of running learner code as that account
    from wagamama.hub.accounts import SUDOERS

    away = SUDOERS.with_name(".wagamama-grading.away")
    SUDOERS.rename(away)
    try:
        r = requests.post(formgrader(hub, A, f"submission/{EX}/{LEARNERS[A][0]}/autograde"), headers=h, timeout=300)
        assert r.ok and not r.json()["success"] and "sudo" in json.dumps(r.json(), ensure_ascii=False), r.text
    finally:
        away.rename(SUDOERS)
    r = requests.post(formgrader(hub, A, f"submission/{EX}/{LEARNERS[A][0]}/autograde"), headers=h, timeout=300)
    assert r.ok and r.json()["success"], r.text
    for action in ("generate_feedback", "release_feedback"):
        r = requests.post(formgrader(hub, A, f"assignment/{EX}/{action}"), headers=h, timeout=300)
        assert r.ok and r.json()["success"], r.text
    for name in LEARNERS[A]:
        r = requests.post(server(hub, name, "assignments/fetch_feedback"), headers=learners[name],
                          data={"assignment_id": EX, "course_id": A})
        assert r.ok, r.text
        listing = requests.get(server(hub, name, f"api/contents/{A}/{EX}/feedback"), headers=learners[name]).json()
        stamp = listing["content"][0]["name"]
        html = requests.get(server(hub, name, f"api/contents/{A}/{EX}/feedback/{stamp}/{EX}.html"),
                            headers=learners[name]).json()["content"]
        assert "ワガママ" in html and "BEGIN HIDDEN TESTS" not in html


def test_isolation_over_http(hub, learners):
    hana, taro, yui = LEARNERS[A][0], LEARNERS[A][1], LEARNERS[B][0]
    h = learners[hana]
    assert requests.get(formgrader(hub, A, "status"), headers=h).status_code == 403
    assert requests.get(f"{hub['url']}/services/{A}/formgrader", headers=h).status_code == 403
    assert requests.get(server(hub, taro, "api/contents"), headers=h).status_code in (403, 404)
    listed = requests.get(server(hub, hana, "assignments"), params={"course_id": B}, headers=h)
    assert EX not in listed.text or not listed.json().get("success", True), listed.text
    requests.post(server(hub, hana, "assignments/fetch"), headers=h, data={"assignment_id": EX, "course_id": B})
    assert requests.get(server(hub, hana, f"api/contents/{B}"), headers=h).status_code == 404  # nothing came
    # learners have no formgrader of their own
    assert requests.get(server(hub, hana, "formgrader"), headers=h).status_code == 404
    instructor_a = token_for(hub, INSTRUCTORS[A])
    assert requests.get(formgrader(hub, A, "status"), headers=instructor_a).ok
    assert requests.get(formgrader(hub, B, "status"), headers=instructor_a).status_code == 403
    assert requests.get(server(hub, yui, "api/contents"), headers=instructor_a).status_code in (403, 404)


def test_isolation_on_disk(hub, learners):
    import pwd

    hana, taro, yui = LEARNERS[A][0], LEARNERS[A][1], LEARNERS[B][0]
    home_taro = Path(pwd.getpwnam(taro).pw_dir)
    assert (home_taro / A / EX / f"{EX}.ipynb").exists()

    def can(user: str, *cmd: str) -> bool:
        return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True).returncode == 0

    assert not can(hana, "ls", str(home_taro))
    assert not can(hana, "cat", str(home_taro / A / EX / f"{EX}.ipynb"))
    exchange = Path(hub["env"]["WAGAMAMA_HOME"]) / "exchange"
    assert not can(hana, "ls", str(exchange / A / "inbound"))  # can hand in, cannot list others' hand-ins
    assert not can(yui, "ls", str(exchange / A))  # another cohort's exchange
    assert not can(hana, "ls", str(Path(hub["env"]["WAGAMAMA_HOME"]) / "cohorts" / A))  # gradebook, submissions
    assert can(hana, "ls", str(exchange / A / "outbound"))


def test_curriculum_is_copied_without_overwriting_edits(hub, learners):
    import pwd

    from wagamama.hub.accounts import copy_curriculum

    taro = LEARNERS[A][1]  # not the learner the browser test uses
    lesson = Path(pwd.getpwnam(taro).pw_dir) / "curriculum" / "01_kakidasu" / "01_kakidasu.ipynb"
    assert lesson.exists() and lesson.stat().st_uid == pwd.getpwnam(taro).pw_uid
    lesson.write_text("edited", encoding="utf-8")
    lesson.with_name("mine.txt").write_text("my notes", encoding="utf-8")
    removed = Path(pwd.getpwnam(taro).pw_dir) / "curriculum" / "02_yusen" / "02_yusen.ipynb"
    removed.unlink()
    assert copy_curriculum(taro) == [removed]
    assert lesson.read_text(encoding="utf-8") == "edited" and lesson.with_name("mine.txt").exists()


def test_japanese_jupyterlab_in_a_real_browser(hub, learners, tmp_path):
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium", "sudo make system-deps")
    from playwright.sync_api import sync_playwright

    yui = LEARNERS[B][0]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{hub['url']}/hub/login")
        page.fill("input[name=username]", yui)
        page.fill("input[name=password]", PASSWORD)
        page.click("input[type=submit], button[type=submit]")
        page.goto(f"{hub['url']}/user/{yui}/lab/tree/curriculum/00_hajimete/00_hajimete.ipynb")
        page.get_by_text("ファイル", exact=True).first.wait_for(timeout=90_000)
        assert page.get_by_text("カーネル", exact=True).first.is_visible()
        # As a beginner does: from the top, Shift+Enter cell by cell (the lesson's error examples do not stop
        # this) down to question 0's check, whose answer is still None.
        page.locator(".jp-Notebook .jp-Cell").first.click()
        cells = json.loads((REPO / "curriculum" / "00_hajimete" / "00_hajimete.ipynb").read_text(encoding="utf-8"))["cells"]
        upto = next(i for i, c in enumerate(cells) if c.get("id") == "q0_check")
        for _ in range(upto + 1):
            page.keyboard.press("Shift+Enter")
            page.wait_for_timeout(150)
        try:
            feedback = page.locator(".jp-OutputArea-output", has_text="まだ解答が書かれていません").first
            feedback.wait_for(timeout=90_000)
            assert "問題0" in feedback.inner_text()
        finally:
            page.screenshot(path=tmp_path / "jupyterlab-ja.png")
        browser.close()
    assert (tmp_path / "jupyterlab-ja.png").stat().st_size > 20_000


def test_voila_serves_a_learners_app_under_the_hub(hub, learners):
    from wagamama.app.serve import page_url

    hana = LEARNERS[A][0]
    code = ('from wagamama.app import App\napp = App("memo")\ns = app.screen(Title="伝言メモ")\n'
            's.add("Label", "Label1", Text="回覧板は田中さんへ")\napp.preview()')
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    r = requests.put(server(hub, hana, "api/contents/memo.ipynb"), headers=learners[hana],
                     json={"type": "notebook", "format": "json", "content": nb})
    assert r.ok, r.text
    page = requests.get(server(hub, hana, "voila/render/memo.ipynb"), headers=learners[hana], timeout=120)
    assert page.status_code == 200 and "application/vnd.jupyter.widget-view+json" in page.text
    other = requests.get(server(hub, hana, "voila/render/memo.ipynb"), headers=learners[LEARNERS[B][0]], timeout=30)
    assert other.status_code in (403, 404)  # another learner cannot open it
    # the QR code in the notebook points at this page
    env = {"JUPYTERHUB_SERVICE_PREFIX": f"/user/{hana}/", "WAGAMAMA_PUBLIC_URL": hub["url"] + "/",
           "JPY_SESSION_NAME": "memo.ipynb"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        assert page_url() == server(hub, hana, "voila/render/memo.ipynb")
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def test_everything_stops_within_ten_seconds(hub, learners):
    proc = hub["proc"]
    alive = descendants(proc.pid)
    commands = " ".join(Path(f"/proc/{p}/cmdline").read_text() for p in alive if Path(f"/proc/{p}/cmdline").exists())
    assert "jupyterhub-singleuser" in commands and "configurable-http-proxy" in commands and "idle_culler" in commands
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=10)
    deadline = time.monotonic() + 10
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if Path(f"/proc/{pid}").exists() and
                 "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()}
        time.sleep(0.2)
    assert not alive, json.dumps([Path(f"/proc/{p}/cmdline").read_text() for p in alive])
