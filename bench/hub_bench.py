"""How a class logs in to one hub on this machine. Root only; a real JupyterHub, real Unix learners, 127.0.0.1.

    sudo .venv/bin/python bench/hub_bench.py start-cost   # CPU of one learner server start: before / after the cuts
    sudo .venv/bin/python bench/hub_bench.py capacity     # 1..4 starts at a time: the pace for `hub render`
    sudo .venv/bin/python bench/hub_bench.py class        # 20 learners log in within 10 s, cold and warmed
    sudo .venv/bin/python bench/hub_bench.py waves --waves 5,10,20,30 --arrival 3   # how many at once

start-cost
    Spawns one learner's server through the hub again and again and adds up the CPU of that learner's
    processes when it answers (plus 2 s). Three variants, interleaved so the machine's other load
    spreads over all: ``before`` (plain jupyterhub-singleuser, every installed server extension: the hub
    before issue 16), ``launcher`` (wagamama.hub.singleuser: no IRI grammar, no node at import) and
    ``after`` (the launcher and the learner's own extensions only: what `hub render` writes now).
capacity
    For 1, 2, 3 and 4 starts at a time (the hub's queue, spawn_queue.py), starts 8 servers at once and
    prints the throughput and the p95 of one start; recommends ``--spawn-concurrency`` and
    ``--server-start-seconds`` for ``wagamama hub render``.
class
    Learners arrive evenly within --within seconds and do what a learner's browser does: the login form,
    the spawn-pending page and its progress stream, JupyterLab's page with every request chromium made
    for it (recorded once with a probe learner), opening the notebook (a kernel session) and running its
    first code cell. Reports the time from pressing "login" to the first cell's result (p50, p95, max),
    failures (an error page, a failed spawn, an HTTP error on that path), memory and CPU per learner.
    ``cold``: no server runs. ``warm``: ``wagamama hub warm`` ran first, with the notebook.
waves
    Growing waves of learners (token, spawn, one cell) until the spawn p95 passes 10 s.

The machine may be busy with other work: every scenario prints the load average it ran under.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import requests

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "curriculum/00_hajimete/00_hajimete.ipynb"
P95_LIMIT = 10.0
CLK = os.sysconf("SC_CLK_TCK")


# --- measuring processes -------------------------------------------------------------------------------
def proc_stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def cpu_seconds(pids: list[int], children: bool = True) -> float:
    total = 0.0
    for pid in pids:
        try:
            f = proc_stat(pid)
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += sum(int(x) for x in f[11:15 if children else 13]) / CLK
    return total


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            total += int(proc_stat(pid)[21]) * os.sysconf("SC_PAGE_SIZE")
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total / 2**20


def pids_of(users: list[str]) -> list[int]:
    import pwd

    uids = {pwd.getpwnam(u).pw_uid for u in users}
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.stat(f"/proc/{pid}").st_uid in uids:
                found.append(int(pid))
        except FileNotFoundError:
            pass
    return found


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# --- one hub for the whole run ---------------------------------------------------------------------------
# The hub's own config, plus what the bench switches between runs (read at each spawn): the pace of the
# queue, and for start-cost the learner's server as it was before issue 16.
BENCH_CONFIG = '''
import json
from pathlib import Path
exec(compile(Path({deploy!r}).read_text(), {deploy!r}, "exec"))
c = get_config()  # noqa: F821
_hook, _cmd = c.Spawner.pre_spawn_hook, list(c.Spawner.cmd)

def bench_hook(spawner):
    _hook(spawner)
    o = json.loads(Path({overrides!r}).read_text())
    if "concurrent_starts" in o:
        spawner.concurrent_starts = o["concurrent_starts"]
    spawner.cmd = [{singleuser!r}] if o.get("variant") == "before" else list(_cmd)
    if o.get("variant") in ("before", "launcher"):
        spawner.environment["JUPYTER_CONFIG_PATH"] = {before!r}
        spawner.environment.pop("JUPYTERHUB_SINGLEUSER_LOAD_OTHER_EXTENSIONS", None)

c.Spawner.pre_spawn_hook = bench_hook
'''
# The learner's config folder before issue 16: every installed extension but nbgrader's instructor ones.
BEFORE_FILES = {
    "jupyter_server_config.d/wagamama-learner.json": json.dumps({"ServerApp": {"jpserver_extensions": {
        "nbgrader.server_extensions.formgrader": False, "nbgrader.server_extensions.course_list": False}}}),
    "labconfig/page_config.json": json.dumps({"disabledExtensions": {
        "@jupyter/nbgrader:formgrader": True, "@jupyter/nbgrader:create-assignment": True,
        "@jupyter/nbgrader:course-list": True}}),
}


class BenchHub:
    def __init__(self, learners: int):
        self.base = Path(tempfile.mkdtemp(prefix="wagamama-hubbench-"))
        os.chmod(self.base, 0o755)
        os.environ["WAGAMAMA_HOME"] = str(self.base / "home")
        os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]  # alembic
        tag = secrets.token_hex(2)
        self.users = [f"b{tag}u{i:03d}" for i in range(learners)]
        self.probe = f"b{tag}probe"
        self.password = secrets.token_hex(8)
        self.proc = None

    def __enter__(self) -> BenchHub:
        from wagamama.app.serve import free_port
        from wagamama.cohort import create_cohort, open_cohort
        from wagamama.hub.config import HubSettings, config_dir
        from wagamama.hub.sync import add_learner, sync

        self.cohort = create_cohort("bench", "oneday", "ベンチマーク")
        for user in [*self.users, self.probe]:
            add_learner(open_cohort("bench"), user)
        self.settings = HubSettings(port=free_port(), hub_port=free_port(), proxy_api_port=free_port(),
                                    auth="shared-password", shared_password=self.password,
                                    homes=str(self.base / "homes"))
        t0 = time.monotonic()
        sync(self.settings)
        print(f"{len(self.users) + 1} learners as Unix users, hub rendered in {time.monotonic() - t0:.1f}s", flush=True)
        hub_dir = self.base / "home" / "hub"
        before = config_dir("before")
        for name, text in [*BEFORE_FILES.items(), ("nbgrader_config.py",
                                                   (config_dir("learner") / "nbgrader_config.py").read_text())]:
            (before / name).parent.mkdir(parents=True, exist_ok=True)
            (before / name).write_text(text)
        for folder in [before, *before.rglob("*")]:
            os.chmod(folder, 0o755 if folder.is_dir() else 0o644)
        self.overrides = hub_dir / "bench-overrides.json"
        self.override()
        config = hub_dir / "bench_config.py"
        config.write_text(BENCH_CONFIG.format(deploy=str(REPO / "deploy" / "jupyterhub_config.py"),
                                              overrides=str(self.overrides), before=str(before),
                                              singleuser=shutil.which("jupyterhub-singleuser")))
        self.log = self.base / "hub.log"
        self.proc = subprocess.Popen([shutil.which("jupyterhub"), "-f", str(config)], cwd=hub_dir,
                                     stdout=open(self.log, "w"), stderr=subprocess.STDOUT, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.settings.port}"
        self.admin = {"Authorization": f"token {(hub_dir / 'admin-token').read_text().strip()}"}
        t0 = time.monotonic()
        while True:
            try:
                if requests.get(f"{self.url}/hub/api/", timeout=2).ok:
                    break
            except requests.ConnectionError:
                pass
            if self.proc.poll() is not None or time.monotonic() - t0 > 120:
                sys.exit(self.log.read_text()[-3000:])
            time.sleep(0.5)
        print(f"hub up in {time.monotonic() - t0:.1f}s, memory {rss_mb([self.proc.pid]):.0f} MB; "
              f"load average {load()}", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        from wagamama.hub import accounts

        if self.proc:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        for user in [*self.users, self.probe, "grader-bench"]:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            accounts.remove_user(user)
        accounts.remove_user("nbgrader-bench")
        shutil.rmtree(self.base, ignore_errors=True)

    def override(self, **values) -> None:
        self.overrides.write_text(json.dumps(values))
        os.chmod(self.overrides, 0o644)

    def hub_pids(self) -> list[int]:
        proxy = self.base / "home" / "hub" / "proxy.pid"
        return [self.proc.pid] + ([int(proxy.read_text())] if proxy.exists() else [])

    def model(self, user: str) -> dict:
        return requests.get(f"{self.url}/hub/api/users/{user}", headers=self.admin, timeout=30).json()

    def spawn(self, user: str) -> None:
        r = requests.post(f"{self.url}/hub/api/users/{user}/server", headers=self.admin, timeout=60)
        assert r.status_code in (201, 202), r.text

    def wait_ready(self, user: str, limit: float = 300) -> float:
        t0 = time.monotonic()
        while True:
            server = self.model(user)["servers"].get("")
            if server and server.get("ready"):
                return time.monotonic() - t0
            if not server or time.monotonic() - t0 > limit:
                raise RuntimeError(f"{user}: no server after {time.monotonic() - t0:.0f}s (see {self.log})")
            time.sleep(0.25)

    def stop_all(self) -> None:
        for user in [*self.users, self.probe]:
            requests.delete(f"{self.url}/hub/api/users/{user}/server", headers=self.admin, timeout=60)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(self.model(u)["servers"] for u in [*self.users, self.probe]):
            time.sleep(0.5)
        while pids_of([*self.users, self.probe]) and time.monotonic() < deadline:
            time.sleep(0.5)


# --- start-cost -----------------------------------------------------------------------------------------
def page_load_cpu(hub: BenchHub, user: str, paths: list[str]) -> float:
    """CPU the learner's server and the proxy spend on one JupyterLab page load (the recorded GETs)."""
    s = requests.Session()
    s.get(f"{hub.url}/hub/login", timeout=60)
    s.post(f"{hub.url}/hub/login", data={"username": user, "password": hub.password,
                                         "_xsrf": s.cookies.get("_xsrf", path="/hub/")}, timeout=300)
    mine = pids_of([user]) + hub.hub_pids()[1:]
    cpu0 = cpu_seconds(mine)
    s.get(f"{hub.url}/user/{user}/lab/tree/{NOTEBOOK}", timeout=300).raise_for_status()
    for path in paths:
        s.get(f"{hub.url}/user/{user}/{path}", timeout=300)
    return cpu_seconds(mine) - cpu0


