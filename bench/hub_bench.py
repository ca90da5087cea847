"""How many learners does one hub on this machine hold?

Starts a real JupyterHub (shared-password login, real Unix learners) and, for growing waves of
simulated learners, lets the learners of a wave arrive --arrival seconds apart (as a class logs in;
--arrival 0 makes them all press the button at once): each gets a token, spawns a server, starts a
kernel, runs one self-check cell, and stays. Prints per wave: spawn time (median, p95), time to run the
first cell, the hub's memory and the memory per learner server (all their processes), and stops at the
first wave whose spawn p95 passes 10 s. Root only; everything on 127.0.0.1.

    sudo .venv/bin/python bench/hub_bench.py --waves 5,10,20,30 --arrival 3
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

REPO = Path(__file__).resolve().parents[1]
P95_LIMIT = 10.0


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except FileNotFoundError:
            pass
    return total / 1024


def pids_of(user: str) -> list[int]:
    out = subprocess.run(["pgrep", "-u", user], capture_output=True, text=True).stdout.split()
    return [int(p) for p in out]


async def run_cell(base: str, user: str, headers: dict) -> None:
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    r = requests.post(f"{base}/user/{user}/api/kernels", headers=headers, json={"name": "python3"})
    r.raise_for_status()
    kernel = r.json()["id"]
    ws = await websocket_connect(HTTPRequest(f"{base.replace('http', 'ws')}/user/{user}/api/kernels/{kernel}/channels",
                                             headers=headers))
    msg_id = uuid.uuid4().hex
    await ws.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": user, "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": "from wagamama.check import expect\nexpect(2 * 4, 8, '問題0')", "silent": False}}))
    while True:
        reply = json.loads(await ws.read_message())
        if reply.get("parent_header", {}).get("msg_id") == msg_id and reply["msg_type"] == "execute_reply":
            assert reply["content"]["status"] == "ok", reply["content"]
            break
    ws.close()


def learner(base: str, admin: dict, user: str) -> dict:
    r = requests.post(f"{base}/hub/api/users/{user}/tokens", headers=admin, json={"expires_in": 3600})
    headers = {"Authorization": f"token {r.json()['token']}"}
    t0 = time.monotonic()
    requests.post(f"{base}/hub/api/users/{user}/server", headers=headers).raise_for_status()
    while not requests.get(f"{base}/hub/api/users/{user}", headers=headers).json()["servers"].get("", {}).get("ready"):
        if time.monotonic() - t0 > 180:
            raise TimeoutError(user)
        time.sleep(0.2)
    spawned = time.monotonic() - t0
    asyncio.run(run_cell(base, user, headers))
    return {"user": user, "spawn": spawned, "cell": time.monotonic() - t0 - spawned}


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--waves", default="5,10,20,30")
    parser.add_argument("--arrival", type=float, default=3.0, help="seconds between two learners of a wave")
    args = parser.parse_args()
    waves = [int(w) for w in args.waves.split(",")]
    if os.geteuid() != 0:
        sys.exit("root only: learners are Unix users")
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]  # nbgrader runs alembic
    base_dir = Path(tempfile.mkdtemp(prefix="wagamama-hubbench-"))
    os.chmod(base_dir, 0o755)
    os.environ["WAGAMAMA_HOME"] = str(base_dir / "home")
    from wagamama.app.serve import free_port
    from wagamama.cohort import create_cohort, open_cohort
    from wagamama.hub import accounts
    from wagamama.hub.config import HubSettings
    from wagamama.hub.sync import add_learner, sync

    tag = secrets.token_hex(2)
    users = [f"b{tag}u{i:03d}" for i in range(sum(waves))]
    create_cohort("bench", "oneday", "ベンチマーク")
    for user in users:
        add_learner(open_cohort("bench"), user)
    password = secrets.token_hex(8)
    settings = HubSettings(port=free_port(), hub_port=free_port(), proxy_api_port=free_port(), auth="shared-password",
                           shared_password=password, homes=str(base_dir / "homes"))
    t_setup = time.monotonic()
    sync(settings)
    print(f"{len(users)} learners as Unix users, hub rendered in {time.monotonic() - t_setup:.1f}s", flush=True)
    log = open(base_dir / "hub.log", "w")
    hub = subprocess.Popen([shutil.which("jupyterhub", path=os.path.dirname(sys.executable)), "-f",
                            str(REPO / "deploy" / "jupyterhub_config.py")], cwd=base_dir / "home" / "hub",
                           stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{settings.port}"
    admin = {"Authorization": f"token {(base_dir / 'home' / 'hub' / 'admin-token').read_text().strip()}"}
    t0 = time.monotonic()
    while True:
        try:
            if requests.get(f"{url}/hub/api/", timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.5)
    print(f"hub up in {time.monotonic() - t0:.1f}s, memory {rss_mb([hub.pid]):.0f} MB; learners arrive "
          f"{args.arrival:g}s apart within a wave", flush=True)
    print(f"{'wave':>5} {'running':>8} {'spawn med':>10} {'spawn p95':>10} {'cell med':>9} {'hub MB':>7} {'MB/learner':>10}")
    started: list[str] = []
    try:
        for size in waves:
            wave = users[len(started):len(started) + size]
            def arrive(i_user):
                time.sleep(i_user[0] * args.arrival)
                return learner(url, admin, i_user[1])

            with ThreadPoolExecutor(max_workers=size) as pool:
                results = list(pool.map(arrive, enumerate(wave)))
            started += wave
            spawns = [r["spawn"] for r in results]
            per = statistics.median(rss_mb(pids_of(u)) for u in started)
            print(f"{size:5d} {len(started):8d} {statistics.median(spawns):9.1f}s {p95(spawns):9.1f}s "
                  f"{statistics.median(r['cell'] for r in results):8.1f}s {rss_mb([hub.pid]):7.0f} {per:10.0f}", flush=True)
            if p95(spawns) > P95_LIMIT:
                print(f"spawn p95 passed {P95_LIMIT:.0f}s with {len(started)} learners running at once")
                break
        else:
            print(f"spawn p95 stayed under {P95_LIMIT:.0f}s up to {len(started)} learners running at once")
    finally:
        hub.terminate()
        try:
            hub.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hub.kill()
        for user in users + ["grader-bench"]:
            subprocess.run(["pkill", "-KILL", "-u", user], capture_output=True)
            accounts.remove_user(user)
        accounts.remove_user("nbgrader-bench")
        shutil.rmtree(base_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
