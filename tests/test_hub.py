"""A real JupyterHub on 127.0.0.1: two cohorts, one instructor each, three learners as real Unix users.

Learners fetch, edit and submit through their own servers; the instructor collects, autogrades and
releases feedback through the cohort's formgrader service; isolation is checked over HTTP and on disk;
a real chromium logs in, waits on the Japanese progress page and runs a self-check in the Japanese
JupyterLab; a class's servers start one at a time (this hub's pace), warmed servers wait for their class.
Needs root (Unix users).

Every test stands alone (``pytest -k`` one test, any order): the hub is started once for the module and
started again if a test stopped it; each test asks for the learners' servers it uses (started if they are
not running) and for the submissions it grades (made once). Waits are on conditions, never fixed times.
"""

import datetime as dt
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import nbformat
import pytest
import requests
from conftest import REPO, need
from conftest import _free_port as free_port

pytestmark = pytest.mark.slow
A, B = "hubtest-a", "hubtest-b"
EX = "ex01_wagamama"
NOTEBOOK = "curriculum/00_hajimete/00_hajimete.ipynb"
PASSWORD = "machi-no-" + secrets.token_hex(4)
TAG = secrets.token_hex(2)
LEARNERS = {A: [f"hana{TAG}", f"taro{TAG}"], B: [f"yui{TAG}"]}
ALL_LEARNERS = [*LEARNERS[A], *LEARNERS[B]]
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


def wait_until(condition, timeout: float, what: str, pause: float = 0.3):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f}s for {what}")
        time.sleep(pause)


class Hub:
    """The module's hub: rendered once, started again whenever a test has stopped it."""

    def __init__(self, base: Path, env: dict, ports: dict):
        self.base, self.env, self.ports = base, env, ports
        self.url = f"http://127.0.0.1:{ports['port']}"
        self.proc: subprocess.Popen | None = None
        self.tokens: dict[str, dict] = {}
        self.submitted = False

    @property
    def admin(self) -> dict:
        return {"Authorization": f"token {(self.base / 'home' / 'hub' / 'admin-token').read_text().strip()}"}

    def log(self) -> str:
        return "".join(p.read_text(errors="replace") for p in sorted(self.base.glob("hub*.log")))

    def start(self) -> None:
        log = open(self.base / f"hub{time.monotonic_ns()}.log", "w")
        self.proc = subprocess.Popen([shutil.which("jupyterhub", path=os.path.dirname(sys.executable)), "-f",
                                      str(REPO / "deploy" / "jupyterhub_config.py")],
                                     cwd=self.base / "home" / "hub", env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                     start_new_session=True)

        def answers() -> bool:
            assert self.proc.poll() is None, self.log()[-3000:]
            try:
                return requests.get(f"{self.url}/hub/api/", timeout=2).ok
            except requests.ConnectionError:
                return False

        wait_until(answers, 120, "the hub to answer", pause=0.5)

    def ensure_running(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=10).ok:
                    return
            except requests.RequestException:
                pass
            self.kill()  # alive but not answering (a test stopped it and it is still going): start afresh
            self.proc.wait(timeout=30)
        self.start()

    def kill(self) -> None:
        if self.proc and self.proc.poll() is None:
            for pid in descendants(self.proc.pid) | {self.proc.pid}:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def token(self, user: str) -> dict:
        if user not in self.tokens:
            r = requests.post(f"{self.url}/hub/api/users/{user}/tokens", headers=self.admin,
                              json={"expires_in": 3600, "note": "test"})
            assert r.status_code == 201, r.text
            self.tokens[user] = {"Authorization": f"token {r.json()['token']}"}
        return self.tokens[user]

    def server(self, user: str) -> dict | None:
        return requests.get(f"{self.url}/hub/api/users/{user}", headers=self.admin).json()["servers"].get("")

    def ensure_server(self, user: str) -> None:
        if (self.server(user) or {}).get("ready"):
            return
        r = requests.post(f"{self.url}/hub/api/users/{user}/server", headers=self.token(user))
        assert r.status_code in (201, 202, 400), r.text  # 400: already on its way
        wait_until(lambda: (self.server(user) or {}).get("ready"), 180, f"{user}'s server\n{self.log()[-3000:]}")

    def stop_server(self, user: str) -> None:
        requests.delete(f"{self.url}/hub/api/users/{user}/server", headers=self.admin)
        wait_until(lambda: self.server(user) is None, 60, f"{user}'s server to stop")