def start_cost(hub: BenchHub, repeat: int) -> None:
    variants = ["before", "launcher", "after"]
    pages = {}
    for v in variants:  # what JupyterLab asks for depends on the server (e.g. no build check after)
        hub.override(variant=v)
        hub.stop_all()
        pages[v] = record_lab(hub)
    print(f"\nCPU of one learner server start (spawned through the hub; median of {repeat}; the server's "
          f"processes until it answers + 2 s), then of one JupyterLab page load (server and proxy)", flush=True)
    results: dict[str, list[tuple[float, float, float, float]]] = {v: [] for v in variants}
    for r in range(repeat):
        for v in variants[r % 3:] + variants[:r % 3]:
            user = hub.users[variants.index(v)]
            hub.override(variant=v)
            hub.stop_all()
            hub_cpu = cpu_seconds([hub.proc.pid], children=False)
            hub.spawn(user)
            wall = hub.wait_ready(user)
            time.sleep(2)
            start = cpu_seconds(pids_of([user]))
            hub_cpu = cpu_seconds([hub.proc.pid], children=False) - hub_cpu
            results[v].append((start, wall, hub_cpu, page_load_cpu(hub, user, pages[v])))
    hub.stop_all()
    print(f"{'variant':>9} {'server CPU':>11} {'min':>6} {'ready after':>12} {'hub CPU':>8} {'page load CPU':>14} "
          f"{'requests':>9}")
    for v in variants:
        rows = results[v]
        print(f"{v:>9} {statistics.median(x[0] for x in rows):10.2f}s {min(x[0] for x in rows):5.2f}s "
              f"{statistics.median(x[1] for x in rows):11.1f}s {statistics.median(x[2] for x in rows):7.2f}s "
              f"{statistics.median(x[3] for x in rows):13.2f}s {len(pages[v]):9d}")
    for i, what in ((0, "server start"), (3, "page load")):
        before, after = (statistics.median(x[i] for x in results[v]) for v in ("before", "after"))
        print(f"{what} CPU {before:.2f}s → {after:.2f}s ({100 * (1 - after / before):.0f}% less)")
    print(f"load average {load()}")


