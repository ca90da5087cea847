"""Zero to JupyterHub values for a prefecture-scale installation, rendered from the same plan as one server.

What changes on Kubernetes:

- every learner pod runs as ``jovyan`` (uid 1000); nbgrader then takes the student id from
  ``JUPYTERHUB_USER`` (it does so only for jovyan), so ids stay right without Unix users;
- the exchange is one ReadWriteMany volume (NFS, CephFS) mounted at the same path in every pod;
  course folders live on a second one mounted in the hub pod, where the formgrader services run;
- gradebooks are PostgreSQL databases (``gradebook_<cohort>``), given to each formgrader service as
  ``WAGAMAMA_GRADEBOOK_URL`` (the cohort's nbgrader_config.py prefers it to its own SQLite);
- one profile per program (wagamama-lab, oneday, …) with its own resource limits;
- culling is the chart's own (``cull``), not a service of ours.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..cohort import list_cohorts
from ..programs import load_programs
from .config import LEARNER_ENVIRONMENT
from .plan import ADMIN_SERVICE, HubPlan, hub_plan

EXCHANGE = "/srv/nbgrader/exchange"
COURSES = "/srv/wagamama"
IMAGE = {"hub": "ghcr.io/wagamama-lab/hub", "learner": "ghcr.io/wagamama-lab/learner", "tag": "0.1.0"}
# Per program: what one learner's pod may use. oneday fits many on a node; kyoryokutai does data work.
LIMITS = {"oneday": ("0.5", "1G"), "wagamama-lab": ("1", "2G"), "kyoryokutai": ("2", "4G"), "sip": ("2", "4G")}


def _volume(name: str, claim: str, path: str) -> tuple[dict, dict]:
    return {"name": name, "persistentVolumeClaim": {"claimName": claim}}, {"name": name, "mountPath": path}


def values(plan: HubPlan, postgres_host: str = "wagamama-postgres", public_url: str = "") -> dict:
    exchange_volume, exchange_mount = _volume("exchange", "wagamama-exchange", EXCHANGE)
    courses_volume, courses_mount = _volume("courses", "wagamama-courses", COURSES)
    services = {ADMIN_SERVICE: {}}  # the chart generates its token and keeps it in a secret
    for c in plan.cohorts:
        services[c.id] = {
            "url": f"http://hub:{c.port}",
            "command": ["jupyterhub-singleuser", f"--ServerApp.root_dir={COURSES}/cohorts/{c.id}",
                        "--ServerApp.ip=0.0.0.0", f"--ServerApp.port={c.port}",
                        "--ServerApp.default_url=/formgrader"],
            "oauth_no_confirm": True,
            "display": True,
            "info": {"title": c.title},
            "environment": {"JUPYTERHUB_USER": c.grader,
                            "WAGAMAMA_GRADEBOOK_URL": f"postgresql+psycopg://wagamama@{postgres_host}:5432/gradebook_{c.id}"},
        }
    roles = {r["name"]: {k: v for k, v in r.items() if k != "name"} for r in plan.roles if r["name"] != "idle-culler"}
    profiles = []
    for program_id, program in load_programs().items():
        cpu, memory = LIMITS.get(program_id, ("1", "2G"))
        profiles.append({
            "display_name": program.title, "slug": program_id, "description": program.summary,
            "default": program_id == "wagamama-lab",
            "kubespawner_override": {"cpu_limit": float(cpu), "mem_limit": memory,
                                     "environment": {"WAGAMAMA_PROGRAM": program_id}},
        })
    # Instructors: nbgrader's formgrader, create-assignment and course-list on (the image's other config).
    profiles.append({"display_name": "講師", "slug": "instructor", "description": "課題づくりと採点画面への入口",
                     "kubespawner_override": {"environment": {"JUPYTER_CONFIG_PATH": "/etc/wagamama/instructor",
                                                              **{k: "1" for k in LEARNER_ENVIRONMENT}}}})
    return {
        "hub": {
            "image": {"name": IMAGE["hub"], "tag": IMAGE["tag"]},
            "db": {"type": "sqlite-pvc"},
            "services": services,
            "loadRoles": roles,
            "extraVolumes": [exchange_volume, courses_volume],
            "extraVolumeMounts": [exchange_mount, courses_mount],
            "extraEnv": {"WAGAMAMA_HOME": COURSES},
            "service": {"extraPorts": [{"name": f"fg-{c.id}"[:15], "port": c.port, "targetPort": c.port}
                                       for c in plan.cohorts]},
            "networkPolicy": {"ingress": [{"ports": [{"port": c.port} for c in plan.cohorts],
                                           "from": [{"podSelector": {"matchLabels": {"component": "proxy"}}}]}]},
            "config": {
                "JupyterHub": {"authenticator_class": "native",
                               "load_groups": {name: {"users": users} for name, users in plan.groups.items()},
                               **({"public_url": public_url} if public_url else {})},
                "NativeAuthenticator": {"open_signup": False},
                "Authenticator": {"allowed_users": sorted(plan.learners | plan.instructors),
                                  "admin_users": ["wagamama-admin"]},
            },
        },
        "singleuser": {
            "image": {"name": IMAGE["learner"], "tag": IMAGE["tag"]},
            "defaultUrl": "/lab/tree/curriculum",
            "storage": {"type": "dynamic", "capacity": "2Gi",
                        "extraVolumes": [exchange_volume], "extraVolumeMounts": [exchange_mount]},
            "extraEnv": {"WAGAMAMA_PUBLIC_URL": public_url or "", **LEARNER_ENVIRONMENT},  # learners: their extensions only
            "profileList": profiles,
        },
        "cull": {"enabled": True, "timeout": 3600, "every": 600},
        "scheduling": {"userScheduler": {"enabled": True}},
    }


def write_values(path: Path, **kwargs) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ("# Zero to JupyterHub values for Wagamama Lab, written by `wagamama hub k8s` from the cohorts.\n"
              "# helm upgrade --install wagamama jupyterhub/jupyterhub --version 4.x -f values.yaml\n")
    path.write_text(header + yaml.safe_dump(values(hub_plan(list_cohorts()), **kwargs), allow_unicode=True,
                                            sort_keys=False), encoding="utf-8")
    return path
