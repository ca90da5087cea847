"""What the hub must hold for the cohorts that exist: users, groups, roles, services. Pure data.

The single-server configuration (``deploy/jupyterhub_config.py``) and the Zero to JupyterHub values
(``deploy/k8s/``) are both rendered from this plan, so their names cannot drift apart.

Per cohort ``<id>`` (nbgrader's course id):

- hub group ``nbgrader-<id>``: its learners (nbgrader's JupyterHubAuthPlugin reads courses from it);
- hub group ``formgrade-<id>``: its instructors and the grader account ``grader-<id>``;
- service ``<id>``: the cohort's formgrader, a Jupyter server run as ``grader-<id>`` in the course folder;
- roles with the fewest scopes that work (see FIELD-NOTES): instructors may open their own
  formgrader only; learners may only see that the service exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..cohort import Cohort
from ..errors import WagamamaError
from ..learner_ids import problem

FIRST_SERVICE_PORT = 9100
ADMIN_SERVICE = "wagamama"
CULLER_SERVICE = "idle-culler"

# Learner and instructor servers: their own activity and server, their own name and groups
# (nbgrader asks the hub which courses a user is in), and which services exist.
SERVER_SCOPES = ["users:activity!user", "access:servers!server", "read:users:name!user",
                 "read:users:groups!user", "list:services", "read:services"]
CULLER_SCOPES = ["list:users", "read:users:activity", "read:servers", "delete:servers"]
ADMIN_SCOPES = ["admin:users", "admin:groups", "admin:servers", "tokens", "list:services", "read:services"]


def grader(cohort_id: str) -> str:
    return f"grader-{cohort_id}"


def learner_group(cohort_id: str) -> str:
    return f"nbgrader-{cohort_id}"


def instructor_group(cohort_id: str) -> str:
    return f"formgrade-{cohort_id}"


@dataclass
class CohortPlan:
    id: str
    title: str
    port: int
    learners: list[str]
    instructors: list[str]

    @property
    def grader(self) -> str:
        return grader(self.id)

    @property
    def groups(self) -> dict[str, list[str]]:
        return {learner_group(self.id): sorted(self.learners),
                instructor_group(self.id): sorted({*self.instructors, self.grader})}

    @property
    def roles(self) -> list[dict]:
        return [
            {"name": instructor_group(self.id), "groups": [instructor_group(self.id)],
             "description": f"{self.title}: 採点画面（formgrader）を使う",
             "scopes": [f"access:services!service={self.id}", "list:services", f"read:services!service={self.id}"]},
            {"name": learner_group(self.id), "groups": [learner_group(self.id)],
             "description": f"{self.title}: 受講者",
             "scopes": ["list:services", f"read:services!service={self.id}"]},
            {"name": f"service-{self.id}", "services": [self.id],
             "description": f"{self.title}: formgrader が受講者の一覧と講座のグループを読む",
             "scopes": ["read:users:name", "read:users:groups", "list:groups",
                        f"read:groups!group={learner_group(self.id)}", f"groups!group={learner_group(self.id)}"]},
        ]


@dataclass
class HubPlan:
    cohorts: list[CohortPlan] = field(default_factory=list)

    @property
    def learners(self) -> set[str]:
        return {u for c in self.cohorts for u in c.learners}

    @property
    def instructors(self) -> set[str]:
        return {u for c in self.cohorts for u in c.instructors}

    @property
    def groups(self) -> dict[str, list[str]]:
        return {name: users for c in self.cohorts for name, users in c.groups.items()}

    @property
    def roles(self) -> list[dict]:
        return [
            {"name": "server", "scopes": SERVER_SCOPES},
            {"name": ADMIN_SERVICE, "services": [ADMIN_SERVICE], "scopes": ADMIN_SCOPES,
             "description": "wagamama hub コマンド: ユーザーとグループを講座に合わせる"},
            {"name": CULLER_SERVICE, "services": [CULLER_SERVICE], "scopes": CULLER_SCOPES,
             "description": "使われていないサーバーを止める"},
            *[role for c in self.cohorts for role in c.roles],
        ]

    def names(self) -> dict[str, list[str]]:
        """Role, group and service names (what the k8s values must agree on)."""
        return {"roles": sorted(r["name"] for r in self.roles), "groups": sorted(self.groups),
                "services": sorted([c.id for c in self.cohorts] + [ADMIN_SERVICE, CULLER_SERVICE])}


def assign_port(cohort: Cohort, taken: set[int]) -> int:
    """The cohort's formgrader port: chosen once, kept in cohort.json so it never moves."""
    port = cohort.meta.get("hub_port")
    if not port:
        port = FIRST_SERVICE_PORT
        while port in taken:
            port += 1
        cohort.meta["hub_port"] = port
        cohort.save()
    return port


def _require_valid_ids(cohort: Cohort, learners: list[str], instructors: list[str]) -> None:
    """Every ID becomes a Linux user: say all the bad ones at once, before anything is created.
    (Roster import maps IDs to valid ones; a cohort imported before that rule may still hold others.)"""
    bad = [f"  - {who} {i}: {problem(i)}" for who, ids in (("受講者", learners), ("講師", instructors))
           for i in ids if problem(i)]
    if bad:
        raise WagamamaError(
            f"講座「{cohort.id}」に、Linux のユーザー名にできない ID があります。ハブの設定は作っていません。\n"
            + "\n".join(bad)
            + f"\n受講者は `wagamama roster remove {cohort.id} ID` で外し、名簿を `wagamama roster import` で"
            "取り込み直すと、使える ID（例: u2026001）になります。",
            f"cohort {cohort.id}: ids that are not valid Unix user names",
        )


def hub_plan(cohorts: list[Cohort]) -> HubPlan:
    taken = {c.meta["hub_port"] for c in cohorts if c.meta.get("hub_port")}
    plans = []
    for cohort in cohorts:
        learners, instructors = sorted(cohort.learners), sorted(cohort.meta.get("instructors", []))
        _require_valid_ids(cohort, learners, instructors)
        port = assign_port(cohort, taken)
        taken.add(port)
        plans.append(CohortPlan(cohort.id, cohort.title, port, learners, instructors))
    return HubPlan(plans)