# --- capacity -------------------------------------------------------------------------------------------
START_LINE = re.compile(r"Start of (\S+): waited ([\d.]+)s in line, started in ([\d.]+)s \((\d+) at a time\)")


def capacity(hub: BenchHub, levels: list[int], count: int) -> None:
    print(f"\n{count} servers requested at once, the hub starting 1..{max(levels)} at a time", flush=True)
    print(f"{'at a time':>9} {'all ready':>10} {'starts/min':>11} {'one start p50':>14} {'p95':>6}")
    best = None
    for level in levels:
        hub.override(concurrent_starts=level)
        hub.stop_all()
        users = hub.users[:count]
        mark = len(hub.log.read_text())
        t0 = time.monotonic()
        with ThreadPoolExecutor(max_workers=count) as pool:
            list(pool.map(hub.spawn, users))
            list(pool.map(hub.wait_ready, users))
        total = time.monotonic() - t0
        starts = [float(m.group(3)) for m in START_LINE.finditer(hub.log.read_text()[mark:]) if m.group(1) in users]
        rate = 60 * count / total
        print(f"{level:9d} {total:9.1f}s {rate:11.1f} {statistics.median(starts):13.1f}s {p95(starts):5.1f}s", flush=True)
        if best is None or rate > best[1] * 1.05:
            best = (level, rate, p95(starts))
    hub.stop_all()
    level, rate, start_p95 = best
    print(f"fastest pace: {level} at a time ({rate:.0f} starts/min), one start p95 {start_p95:.1f}s; load average {load()}")
    print(f"  sudo wagamama hub render --spawn-concurrency {level} --server-start-seconds {max(1.0, round(start_p95, 1))}")


