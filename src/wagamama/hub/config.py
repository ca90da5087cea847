"""The JupyterHub configuration for one server, driven by the cohorts that exist.

``wagamama hub render`` writes ``$WAGAMAMA_HOME/hub/``: ``hub.json`` (the settings chosen on the command
line), the operator's API token, the idle culler's config, and three Jupyter config folders — for learners
(only the server extensions they use: JupyterLab, nbgrader's assignment list and validation, Voilà),
instructors (all on) and graders (the formgrader services).
``deploy/jupyterhub_config.py`` calls :func:`configure`, which reads the cohorts again at every hub
start, so adding a cohort and restarting the hub is all it takes.

When a class logs in at once, servers start ``spawn_concurrency`` at a time and the others wait on a
Japanese progress page (spawn_queue.py, templates/); the timeouts follow ``server_start_seconds``.
Both are measured on the machine with ``bench/hub_bench.py capacity`` (the defaults are this project's
2-core reference machine). ``wagamama hub warm`` (warm.py) starts a class's servers before it begins.
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

# JupyterLab plugins learners do not get: nbgrader's instructor tools, "open in Jupyter Notebook" (the Notebook 7
# server extension is not loaded for learners) and the language-server client (jupyter-lsp is not loaded either:
# the client's lsp/status request only got a 404 on every page load).
LEARNER_OFF = ["@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment", "@jupyter/nbgrader:course-list",
               "@jupyter-notebook/lab-extension", "@jupyterlab/lsp-extension"]
# The only server extensions of a learner's server (JUPYTERHUB_SINGLEUSER_LOAD_OTHER_EXTENSIONS=0 keeps
# out the rest: jupyter-lsp with no language server, terminals, Notebook 7). nbgrader's instructor
# extensions are named off as well, should that variable ever be missing.
LEARNER_SERVER_EXTENSIONS = {
    "jupyterlab": True,                                         # JupyterLab in Japanese (the language pack)
    "nbgrader.server_extensions.assignment_list": True,         # Nbgrader → Assignment List: fetch, submit
    "nbgrader.server_extensions.validate_assignment": True,     # the Validate button
    "voila.server_extension": True,                             # a learner's app (module 9), /voila/render/
    "notebook_shim": True,                                      # NotebookApp settings read by nbgrader and Voilà
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
}
# Learners cannot rebuild JupyterLab: no build check on every page load (node, ≈0.4 s of the server's CPU).
LEARNER_PAGE_CONFIG = {"disabledExtensions": {e: True for e in LEARNER_OFF}, "buildAvailable": False, "buildCheck": False}
LEARNER_ENVIRONMENT = {"JUPYTERHUB_SINGLEUSER_LOAD_OTHER_EXTENSIONS": "0"}
SERVER_COMMAND = [sys.executable, "-m", "wagamama.hub.singleuser"]  # jupyterhub-singleuser, cheaper (singleuser.py)
TEMPLATES = Path(__file__).parent / "templates"  # the spawn-pending and not-running pages in Japanese


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
    # Measured with `bench/hub_bench.py capacity` (these: 2 cores, 24 GB): servers started at the same
    # time, and the p95 of one start's time at that pace. The queue and the timeouts follow them.
    spawn_concurrency: int = 2
    server_start_seconds: float = 6.0
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


FIRST_PERSON_UID, LAST_PERSON_UID = 1000, 60000  # Debian's UID_MIN and UID_MAX: the rest is the system's (nobody)

WARM_MARKS_ENV = "WAGAMAMA_WARM_MARKS"  # services get a clean environment: the culler is told where the marks are


def warm_marks_path() -> Path:
    """When each warmed learner's class starts (``wagamama hub warm``; read by the idle culler)."""
    return Path(os.environ.get(WARM_MARKS_ENV) or hub_dir() / "warm.json")


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
    learner_server = {"ServerApp": {"jpserver_extensions": LEARNER_SERVER_EXTENSIONS}}
    return {
        "learner": {"nbgrader_config.py": nbgrader,
                    "jupyter_server_config.json": json.dumps(learner_server, indent=1) + "\n",
                    "labconfig/page_config.json": json.dumps(LEARNER_PAGE_CONFIG) + "\n"},
        "instructor": {"nbgrader_config.py": nbgrader},
        "grader": {"nbgrader_config.py": nbgrader},
    }


def config_dir(kind: str) -> Path:
    return hub_dir() / "jupyter" / kind


CULLER_CONFIG = """# Written by `wagamama hub render`: warmed servers wait for their class (wagamama/hub/warm.py).
from wagamama.hub.warm import keep_until_class

c.IdleCuller.cull_arbiter_hook = keep_until_class  # noqa: F821
"""


