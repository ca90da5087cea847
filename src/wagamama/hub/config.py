"""The JupyterHub configuration for one server, driven by the cohorts that exist.

``wagamama hub render`` writes ``$WAGAMAMA_HOME/hub/``: ``hub.json`` (the settings chosen on the command
line), the operator's API token, and three Jupyter config folders — for learners (nbgrader's formgrader,
create-assignment and course-list off), instructors (all on) and graders (the formgrader services).
``deploy/jupyterhub_config.py`` calls :func:`configure`, which reads the cohorts again at every hub
start, so adding a cohort and restarting the hub is all it takes.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..cohort import list_cohorts, open_cohort
from ..errors import WagamamaError
from ..locations import content_root, exchange_dir, home
from ..start import write_ui_overrides
from .plan import ADMIN_SERVICE, CULLER_SERVICE, HubPlan, hub_plan

LEARNER_OFF = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list"]
LEARNER_SERVER_OFF = ["nbgrader.server_extensions.formgrader", "nbgrader.server_extensions.course_list"]


@dataclass
class HubSettings:
    ip: str = "127.0.0.1"                # where the proxy listens (0.0.0.0 behind an HTTPS reverse proxy)
    port: int = 8000
    hub_port: int = 8081
    proxy_api_port: int = 8001
    public_url: str = ""                  # https://lab.example-town.jp/ : for QR codes and links
    auth: str = "native"                  # "native" (accounts approved by an admin) or "shared-password"
    shared_password: str = ""             # only for "shared-password" (tests, a one-day workshop)
    admins: list[str] = field(default_factory=lambda: ["wagamama-admin"])
    homes: str = "/home"
    idle_timeout: int = 3600              # seconds without activity before a learner's server is stopped
    model_answers: str = "on"             # "off": answer() shows no model answers (the instructors decide)

    @staticmethod
    def path() -> Path:
        return hub_dir() / "hub.json"

    @classmethod
    def load(cls) -> HubSettings:
        path = cls.path()
        return cls(**json.loads(path.read_text(encoding="utf-8"))) if path.exists() else cls()

    def save(self) -> None:
        self.path().parent.mkdir(parents=True, exist_ok=True)
        self.path().write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.chmod(self.path(), 0o600)  # may hold the shared password


def hub_dir() -> Path:
    return home() / "hub"


def admin_token() -> str:
    """The operator's API token (service ``wagamama``), made once and kept private to root."""
    path = hub_dir() / "admin-token"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32), encoding="utf-8")
        os.chmod(path, 0o600)
    return path.read_text(encoding="utf-8").strip()


def _bin(name: str) -> str:
    found = shutil.which(name, path=os.path.dirname(sys.executable))
    if not found:
        raise WagamamaError(f"{name} が見つかりません。make venv でインストールします。", f"{name} not found")
    return found


def proxy_command() -> str:
    local = content_root() / "node_modules" / ".bin" / "configurable-http-proxy"
    found = str(local) if local.exists() else shutil.which("configurable-http-proxy")
    if not found:
        raise WagamamaError("configurable-http-proxy が見つかりません。sudo make system-deps（npm ci）で入れます。",
                            "configurable-http-proxy not found: run npm ci")
    return found


def config_files(exchange_root: str) -> dict[str, dict[str, str]]:
    """The Jupyter config files of learners, instructors and graders: folder → {relative path: text}.
    deploy/k8s/images/learner/ holds the same files for Kubernetes (a test keeps them equal)."""
    nbgrader = ("c = get_config()  # noqa: F821\n"
                "c.Authenticator.plugin_class = \"nbgrader.auth.JupyterHubAuthPlugin\"\n"
                f"c.Exchange.root = \"{exchange_root}\"\n"
                "c.Exchange.path_includes_course = True\n"
                "c.Exchange.timezone = \"Asia/Tokyo\"\n")
    learner_server = {"ServerApp": {"jpserver_extensions": {e: False for e in LEARNER_SERVER_OFF}}}
    return {
        "learner": {"nbgrader_config.py": nbgrader,
                    "jupyter_server_config.d/wagamama-learner.json": json.dumps(learner_server) + "\n",
                    "labconfig/page_config.json": json.dumps({"disabledExtensions": {e: True for e in LEARNER_OFF}}) + "\n"},
        "instructor": {"nbgrader_config.py": nbgrader},
        "grader": {"nbgrader_config.py": nbgrader},
    }


def config_dir(kind: str) -> Path:
    return hub_dir() / "jupyter" / kind