# --- class arrives at once ------------------------------------------------------------------------------
def record_lab(hub: BenchHub) -> list[str]:
    """What chromium asks the learner's server for when it opens JupyterLab on the notebook (GETs)."""
    from playwright.sync_api import sync_playwright

    seen = []
    prefix = f"/user/{hub.probe}/"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=["--no-sandbox"])
        page = browser.new_page()
        page.on("request", lambda r: seen.append((r.method, r.url)))
        page.goto(f"{hub.url}/hub/login")
        page.fill("input[name=username]", hub.probe)
        page.fill("input[name=password]", hub.password)
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url(f"**{prefix}lab/**", timeout=180_000)
        page.goto(f"{hub.url}{prefix}lab/tree/{NOTEBOOK}")
        page.locator('.jp-Notebook-ExecutionIndicator[data-status="idle"]').first.wait_for(timeout=180_000)
        page.wait_for_timeout(2000)  # what JupyterLab fetches once the notebook is open
        browser.close()
    paths = []
    for method, url in seen:
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if method == "GET" and path.startswith(prefix) and "/api/kernels/" not in path and "/lab/tree/" not in path:
            rest = path[len(prefix):]
            if rest not in paths:
                paths.append(rest)
    return paths


def first_code_cell() -> str:
    cells = json.loads((REPO / NOTEBOOK).read_text(encoding="utf-8"))["cells"]
    return "".join(next(c for c in cells if c["cell_type"] == "code")["source"])


