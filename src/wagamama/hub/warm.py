"""Ready before class: ``wagamama hub warm COHORT --at 10:00`` starts the learners' servers ahead of time.

Servers are started through the running hub's REST API (the operator's token), ``spawn_concurrency`` at a
time (hub.json: the pace measured with ``bench/hub_bench.py capacity``), with a line of progress in Japanese
for each learner. With ``--notebook`` the kernel of the class's first notebook is started too: when the
learner opens that notebook, JupyterLab finds the running kernel and the first cell runs at once.

The class start (``--at HH:MM``, or the next start today in cohort.json's ``"schedule"``) is written to
``$WAGAMAMA_HOME/hub/warm.json``, readable by root only. The idle culler (a hub service run as root) calls
:func:`keep_until_class` for every server: a warmed server is never stopped before its class starts, and
after the start its idle time is counted from the start, so an unused warmed server is stopped
``idle_timeout`` seconds after the class began, like any other.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from ..cohort import Cohort
from ..errors import WagamamaError
from .config import HubSettings, warm_marks_path
from .sync import hub_api

KEEP_MARKS = dt.timedelta(days=1)  # marks of classes that started longer ago are dropped


def read_marks(path: Path | None = None) -> dict[str, dt.datetime]:
    try:
        raw = json.loads((path or warm_marks_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {user: dt.datetime.fromisoformat(start) for user, start in raw.items()}


def write_marks(users: list[str], start: dt.datetime, now: dt.datetime) -> Path:
    path = warm_marks_path()
    marks = {u: s for u, s in read_marks(path).items() if s + KEEP_MARKS > now}
    marks.update({u: start for u in users})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(".warm.json.tmp")
    tmp.write_text(json.dumps({u: s.isoformat() for u, s in sorted(marks.items())}, indent=1) + "\n", encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)
    return path


def keep_until_class(*, inactive: dt.timedelta, inactive_limit: int, server: dict, **_) -> bool:
    """jupyterhub-idle-culler's ``cull_arbiter_hook``: True when the server should be stopped."""
    start = read_marks().get(server.get("full_name", "").split("/")[0])
    if start is not None:
        now = dt.datetime.now(dt.UTC)
        if now < start:
            return False
        inactive = min(inactive, now - start)
    return inactive.total_seconds() >= inactive_limit


def class_start(cohort: Cohort, at: str | None, now: dt.datetime) -> dt.datetime | None:
    """``--at`` (HH:MM today, or a date and time) or the next start today in cohort.json's "schedule"."""
    zone = ZoneInfo(cohort.timezone)
    today = now.astimezone(zone).date()

    def parse(text: str, where: str) -> dt.datetime:
        try:
            if len(text) <= 5 and ":" in text:
                hour, minute = (int(x) for x in text.split(":"))
                return dt.datetime.combine(today, dt.time(hour, minute), zone)
            when = dt.datetime.fromisoformat(text)
            return when if when.tzinfo else when.replace(tzinfo=zone)
        except ValueError:
            raise WagamamaError(f"{where}の「{text}」は時刻として読めません。10:00 や 2026-04-11T10:00 のように書きます。",
                                f"cannot read {text!r} as a time") from None

    if at:
        return parse(at, "--at ")
    schedule = cohort.meta.get("schedule") or []
    starts = [parse(item["start"] if isinstance(item, dict) else item, "cohort.json の schedule ") for item in schedule]
    upcoming = sorted(s for s in starts if s > now and s.astimezone(zone).date() == today)
    return upcoming[0] if upcoming else None


@dataclass
class Warmed:
    user: str
    seconds: float = 0.0
    already: bool = False
    kernel: bool = False
    problem: str = ""


@dataclass
class WarmResult:
    cohort: str
    start: dt.datetime | None
    learners: list[Warmed] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def failed(self) -> list[Warmed]:
        return [w for w in self.learners if w.problem]