def write_config_dirs() -> None:
    """Jupyter config folders for learners, instructors and the graders' formgrader services (readable by all)."""
    for kind, files in config_files(str(exchange_dir())).items():
        for name, text in files.items():
            path = config_dir(kind) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            os.chmod(path, 0o644)
    for folder in [hub_dir(), *(p for p in (hub_dir() / "jupyter").rglob("*") if p.is_dir()), hub_dir() / "jupyter"]:
        os.chmod(folder, 0o755)


def render(settings: HubSettings) -> HubPlan:
    """Write everything the hub reads; prepare Unix accounts when run as root. Safe to run again."""
    from .accounts import prepare

    settings.save()
    admin_token()
    write_config_dirs()
    write_ui_overrides()
    plan = hub_plan(list_cohorts())
    if os.geteuid() == 0:
        prepare(plan, Path(settings.homes))
    return plan


def _services(plan: HubPlan, settings: HubSettings) -> list[dict]:
    services = [
        {"name": ADMIN_SERVICE, "api_token": admin_token()},
        {"name": CULLER_SERVICE,
         "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={settings.idle_timeout}"]},
    ]
    for c in plan.cohorts:
        cohort = open_cohort(c.id)
        services.append({
            "name": c.id, "display": True, "oauth_no_confirm": True,
            "url": f"http://127.0.0.1:{c.port}",
            "command": [_bin("jupyterhub-singleuser"), f"--ServerApp.root_dir={cohort.path}",
                        "--ServerApp.default_url=/formgrader"],
            "cwd": str(cohort.path),
            "user": c.grader,
            "environment": {"JUPYTERHUB_USER": c.grader, "JUPYTER_CONFIG_PATH": str(config_dir("grader"))},
            "info": {"title": c.title},
        })
    return services


def configure(c) -> HubPlan:
    """Fill JupyterHub's config object ``c`` (called from deploy/jupyterhub_config.py)."""
    settings = HubSettings.load()
    plan = hub_plan(list_cohorts())
    state = hub_dir()
    c.JupyterHub.bind_url = f"http://{settings.ip}:{settings.port}"
    c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{settings.hub_port}"
    c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
    c.ConfigurableHTTPProxy.command = [proxy_command()]
    if settings.public_url:
        c.JupyterHub.public_url = settings.public_url
    c.JupyterHub.db_url = f"sqlite:///{state / 'jupyterhub.sqlite'}"
    c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")
    c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")

    c.JupyterHub.load_groups = {name: {"users": users} for name, users in plan.groups.items()}
    c.JupyterHub.load_roles = plan.roles
    c.JupyterHub.services = _services(plan, settings)

    if settings.auth == "shared-password":
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = settings.shared_password
    else:
        import nativeauthenticator

        c.JupyterHub.authenticator_class = "native"
        c.JupyterHub.template_paths = [str(Path(nativeauthenticator.__file__).parent / "templates")]
        c.NativeAuthenticator.open_signup = False  # an admin approves each account (see deploy/README.md)
    c.Authenticator.allowed_users = plan.learners | plan.instructors
    c.Authenticator.admin_users = set(settings.admins)

    c.Spawner.cmd = [_bin("jupyterhub-singleuser")]
    c.Spawner.default_url = "/lab/tree/curriculum"
    c.Spawner.notebook_dir = "~"
    c.Spawner.environment = {"WAGAMAMA_PUBLIC_URL": settings.public_url or f"http://127.0.0.1:{settings.port}/",
                             "WAGAMAMA_MODEL_ANSWERS": settings.model_answers}
    instructors = plan.instructors

    def before_start(spawner) -> None:
        from .accounts import copy_curriculum

        name = spawner.user.name
        kind = "instructor" if name in instructors else "learner"
        spawner.environment["JUPYTER_CONFIG_PATH"] = str(config_dir(kind))
        copy_curriculum(name)

    c.Spawner.pre_spawn_hook = before_start
    # A server (and the formgrader services) that ignores Ctrl+C is stopped soon anyway.
    c.LocalProcessSpawner.interrupt_timeout = 2
    c.LocalProcessSpawner.term_timeout = 2
    c.JupyterHub.cleanup_servers = True
    return plan


def start() -> None:
    """``wagamama hub start``: render, then run JupyterHub with deploy/jupyterhub_config.py."""
    if os.geteuid() != 0:
        raise WagamamaError("JupyterHub は root で起動します（受講者ごとの Linux ユーザーでサーバーを動かすため）。"
                            "sudo をつけて実行してください。", "run the hub as root")
    render(HubSettings.load())
    config = content_root() / "deploy" / "jupyterhub_config.py"
    os.chdir(hub_dir())
    os.execv(_bin("jupyterhub"), [_bin("jupyterhub"), "-f", str(config)])