def write_config_dirs() -> None:
    """Jupyter config folders for learners, instructors and the graders' formgrader services (readable by
    all), and the idle culler's config (root's)."""
    (config_dir("learner") / "jupyter_server_config.d" / "wagamama-learner.json").unlink(missing_ok=True)  # before 2026-12
    for kind, files in config_files(str(exchange_dir())).items():
        for name, text in files.items():
            path = config_dir(kind) / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            os.chmod(path, 0o644)
    for folder in [hub_dir(), *(p for p in (hub_dir() / "jupyter").rglob("*") if p.is_dir()), hub_dir() / "jupyter"]:
        os.chmod(folder, 0o755)
    culler = hub_dir() / "idle_culler_config.py"
    culler.write_text(CULLER_CONFIG, encoding="utf-8")
    os.chmod(culler, 0o644)


def refuse_system_accounts(plan: HubPlan) -> None:
    """A learner or instructor ID that names one of the machine's own accounts (root, daemon, www-data,
    postgres …) would get a server run as that account: say all of them, before anything is created."""
    import pwd

    bad = []
    for who, ids in (("受講者", plan.learners), ("講師", plan.instructors)):
        for i in sorted(ids):
            try:
                uid = pwd.getpwnam(i).pw_uid
            except KeyError:
                continue
            if not FIRST_PERSON_UID <= uid < LAST_PERSON_UID:
                bad.append(f"  - {who} {i}: このサーバーのシステム用のユーザー（uid {uid}）と同じ名前です。")
    if bad:
        raise WagamamaError("Linux のシステム用のユーザーと同じ ID があります。ハブの設定は作っていません。\n"
                            + "\n".join(bad) + "\n受講者は `wagamama roster remove 講座ID ID` で外し、別の ID で"
                            "取り込み直します。講師は cohort.json の instructors を直します。",
                            "ids that name system accounts")


def render(settings: HubSettings) -> HubPlan:
    """Write everything the hub reads; prepare Unix accounts when run as root. Safe to run again."""
    from .accounts import prepare

    plan = hub_plan(list_cohorts())  # every ID checked before anything is written
    refuse_system_accounts(plan)
    settings.save()
    admin_token()
    write_config_dirs()
    write_ui_overrides()
    if os.geteuid() == 0:
        prepare(plan, Path(settings.homes))
    return plan


def _services(plan: HubPlan, settings: HubSettings) -> list[dict]:
    services = [
        {"name": ADMIN_SERVICE, "api_token": admin_token()},
        {"name": CULLER_SERVICE,
         "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={settings.idle_timeout}",
                     f"--cull-every={max(60, min(600, settings.idle_timeout // 2))}",
                     f"--config={hub_dir() / 'idle_culler_config.py'}"],
         "environment": {WARM_MARKS_ENV: str(warm_marks_path())}},
    ]
    for c in plan.cohorts:
        cohort = open_cohort(c.id)
        services.append({
            "name": c.id, "display": True, "oauth_no_confirm": True,
            "url": f"http://127.0.0.1:{c.port}",
            "command": [*SERVER_COMMAND, f"--ServerApp.root_dir={cohort.path}",
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
    refuse_system_accounts(plan)
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

    templates = [str(TEMPLATES)]  # ours first: JupyterHub and NativeAuthenticator's pages are the fallback
    c.JupyterHub.template_paths = templates
    if settings.auth == "shared-password":
        c.JupyterHub.authenticator_class = "shared-password"
        c.SharedPasswordAuthenticator.user_password = settings.shared_password
    else:
        import nativeauthenticator

        c.JupyterHub.authenticator_class = "native"
        templates.append(str(Path(nativeauthenticator.__file__).parent / "templates"))
        c.NativeAuthenticator.open_signup = False  # an admin approves each account (see deploy/README.md)
    c.Authenticator.allowed_users = plan.learners | plan.instructors
    c.Authenticator.admin_users = set(settings.admins)

    # A class that logs in at once: a queue of starts, timeouts from the measured start time (spawn_queue.py).
    c.JupyterHub.spawner_class = "wagamama.hub.spawn_queue.QueuedSpawner"
    c.QueuedSpawner.concurrent_starts = settings.spawn_concurrency
    c.QueuedSpawner.server_start_seconds = settings.server_start_seconds
    c.JupyterHub.concurrent_spawn_limit = len(plan.learners | plan.instructors) + 1  # everyone may queue: never 429
    c.JupyterHub.tornado_settings = {"slow_spawn_timeout": 0}  # the progress page at once, not a blank wait
    c.Spawner.cmd = SERVER_COMMAND
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
        for key, value in LEARNER_ENVIRONMENT.items():
            if kind == "learner":
                spawner.environment[key] = value
            else:
                spawner.environment.pop(key, None)
        copy_curriculum(name)

    c.Spawner.pre_spawn_hook = before_start
    # A Jupyter server without a terminal answers SIGINT by asking "shut down? (y/[n])" and going on:
    # servers and formgrader services get SIGTERM (a clean stop, kernels included) right away.
    c.LocalProcessSpawner.interrupt_timeout = 0
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