def _server_call(settings: HubSettings, user: str, token: str, method: str, path: str, body: dict | None = None):
    """One call to a learner's Jupyter server through the hub's proxy on loopback."""
    url = f"http://127.0.0.1:{settings.port}/user/{user}/api/{path}"
    req = urllib.request.Request(url, method=method, data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def _start_kernel(settings: HubSettings, user: str, notebook: str) -> bool:
    """The kernel of ``notebook`` (a path in the learner's home), as JupyterLab would start it."""
    status, made = hub_api(settings, "POST", f"/users/{user}/tokens",
                           {"expires_in": 300, "note": "wagamama hub warm: the class's first notebook"})
    if status != 201:
        raise WagamamaError(f"{user} のトークンを作れませんでした（{status}）。", f"token for {user}: {status}")
    try:
        quoted = urllib.parse.quote(notebook)
        status, _ = _server_call(settings, user, made["token"], "GET", f"contents/{quoted}?content=0")
        if status != 200:
            return False
        status, sessions = _server_call(settings, user, made["token"], "GET", "sessions")
        if any(s.get("path") == notebook for s in sessions or []):
            return True
        status, _ = _server_call(settings, user, made["token"], "POST", "sessions",
                                 {"path": notebook, "name": Path(notebook).name, "type": "notebook",
                                  "kernel": {"name": "python3"}})
        return status == 201
    finally:
        hub_api(settings, "DELETE", f"/users/{user}/tokens/{made['id']}")


def warm_one(settings: HubSettings, user: str, notebook: str | None, limit: float) -> Warmed:
    warmed = Warmed(user)
    t0 = time.monotonic()
    status, model = hub_api(settings, "GET", f"/users/{user}")
    if status != 200:
        warmed.problem = f"ハブにこのユーザーがいません（{status}）。`sudo wagamama hub sync` を実行します。"
        return warmed
    server = (model.get("servers") or {}).get("", {})
    warmed.already = bool(server.get("ready"))
    if not server:
        status, _ = hub_api(settings, "POST", f"/users/{user}/server")
        if status not in (201, 202, 400):  # 400: a start is already on its way
            warmed.problem = f"サーバーを起動できませんでした（ハブの応答 {status}）。"
            return warmed
    while not server.get("ready"):
        if time.monotonic() - t0 > limit:
            warmed.problem = f"{limit:.0f} 秒たっても準備ができませんでした。"
            return warmed
        time.sleep(0.5)
        status, model = hub_api(settings, "GET", f"/users/{user}")
        server = (model or {}).get("servers", {}).get("")
        if server is None:
            warmed.problem = "サーバーが起動の途中で止まりました。ハブの記録を見てください。"
            return warmed
    if notebook:
        warmed.kernel = _start_kernel(settings, user, notebook)
        if not warmed.kernel:
            warmed.problem = f"ノート {notebook} がないか、カーネルを起動できませんでした。"
    warmed.seconds = time.monotonic() - t0
    return warmed


def warm(cohort: Cohort, at: str | None = None, notebook: str | None = None,
         settings: HubSettings | None = None, say=print) -> WarmResult:
    if os.geteuid() != 0:
        raise WagamamaError("hub warm は root で実行します（ハブの操作用のトークンを読むため）。sudo をつけてください。",
                            "run hub warm as root")
    settings = settings or HubSettings.load()
    now = dt.datetime.now(dt.UTC)
    start = class_start(cohort, at, now)
    if notebook is None and start is not None:
        for item in cohort.meta.get("schedule") or []:
            if isinstance(item, dict) and class_start(cohort, item["start"], now) == start:
                notebook = item.get("notebook")
    learners = sorted(cohort.learners)
    try:
        status, _ = hub_api(settings, "GET", "/users?limit=1")
    except OSError:
        raise WagamamaError("ハブが動いていません。`sudo wagamama hub start`（または systemctl start wagamama-hub）"
                            "で起動してから、もう一度実行します。", "the hub is not running") from None
    if status != 200:
        raise WagamamaError(f"ハブの API が {status} を返しました。ハブを `sudo wagamama hub start` で起動し直すと、"
                            "操作用のトークンがそろいます。", f"hub API answered {status}")
    result = WarmResult(cohort.id, start)
    if not learners:
        say(f"講座 {cohort.id} には受講者がいません。")
        return result
    local = start.astimezone(ZoneInfo(cohort.timezone)) if start else None
    if start is not None:
        write_marks(learners, start, now)
    pace = max(1, settings.spawn_concurrency)
    if local is None:
        when = "授業の開始時刻は決まっていません。"
    elif start > now:
        when = f"授業の開始は {local:%H:%M} です。"
    else:
        when = f"授業は {local:%H:%M} に始まっています。"
    say(f"講座 {cohort.id} の受講者 {len(learners)} 人のサーバーを準備します（同時に {pace} 人ずつ）。{when}")
    if notebook:
        say(f"ノート {notebook} のカーネルも起動しておきます。")
    limit = (len(learners) / pace + 1) * 6 * settings.server_start_seconds
    lock = threading.Lock()
    t0 = time.monotonic()

    def one(user: str) -> Warmed:
        w = warm_one(settings, user, notebook, limit)
        with lock:
            result.learners.append(w)
            head = f"[{len(result.learners):>{len(str(len(learners)))}}/{len(learners)}] {user}"
            if w.problem:
                say(f"{head}: 準備できませんでした。{w.problem}")
            else:
                say(f"{head}: " + ("すでに動いていました。" if w.already else f"準備ができました（{w.seconds:.1f} 秒）。"))
        return w

    with ThreadPoolExecutor(max_workers=pace) as pool:
        list(pool.map(one, learners))
    result.seconds = time.monotonic() - t0
    ready = len(learners) - len(result.failed)
    say(f"{len(learners)} 人のうち {ready} 人のサーバーが準備できました（{result.seconds:.0f} 秒）。")
    if local and start > now:
        say(f"{local:%H:%M} の授業の開始までは止めません。開始のあと、使われないまま {settings.idle_timeout} 秒たつと止めます。")
    elif local:
        say(f"使われないまま {settings.idle_timeout} 秒たつと止めます（授業の開始の {local:%H:%M} から数えます）。")
    else:
        say(f"使われないまま {settings.idle_timeout} 秒たつと止めます。授業の直前に実行するか、--at で開始時刻を指定します。")
    return result