@pytest.fixture(scope="module")
def module_hub(other_users_run_python):
    from wagamama.hub import accounts

    base = Path(tempfile.mkdtemp(prefix="wagamama-hub-"))
    os.chmod(base, 0o755)
    env = dict(os.environ, WAGAMAMA_HOME=str(base / "home"), PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    old_home = os.environ.get("WAGAMAMA_HOME")
    os.environ["WAGAMAMA_HOME"] = env["WAGAMAMA_HOME"]
    ports = {"port": free_port(), "hub_port": free_port(), "proxy_api_port": free_port()}
    wagamama = [sys.executable, "-m", "wagamama.cli"]
    users = [*ALL_LEARNERS, *INSTRUCTORS.values(), f"grader-{A}", f"grader-{B}"]
    hub = Hub(base, env, ports)
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
        # One server starts at a time on this hub: the queue is visible with three learners.
        subprocess.run([*wagamama, "hub", "render", "--auth", "shared-password", "--shared-password", PASSWORD,
                        "--homes", str(base / "homes"), "--spawn-concurrency", "1", "--server-start-seconds", "10",
                        *[f"--{k.replace('_', '-')}={v}" for k, v in ports.items()]],
                       env=env, check=True, capture_output=True)
        yield hub
    finally:
        hub.kill()
        for user in users:
            accounts.remove_user(user)
        for cohort in (A, B):
            accounts.remove_user(f"nbgrader-{cohort}")
        shutil.rmtree(base, ignore_errors=True)
        if old_home is None:
            os.environ.pop("WAGAMAMA_HOME", None)
        else:
            os.environ["WAGAMAMA_HOME"] = old_home


@pytest.fixture
def hub(module_hub) -> Hub:
    module_hub.ensure_running()
    return module_hub


@pytest.fixture
def learners(hub) -> dict[str, dict]:
    """Every learner's server running; their API tokens."""
    for name in ALL_LEARNERS:
        hub.ensure_server(name)
    return {name: hub.token(name) for name in ALL_LEARNERS}


def server(hub, user: str, path: str) -> str:
    return f"{hub.url}/user/{user}/{path}"


def formgrader(hub, cohort: str, path: str) -> str:
    return f"{hub.url}/services/{cohort}/formgrader/api/{path}"


@pytest.fixture
def submitted(hub, learners) -> None:
    """Each learner has fetched ex01 through the Assignment List's API, filled it in and submitted (once)."""
    from wagamama.cases import filled, load_cases
    from wagamama.cohort import open_cohort

    if hub.submitted:
        return
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
    hub.submitted = True


def test_an_id_that_names_a_system_account_stops_hub_render_before_anything_is_made():
    from wagamama.errors import WagamamaError
    from wagamama.hub.config import refuse_system_accounts
    from wagamama.hub.plan import CohortPlan, HubPlan

    plan = HubPlan([CohortPlan("c1", "講座", 9100, ["daemon", "nobody", f"hana{TAG}"], ["www-data"])])
    with pytest.raises(WagamamaError) as e:
        refuse_system_accounts(plan)
    assert all(f" {i}: " in e.value.message for i in ("daemon", "nobody", "www-data"))
    assert f"hana{TAG}" not in e.value.message


def test_the_class_start_is_at_or_the_next_one_today_in_the_cohorts_schedule(home):
    from wagamama.cohort import create_cohort
    from wagamama.errors import WagamamaError
    from wagamama.hub.warm import class_start

    cohort = create_cohort("jikanwari", "oneday", "時間割のある講座")
    tokyo = ZoneInfo("Asia/Tokyo")
    morning = dt.datetime(2026, 4, 11, 9, 30, tzinfo=tokyo)
    assert class_start(cohort, "10:00", morning) == dt.datetime(2026, 4, 11, 10, 0, tzinfo=tokyo)
    # a machine on UTC: 00:30 there is 09:30 in Tokyo, and 10:00 is the cohort's 10:00, half an hour later
    assert class_start(cohort, "10:00", morning.astimezone(dt.UTC)) == dt.datetime(2026, 4, 11, 10, 0, tzinfo=tokyo)
    assert class_start(cohort, None, morning) is None  # no schedule
    cohort.meta["schedule"] = [{"start": "2026-04-11T13:00", "notebook": NOTEBOOK}, "2026-04-11T10:00",
                               "2026-04-18T10:00"]
    assert class_start(cohort, None, morning).hour == 10
    assert class_start(cohort, None, morning.replace(hour=11)).hour == 13
    assert class_start(cohort, None, morning.replace(hour=14)) is None  # the next class is another day
    with pytest.raises(WagamamaError, match="時刻として読めません"):
        class_start(cohort, "10時", morning)


def test_learner_logs_in_with_the_form(hub):
    s = requests.Session()
    s.get(f"{hub.url}/hub/login")
    r = s.post(f"{hub.url}/hub/login", data={"username": LEARNERS[A][0], "password": PASSWORD,
                                             "_xsrf": s.cookies.get("_xsrf")}, allow_redirects=False)
    assert r.status_code == 302
    bad = requests.Session()
    bad.get(f"{hub.url}/hub/login")
    r = bad.post(f"{hub.url}/hub/login", data={"username": LEARNERS[A][0], "password": "wrong-password",
                                               "_xsrf": bad.cookies.get("_xsrf")}, allow_redirects=False)
    assert r.status_code == 403


def test_groups_roles_and_services_come_from_the_cohorts(hub):
    groups = {g["name"]: g for g in requests.get(f"{hub.url}/hub/api/groups", headers=hub.admin).json()}
    assert sorted(groups[f"nbgrader-{A}"]["users"]) == sorted(LEARNERS[A])
    assert sorted(groups[f"formgrade-{B}"]["users"]) == sorted([INSTRUCTORS[B], f"grader-{B}"])
    services = requests.get(f"{hub.url}/hub/api/services", headers=hub.admin).json()
    assert {A, B, "wagamama", "idle-culler"} <= set(services)


def test_learners_fetch_edit_and_submit(hub, submitted):
    # each learner is a real Unix user: the submission in the exchange carries their uid
    import pwd

    inbound = Path(hub.env["WAGAMAMA_HOME"]) / "exchange" / A / "inbound"
    owners = {p.name.split("+")[0]: p.stat().st_uid for p in inbound.iterdir()}
    assert owners == {n: pwd.getpwnam(n).pw_uid for n in LEARNERS[A]}


def test_instructor_collects_autogrades_and_releases_feedback(hub, learners, submitted):
    from wagamama.cases import load_cases

    h = hub.token(INSTRUCTORS[A])
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
    assert requests.get(f"{hub.url}/services/{A}/formgrader", headers=h).status_code == 403
    assert requests.get(server(hub, taro, "api/contents"), headers=h).status_code in (403, 404)
    listed = requests.get(server(hub, hana, "assignments"), params={"course_id": B}, headers=h)
    assert EX not in listed.text or not listed.json().get("success", True), listed.text
    requests.post(server(hub, hana, "assignments/fetch"), headers=h, data={"assignment_id": EX, "course_id": B})
    assert requests.get(server(hub, hana, f"api/contents/{B}"), headers=h).status_code == 404  # nothing came
    # learners have no formgrader of their own
    assert requests.get(server(hub, hana, "formgrader"), headers=h).status_code == 404
    instructor_a = hub.token(INSTRUCTORS[A])
    assert requests.get(formgrader(hub, A, "status"), headers=instructor_a).ok
    assert requests.get(formgrader(hub, B, "status"), headers=instructor_a).status_code == 403
    assert requests.get(server(hub, yui, "api/contents"), headers=instructor_a).status_code in (403, 404)


def test_isolation_on_disk(hub, submitted):
    import pwd

    hana, taro, yui = LEARNERS[A][0], LEARNERS[A][1], LEARNERS[B][0]
    home_taro = Path(pwd.getpwnam(taro).pw_dir)
    assert (home_taro / A / EX / f"{EX}.ipynb").exists()

    def can(user: str, *cmd: str) -> bool:
        return subprocess.run(["runuser", "-u", user, "--", *cmd], capture_output=True).returncode == 0

    assert not can(hana, "ls", str(home_taro))
    assert not can(hana, "cat", str(home_taro / A / EX / f"{EX}.ipynb"))
    exchange = Path(hub.env["WAGAMAMA_HOME"]) / "exchange"
    assert not can(hana, "ls", str(exchange / A / "inbound"))  # can hand in, cannot list others' hand-ins
    assert not can(yui, "ls", str(exchange / A))  # another cohort's exchange
    assert not can(hana, "ls", str(Path(hub.env["WAGAMAMA_HOME"]) / "cohorts" / A))  # gradebook, submissions
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


def test_a_learners_server_loads_what_learners_use_and_nothing_else(hub, learners):
    hana = LEARNERS[A][0]
    h = learners[hana]
    assert requests.get(server(hub, hana, "lab/api/translations/ja_JP"), headers=h).json()["data"]  # Japanese UI
    assert requests.get(server(hub, hana, "assignments"), params={"course_id": A}, headers=h).ok  # nbgrader
    assert requests.get(server(hub, hana, "voila/tree"), headers=h).ok  # Voilà
    for path in ("api/terminals", "lsp/status", "tree", "formgrader", "formgraders"):  # not a learner's
        assert requests.get(server(hub, hana, path), headers=h).status_code == 404, path
    page = requests.get(server(hub, hana, "lab"), headers=h).text
    assert '"buildCheck": false' in page and "@jupyter-notebook/lab-extension" in page
    assert '"@jupyterlab/lsp-extension"' in page  # off: its lsp/status request would only get the 404 above
    import pwd

    uid = pwd.getpwnam(hana).pw_uid
    commands = [Path(f"/proc/{p}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                for p in filter(str.isdigit, os.listdir("/proc")) if os.stat(f"/proc/{p}").st_uid == uid]
    assert any("wagamama.hub.singleuser" in c for c in commands), commands


def progress_events(hub, user: str) -> list[dict]:
    """The spawn's progress stream (what the spawn-pending page shows), read until the spawn is over."""
    events = []
    with requests.get(f"{hub.url}/hub/api/users/{user}/server/progress", headers=hub.token(user), stream=True,
                      timeout=300) as r:
        for line in r.iter_lines(decode_unicode=True):
            if line and line.startswith("data:"):
                events.append(json.loads(line[5:]))
                if events[-1].get("ready") or events[-1].get("failed"):
                    break
    return events


def test_a_class_logging_in_at_once_starts_one_by_one_and_waits_in_japanese(hub):
    """This hub starts one server at a time: three learners at once queue, see their place, and all get in."""
    for name in ALL_LEARNERS:
        if hub.server(name):
            hub.stop_server(name)
    mark = len(hub.log())
    for name in ALL_LEARNERS:
        r = requests.post(f"{hub.url}/hub/api/users/{name}/server", headers=hub.token(name))
        assert r.status_code in (201, 202), r.text
    streams = {name: progress_events(hub, name) for name in ALL_LEARNERS}
    for name, events in streams.items():
        assert events[-1].get("ready"), (name, events)
    said = [e["message"] for events in streams.values() for e in events]
    assert any(re.match(r"順番を待っています。前に [12] 人います", m) for m in said), said
    # one at a time: no two starts overlapped (the hub logs how long each waited and took)
    starts = []
    for line in hub.log()[mark:].splitlines():
        m = re.search(r" (\d\d:\d\d:\d\d\.\d+) .*Start of (\S+): waited ([\d.]+)s in line, started in ([\d.]+)s \(1 at a time\)",
                      line)
        if m and m.group(2) in ALL_LEARNERS:
            end = dt.datetime.strptime(m.group(1), "%H:%M:%S.%f")
            starts.append((end - dt.timedelta(seconds=float(m.group(4))), end))
    assert len(starts) == 3, hub.log()[mark:][-3000:]
    starts.sort()
    assert all(later[0] >= earlier[1] - dt.timedelta(seconds=0.2)
               for earlier, later in zip(starts, starts[1:], strict=False)), starts


def test_warmed_servers_are_ready_for_class_and_the_culler_waits_for_it(hub):
    import asyncio
    import logging

    from jupyterhub_idle_culler import cull_idle

    from wagamama.hub.warm import keep_until_class, write_marks

    hana, taro, yui = LEARNERS[A][0], LEARNERS[A][1], LEARNERS[B][0]
    for name in ALL_LEARNERS:
        if hub.server(name):
            hub.stop_server(name)
    hub.ensure_server(yui)  # another cohort's learner, not warmed
    # --at HH:MM is a time of the cohort's zone (Asia/Tokyo), whatever the machine's clock says
    now = dt.datetime.now(ZoneInfo("Asia/Tokyo"))
    start = (now + dt.timedelta(minutes=30)).strftime("%H:%M")
    if start < now.strftime("%H:%M"):  # 23:30 or later: tomorrow's date and time
        start = (now + dt.timedelta(minutes=30)).isoformat(timespec="minutes")
    done = subprocess.run([sys.executable, "-m", "wagamama.cli", "hub", "warm", A, "--at", start, "--notebook", NOTEBOOK],
                          env=hub.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"講座 {A} の受講者 2 人のサーバーを準備します" in done.stdout and "2 人のうち 2 人" in done.stdout, done.stdout
    for name in LEARNERS[A]:
        assert (hub.server(name) or {}).get("ready"), name
        sessions = requests.get(server(hub, name, "api/sessions"), headers=hub.token(name)).json()
        assert [s["path"] for s in sessions] == [NOTEBOOK]  # the class's notebook has its kernel already
    # The culler service calls keep_until_class. With an idle limit of 0 s every server is idle past it:
    # the warmed ones stay until their class starts, the others are stopped.
    culler = Path(hub.env["WAGAMAMA_HOME"]) / "hub" / "idle_culler_config.py"
    assert "keep_until_class" in culler.read_text()
    assert f"--config={culler}" in json.dumps(requests.get(f"{hub.url}/hub/api/services/idle-culler",
                                                           headers=hub.admin).json())

    def cull() -> None:
        asyncio.run(cull_idle(f"{hub.url}/hub/api", hub.admin["Authorization"].split()[1], 0,
                              logging.getLogger("test-culler"), cull_arbiter=keep_until_class))

    cull()
    wait_until(lambda: hub.server(yui) is None, 30, "the culler to stop the learner who was not warmed")
    assert all((hub.server(n) or {}).get("ready") for n in LEARNERS[A])
    # once the class has started, an unused warmed server is idle from the start on
    write_marks([hana, taro], dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5), dt.datetime.now(dt.UTC))
    cull()
    wait_until(lambda: hub.server(hana) is None and hub.server(taro) is None, 30, "the culler after class start")


def test_japanese_jupyterlab_in_a_real_browser(hub, learners, tmp_path):
    chromium = shutil.which("chromium")
    need(chromium is not None, "chromium", "sudo make system-deps")
    from playwright.sync_api import sync_playwright

    yui = LEARNERS[B][0]
    hub.stop_server(yui)  # she arrives while her server is not running: the Japanese progress page first
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{hub.url}/hub/login")
        page.fill("input[name=username]", yui)
        page.fill("input[name=password]", PASSWORD)
        with page.expect_response(lambda r: "/hub/spawn-pending/" in r.url, timeout=60_000) as pending:
            page.click("input[type=submit], button[type=submit]")
        text = pending.value.text()
        assert "サーバーを準備しています" in text and "この画面のまま、お待ちください" in text
        page.wait_for_url(f"**/user/{yui}/lab/**", timeout=180_000)  # the page opens JupyterLab by itself
        page.goto(f"{hub.url}/user/{yui}/lab/tree/{NOTEBOOK}")
        page.get_by_text("ファイル", exact=True).first.wait_for(timeout=90_000)
        assert page.get_by_text("カーネル", exact=True).first.is_visible()
        # As a beginner does: from the top, Shift+Enter cell by cell (the lesson's error examples do not stop
        # this) down to question 0's check, whose answer is still None.
        page.locator(".jp-Notebook .jp-Cell").first.click()
        cells = json.loads((REPO / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
        upto = next(i for i, c in enumerate(cells) if c.get("id") == "q0_check")
        active = ("i => [...document.querySelectorAll('.jp-Notebook .jp-Cell')]"
                  ".findIndex(c => c.classList.contains('jp-mod-active')) > i")
        for i in range(upto + 1):
            page.keyboard.press("Shift+Enter")
            page.wait_for_function(active, arg=i, timeout=30_000)  # the next cell is active: go on
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
    env = {"JUPYTERHUB_SERVICE_PREFIX": f"/user/{hana}/", "WAGAMAMA_PUBLIC_URL": hub.url + "/",
           "JPY_SESSION_NAME": "memo.ipynb"}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        assert page_url() == server(hub, hana, "voila/render/memo.ipynb")
    finally:
        for k, v in old.items():
            os.environ.pop(k) if v is None else os.environ.__setitem__(k, v)


def test_everything_stops_within_ten_seconds(hub, learners):
    proc = hub.proc
    alive = descendants(proc.pid)
    commands = " ".join(Path(f"/proc/{p}/cmdline").read_text() for p in alive if Path(f"/proc/{p}/cmdline").exists())
    assert "wagamama.hub.singleuser" in commands and "configurable-http-proxy" in commands and "idle_culler" in commands
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        raise AssertionError("the hub did not stop within 10 s\n" + hub.log()[-4000:]) from None
    deadline = time.monotonic() + 10
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if Path(f"/proc/{pid}").exists() and
                 "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()}
        time.sleep(0.2)
    assert not alive, json.dumps([Path(f"/proc/{p}/cmdline").read_text() for p in alive])
    # the next test that needs the hub starts it again (the `hub` fixture)
