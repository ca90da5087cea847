"""The notebook as a web app (Voilà), and a QR code of its address for the learner's phone.

Where the page lives:

- inside JupyterHub: ``<public URL>/user/<name>/voila/render/<notebook>`` (the hub's ``public_url``
  reaches the learner server as ``JUPYTERHUB_PUBLIC_URL``);
- inside ``wagamama start``: ``<WAGAMAMA_PUBLIC_URL>voila/render/<notebook>`` on the same server;
- served on its own by ``wagamama app serve`` (``serve`` below): the address it printed, passed to the
  page's kernel as ``WAGAMAMA_VOILA_URL``.

jupyter_server tells each notebook's kernel its path as ``JPY_SESSION_NAME``.
"""

from __future__ import annotations

import html
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import segno

from .components import DesignError


def page_url(notebook: str | None = None) -> str:
    """The address of this notebook as a Voilà page."""
    if os.environ.get("WAGAMAMA_VOILA_URL"):
        return os.environ["WAGAMAMA_VOILA_URL"]
    notebook = notebook or os.environ.get("JPY_SESSION_NAME")
    if not notebook or not notebook.endswith(".ipynb"):
        raise DesignError("このノートの場所が分かりません。app.qr(\"09_happyou.ipynb\") のように、"
                          "ノートのファイル名（JupyterLab の左の一覧で見える場所）を書きます。")
    notebook = _from_root(notebook)
    prefix = os.environ.get("JUPYTERHUB_SERVICE_PREFIX")
    if prefix:
        base = os.environ.get("JUPYTERHUB_PUBLIC_URL") or os.environ.get("WAGAMAMA_PUBLIC_URL") or "http://127.0.0.1:8000/"
        base = base.rstrip("/") + prefix
    else:
        base = os.environ.get("WAGAMAMA_PUBLIC_URL", "http://127.0.0.1:8888/")
    return base.rstrip("/") + "/voila/render/" + quote(notebook.lstrip("/"))


def _from_root(notebook: str) -> str:
    """A notebook's path as the server sees it. jupyter_server gives kernels the notebook's full path
    (JPY_SESSION_NAME): it is made relative to the server's root folder (WAGAMAMA_SERVER_ROOT when set; the home
    folder on JupyterHub; $WAGAMAMA_HOME for ``wagamama start``)."""
    if not os.path.isabs(notebook):
        return notebook
    from ..locations import home

    roots = [os.environ.get("WAGAMAMA_SERVER_ROOT"),
             str(Path.home()) if os.environ.get("JUPYTERHUB_SERVICE_PREFIX") else None, str(home()), str(Path.home())]
    for root in filter(None, roots):
        try:
            rel = Path(notebook).resolve().relative_to(Path(root).resolve())
        except ValueError:
            continue
        return rel.as_posix()
    return Path(notebook).name


def beside(name: str) -> str:
    """The path of ``name`` in the folder of the notebook this kernel runs (the Voilà page of module 9)."""
    session = os.environ.get("JPY_SESSION_NAME")
    if session and session.endswith(".ipynb"):
        return str(Path(session).parent / name) if os.path.isabs(session) else (Path(session).parent / name).as_posix()
    return name


def local_only(url: str) -> bool:
    return urlsplit(url).hostname in ("127.0.0.1", "localhost", "::1")


class QRCode:
    """A QR code of a URL; shows itself in the notebook with the address and what to do."""

    def __init__(self, url: str):
        self.url = url
        self.code = segno.make(url, error="m")

    def svg(self) -> str:
        return self.code.svg_inline(scale=5, dark="#000", light="#fff")

    def _repr_html_(self) -> str:
        note = ("スマートフォンのカメラで読みとると、このアプリが開きます。"
                "同じ Wi-Fi につながっていて、JupyterHub にログインしていることが必要です。")
        if local_only(self.url):
            note = ("このアドレスは、このパソコンの中だけで開けます（127.0.0.1 は「このパソコン」の意味です）。"
                    "スマートフォンで開くときは、講師が wagamama app serve でアプリを公開します。")
        return (f'<div style="display:flex;gap:16px;align-items:center">{self.svg()}<div>'
                f'<a href="{html.escape(self.url)}" target="_blank">{html.escape(self.url)}</a>'
                f"<p>{note}</p></div></div>")

    def __repr__(self) -> str:
        return f"QRCode({self.url})"


def qr(notebook: str | None = None) -> QRCode:
    """The QR code of a notebook's Voilà page: this notebook, or ``notebook`` (a bare file name is looked for
    beside this notebook, as the page of module 9 is)."""
    if notebook and "/" not in notebook:
        notebook = beside(notebook)
    return QRCode(page_url(notebook))


# --- serving a notebook on its own -----------------------------------------------------------------

def lan_address() -> str:
    """This machine's address on the local network (no packet is sent: UDP connect only picks a route)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.168.0.1", 9))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_voila(notebook: str | Path, port: int | None = None, lan: bool = False,
                log=subprocess.DEVNULL) -> tuple[subprocess.Popen, str]:
    """Start Voilà for one notebook; return the process and the page's URL once it answers."""
    notebook = Path(notebook).resolve()
    if not notebook.is_file():
        raise DesignError(f"ノート {notebook} がありません。ファイル名を確かめます。")
    port = port or free_port()
    host = lan_address() if lan else "127.0.0.1"
    url = f"http://{host}:{port}/"
    voila = shutil.which("voila", path=os.path.dirname(sys.executable)) or "voila"
    env = dict(os.environ, WAGAMAMA_VOILA_URL=url)
    proc = subprocess.Popen(
        [voila, str(notebook), f"--port={port}", "--no-browser", f"--Voila.ip={'0.0.0.0' if lan else '127.0.0.1'}",
         "--Voila.port_retries=0", "--theme=light", "--show_tracebacks=True"],
        cwd=notebook.parent, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"Voilà が止まりました（終了コード {proc.returncode}）。")
        with socket.socket() as s:  # a port that accepts (a GET on / would already run the notebook)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return proc, url
        time.sleep(0.3)
    proc.terminate()
    raise RuntimeError("Voilà が 60 秒たっても返事をしません。")


def serve(notebook: str, port: int | None = None, lan: bool = False) -> int:
    """``wagamama app serve``: run the page until Ctrl+C, with its address and QR code in the terminal."""
    proc, url = start_voila(notebook, port, lan, log=None)
    print(f"アプリを公開しました: {url}   （止めるときは Ctrl+C）")
    if not lan:
        print("このアドレスは、このパソコンの中だけで開けます。スマートフォンで開くときは --lan をつけます"
              "（同じ Wi-Fi の人なら、だれでも開けるようになります）。")
    segno.make(url, error="m").terminal(compact=True)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()
