"""Links that open one notebook directly: on mybinder.org, or on a JupyterHub through nbgitpuller."""

from __future__ import annotations

from urllib.parse import quote, urlencode, urlsplit

from .errors import WagamamaError


def _github(repo: str) -> tuple[str, str]:
    parts = urlsplit(repo)
    path = parts.path.strip("/").removesuffix(".git").split("/")
    if parts.netloc != "github.com" or len(path) != 2:
        raise WagamamaError(f"「{repo}」は GitHub のリポジトリの URL ではありません（例: https://github.com/町/wagamama-lab）。",
                            "expected https://github.com/<owner>/<repo>")
    return path[0], path[1]


def binder_url(repo: str, branch: str, notebook: str) -> str:
    owner, name = _github(repo)
    return (f"https://mybinder.org/v2/gh/{owner}/{name}/{quote(branch, safe='')}"
            f"?urlpath={quote('lab/tree/' + notebook, safe='')}")


def clone_folder(repo: str) -> str:
    """The folder a repository is cloned into: its last path part without ``.git``."""
    parts = urlsplit(repo.strip())
    name = parts.path.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")
    if parts.scheme not in ("https", "http") or not parts.netloc or not name:
        raise WagamamaError(f"「{repo}」は git のリポジトリの URL ではありません（例: https://github.com/町/wagamama-lab）。",
                            "expected https://<host>/<owner>/<repo>[.git]")
    return name


def nbgitpuller_url(hub: str, repo: str, branch: str, notebook: str) -> str:
    """nbgitpuller clones the repository into the learner's home and opens the notebook.

    Left to itself, nbgitpuller names the folder after the URL's last part, ``.git`` included
    (``…/x.git`` → ``x.git/``); the link says the folder (``targetpath``) so that it is always the repository's
    name, and opens the notebook inside that same folder."""
    folder = clone_folder(repo)
    query = urlencode({"repo": repo.strip(), "branch": branch, "targetpath": folder,
                       "urlpath": f"lab/tree/{folder}/{notebook.lstrip('/')}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"