def learner_arrives(hub: BenchHub, user: str, lab_paths: list[str], code: str) -> dict:
    """One learner, as their browser: login form → (spawn-pending page, progress) → JupyterLab → notebook → cell."""
    import websocket

    s = requests.Session()
    out: dict = {"user": user, "error": None, "other_errors": 0, "error_paths": set()}
    s.get(f"{hub.url}/hub/login", timeout=60)
    t0 = time.monotonic()
    try:
        r = s.post(f"{hub.url}/hub/login", data={"username": user, "password": hub.password,
                                                 "_xsrf": s.cookies.get("_xsrf", path="/hub/")}, timeout=300)
        if "/spawn-pending/" in r.url:
            page = r.content.decode("utf-8")
            out["pending_page"] = "サーバーを準備しています" in page
            source = re.search(r'new EventSource\("([^"]+)"\)', page).group(1).replace("&amp;", "&")
            with s.get(f"{hub.url}{source}", stream=True, timeout=600) as events:
                for line in events.iter_lines(decode_unicode=True):
                    if line and line.startswith("data:"):
                        event = json.loads(line[5:])
                        if event.get("failed"):
                            raise RuntimeError(f"spawn failed: {event.get('message')}")
                        if event.get("ready"):
                            break
            out["ready"] = time.monotonic() - t0
            r = s.get(r.url, timeout=300)  # the page reloads itself and lands on the server
        else:
            out["ready"] = time.monotonic() - t0
        if r.status_code != 200 or f"/user/{user}/lab" not in r.url:
            raise RuntimeError(f"landed on {r.url} ({r.status_code})")
        r = s.get(f"{hub.url}/user/{user}/lab/tree/{NOTEBOOK}", timeout=300)
        r.raise_for_status()

        def fetch(path: str) -> None:
            status = s.get(f"{hub.url}/user/{user}/{path}", timeout=300).status_code
            if status >= 400:
                out["other_errors"] += 1
                out["error_paths"].add(f"{status} {path.split('?')[0]}")

        with ThreadPoolExecutor(max_workers=6) as pool:  # a browser's connections to one host
            list(pool.map(fetch, lab_paths))
        out["lab"] = time.monotonic() - t0
        xsrf = {"X-XSRFToken": s.cookies.get("_xsrf", path=f"/user/{user}/")}
        sessions = s.get(f"{hub.url}/user/{user}/api/sessions", headers=xsrf, timeout=300).json()
        session = next((x for x in sessions if x["path"] == NOTEBOOK), None)
        out["kernel_was_running"] = session is not None
        if session is None:
            r = s.post(f"{hub.url}/user/{user}/api/sessions", headers=xsrf, timeout=300,
                       json={"path": NOTEBOOK, "name": Path(NOTEBOOK).name, "type": "notebook",
                             "kernel": {"name": "python3"}})
            r.raise_for_status()
            session = r.json()
        cookies = "; ".join(f"{c.name}={c.value}" for c in s.cookies if f"/user/{user}/".startswith(c.path))
        ws = websocket.create_connection(
            f"{hub.url.replace('http', 'ws')}/user/{user}/api/kernels/{session['kernel']['id']}/channels"
            f"?session_id={uuid.uuid4().hex}", cookie=cookies, header=[f"X-XSRFToken: {xsrf['X-XSRFToken']}"],
            timeout=300)
        msg_id = uuid.uuid4().hex
        ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                                       "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
                            "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                            "content": {"code": code, "silent": False, "store_history": True}}))
        while True:
            reply = json.loads(ws.recv())
            if reply.get("parent_header", {}).get("msg_id") == msg_id and reply["msg_type"] == "execute_reply":
                if reply["content"]["status"] != "ok":
                    raise RuntimeError(f"cell: {reply['content']}")
                break
        ws.close()
        out["cell"] = time.monotonic() - t0
    except Exception as e:  # noqa: BLE001 — every failure is a learner who saw an error
        out["error"] = f"{type(e).__name__}: {str(e)[:200]}"
    out["t0"] = t0
    return out


def arrivals(hub: BenchHub, users: list[str], within: float, lab_paths: list[str], code: str):
    """The learners log in evenly within ``within`` seconds; returns (start, results, peak MB, CPU seconds)."""
    peak = [0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(1):
            peak[0] = max(peak[0], rss_mb(pids_of(users) + hub.hub_pids()))

    def arrive(i: int) -> dict:
        time.sleep(i * within / len(users))
        return learner_arrives(hub, users[i], lab_paths, code)

    sampler = threading.Thread(target=sample)
    sampler.start()
    cpu0 = cpu_seconds(hub.hub_pids(), children=False)
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=len(users)) as pool:
        results = list(pool.map(arrive, range(len(users))))
    done.set()
    sampler.join()
    cpu = cpu_seconds(pids_of(users)) + cpu_seconds(hub.hub_pids(), children=False) - cpu0
    return start, results, peak[0], cpu


