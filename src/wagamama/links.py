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


def nbgitpuller_url(hub: str, repo: str, branch: str, notebook: str) -> str:
    """nbgitpuller clones the repository into the learner's home (a folder named after it) and opens the notebook."""
    _, name = _github(repo)
    query = urlencode({"repo": repo, "branch": branch, "urlpath": f"lab/tree/{name}/{notebook}"})
    return f"{hub.rstrip('/')}/hub/user-redirect/git-pull?{query}"
