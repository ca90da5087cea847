"""Keep the roster, the gradebook, the Unix accounts and the running hub's groups in agreement.

``wagamama hub add-learner`` / ``add-instructor`` change the cohort (the gradebook, which is the
roster, for learners; cohort.json for instructors), then :func:`sync` renders again (accounts, folders)
and, when the hub is running, adds the missing users and group members through its REST API with the operator's token.
Nothing is removed: a learner who leaves keeps their work until an operator deletes it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from ..cohort import Cohort
from ..errors import WagamamaError
from ..learner_ids import require
from ..roster_store import Entry, Roster
from .config import HubSettings, admin_token, render
from .plan import HubPlan


def hub_api(settings: HubSettings, method: str, path: str, body: dict | None = None):
    """One call to the hub's REST API on loopback; returns (status, parsed body)."""
    req = urllib.request.Request(f"http://127.0.0.1:{settings.hub_port}/hub/api{path}", method=method,
                                 data=json.dumps(body).encode() if body is not None else None,
                                 headers={"Authorization": f"token {admin_token()}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            raw = r.read()
            return r.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as e:
        return e.code, None


def push_groups(plan: HubPlan, settings: HubSettings) -> bool:
    """Add missing users and group members to a running hub; False when no hub answers."""
    try:
        status, _ = hub_api(settings, "GET", "/groups")
    except OSError:
        return False
    if status != 200:
        raise WagamamaError(f"ハブの API が {status} を返しました。hub.json と admin-token を確かめます。",
                            f"hub API answered {status}")
    for name, users in plan.groups.items():
        for user in users:
            hub_api(settings, "POST", f"/users/{user}")  # 201 created, 409 already there
        hub_api(settings, "POST", f"/groups/{name}")
        status, _ = hub_api(settings, "POST", f"/groups/{name}/users", {"users": users})
        if status != 200:
            raise WagamamaError(f"ハブのグループ {name} を更新できませんでした（{status}）。", f"group {name}: {status}")
    return True


def sync(settings: HubSettings | None = None) -> tuple[HubPlan, bool]:
    settings = settings or HubSettings.load()
    plan = render(settings)
    return plan, push_groups(plan, settings)


def add_learner(cohort: Cohort, learner: str, name: str = "") -> None:
    """Put a learner on the cohort's roster (a learner already there keeps their name, kana and e-mail)."""
    require(learner)
    with Roster(cohort) as roster:
        if learner not in roster.entries():
            roster.put([Entry(learner, " ".join(name.split()) or learner)])


def add_instructor(cohort: Cohort, instructor: str) -> None:
    require(instructor)
    instructors = cohort.meta.setdefault("instructors", [])
    if instructor not in instructors:
        instructors.append(instructor)
        cohort.save()