def class_arrives(hub: BenchHub, count: int, within: float, modes: list[str], pace: int | None) -> None:
    from wagamama.cohort import open_cohort
    from wagamama.hub.warm import warm

    t0 = time.monotonic()
    lab_paths = record_lab(hub)
    print(f"\nJupyterLab on the notebook: chromium asked for {len(lab_paths)} URLs (recorded in "
          f"{time.monotonic() - t0:.0f}s with a probe learner); each simulated learner asks for the same", flush=True)
    code = first_code_cell()
    users = hub.users[:count]
    if pace:
        hub.settings.spawn_concurrency = pace  # `hub warm`'s pace; the hub's queue gets it through the overrides
    for mode in modes:
        hub.override(**({"concurrent_starts": pace} if pace else {}))
        hub.stop_all()
        note = ""
        if mode == "warm":
            start = (dt.datetime.now().astimezone() + dt.timedelta(minutes=20)).isoformat(timespec="minutes")
            t_warm = time.monotonic()
            result = warm(open_cohort("bench"), start, NOTEBOOK, hub.settings, say=lambda _: None)
            # the probe learner is in the cohort too: stop it, so that exactly `count` servers run
            requests.delete(f"{hub.url}/hub/api/users/{hub.probe}/server", headers=hub.admin, timeout=60)
            note = (f"; `hub warm` took {time.monotonic() - t_warm:.0f}s for {len(result.learners)} learners"
                    f" ({len(result.failed)} failed)")
        before = load()
        start, results, peak, cpu = arrivals(hub, users, within, lab_paths, code)
        ok = [r for r in results if not r["error"]]
        cells = [r["cell"] for r in ok]
        learners_mb = rss_mb(pids_of(users))
        print(f"\n{mode}: {count} learners log in within {within:g}s{note}; load average {before} → {load()}")
        if cells:
            print(f"  login → first cell's result: p50 {statistics.median(cells):.1f}s, p95 {p95(cells):.1f}s, "
                  f"max {max(cells):.1f}s; the last result came {max(r['t0'] + r['cell'] for r in ok) - start:.1f}s "
                  f"after the first login")
            stages = {k: statistics.median(r[k] for r in ok) for k in ("ready", "lab", "cell")}
            print(f"  medians: server ready {stages['ready']:.1f}s, JupyterLab loaded {stages['lab']:.1f}s, "
                  f"first cell {stages['cell']:.1f}s; Japanese progress page seen by "
                  f"{sum(bool(r.get('pending_page')) for r in ok)}, kernel already running for "
                  f"{sum(bool(r.get('kernel_was_running')) for r in ok)}")
        print(f"  failures: {count - len(ok)}" + "".join(f"\n    {r['user']}: {r['error']}" for r in results if r["error"])
              + f"; other HTTP errors while JupyterLab loads (not shown to learners): {sum(r['other_errors'] for r in results)}"
              + "".join(f"\n    {p}" for p in sorted(set().union(*(r.get("error_paths", set()) for r in results)))))
        print(f"  memory: peak {peak:.0f} MB (learners' servers and kernels, hub, proxy); "
              f"{learners_mb / count:.0f} MB per learner at the end; "
              f"CPU {cpu / count:.1f}s per learner (server, kernel, hub and proxy)", flush=True)
    hub.stop_all()


# --- waves (as before) -----------------------------------------------------------------------------------
def run_cell_with_token(base: str, user: str, headers: dict) -> None:
    import websocket

    r = requests.post(f"{base}/user/{user}/api/kernels", headers=headers, json={"name": "python3"}, timeout=300)
    r.raise_for_status()
    ws = websocket.create_connection(f"{base.replace('http', 'ws')}/user/{user}/api/kernels/{r.json()['id']}/channels",
                                     header=[f"Authorization: {headers['Authorization']}"], timeout=300)
    msg_id = uuid.uuid4().hex
    ws.send(json.dumps({"header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user,
                                   "session": uuid.uuid4().hex, "version": "5.3", "date": ""},
                        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                        "content": {"code": "from wagamama.check import expect\nexpect(2 * 4, 8, '問題0')",
                                    "silent": False}}))
    while True:
        reply = json.loads(ws.recv())
        if reply.get("parent_header", {}).get("msg_id") == msg_id and reply["msg_type"] == "execute_reply":
            assert reply["content"]["status"] == "ok", reply["content"]
            break
    ws.close()


def waves(hub: BenchHub, sizes: list[int], arrival: float) -> None:
    print(f"\nwaves of learners arriving {arrival:g}s apart (token, spawn, one cell); load average {load()}")
    print(f"{'wave':>5} {'running':>8} {'spawn med':>10} {'spawn p95':>10} {'cell med':>9} {'hub MB':>7} {'MB/learner':>10}")
    started: list[str] = []

    def learner(i_user: tuple[int, str]) -> dict:
        i, user = i_user
        time.sleep(i * arrival)
        r = requests.post(f"{hub.url}/hub/api/users/{user}/tokens", headers=hub.admin, json={"expires_in": 3600})
        headers = {"Authorization": f"token {r.json()['token']}"}
        t0 = time.monotonic()
        requests.post(f"{hub.url}/hub/api/users/{user}/server", headers=headers).raise_for_status()
        hub.wait_ready(user)
        spawned = time.monotonic() - t0
        run_cell_with_token(hub.url, user, headers)
        return {"spawn": spawned, "cell": time.monotonic() - t0 - spawned}

    for size in sizes:
        wave = hub.users[len(started):len(started) + size]
        with ThreadPoolExecutor(max_workers=size) as pool:
            results = list(pool.map(learner, enumerate(wave)))
        started += wave
        spawns = [r["spawn"] for r in results]
        per = statistics.median(rss_mb(pids_of([u])) for u in started)
        print(f"{size:5d} {len(started):8d} {statistics.median(spawns):9.1f}s {p95(spawns):9.1f}s "
              f"{statistics.median(r['cell'] for r in results):8.1f}s {rss_mb([hub.proc.pid]):7.0f} {per:10.0f}", flush=True)
        if p95(spawns) > P95_LIMIT:
            print(f"spawn p95 passed {P95_LIMIT:.0f}s with {len(started)} learners running at once")
            break
    else:
        print(f"spawn p95 stayed under {P95_LIMIT:.0f}s up to {len(started)} learners running at once")
    hub.stop_all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("scenarios", nargs="*", default=["start-cost", "capacity", "class"],
                        choices=["start-cost", "capacity", "class", "waves"])
    parser.add_argument("--repeat", type=int, default=5, help="start-cost: starts per variant")
    parser.add_argument("--levels", default="1,2,3,4", help="capacity: starts at a time to try")
    parser.add_argument("--learners", type=int, default=20, help="class: learners")
    parser.add_argument("--within", type=float, default=10.0, help="class: seconds in which they all log in")
    parser.add_argument("--modes", default="cold,warm", help="class: cold, warm or both")
    parser.add_argument("--spawn-concurrency", type=int, help="class: the hub's pace (default: hub render's)")
    parser.add_argument("--waves", default="5,10,20,30")
    parser.add_argument("--arrival", type=float, default=3.0, help="waves: seconds between two learners of a wave")
    args = parser.parse_args()
    if os.geteuid() != 0:
        sys.exit("root only: learners are Unix users")
    levels = [int(x) for x in args.levels.split(",")]
    sizes = [int(w) for w in args.waves.split(",")]
    needed = max([args.learners if "class" in args.scenarios else 0, 8 if "capacity" in args.scenarios else 0, 3,
                  sum(sizes) if "waves" in args.scenarios else 0])
    print(f"{os.cpu_count()} cores, {os.sysconf('SC_PHYS_PAGES') * os.sysconf('SC_PAGE_SIZE') / 2**30:.0f} GB; "
          f"load average {load()}", flush=True)
    with BenchHub(needed) as hub:
        for scenario in args.scenarios:
            if scenario == "start-cost":
                start_cost(hub, args.repeat)
            elif scenario == "capacity":
                capacity(hub, levels, 8)
            elif scenario == "class":
                class_arrives(hub, args.learners, args.within, args.modes.split(","), args.spawn_concurrency)
            else:
                waves(hub, sizes, args.arrival)


if __name__ == "__main__":
    main()
