"""The Jupyter server of each learner and instructor on the hub: ``jupyterhub-singleuser``, minus two costs.

``python -m wagamama.hub.singleuser`` is the hub's ``Spawner.cmd`` (and the formgrader services' command).
It runs JupyterHub's own ``jupyterhub-singleuser`` after two changes that save CPU at every start
(``bench/hub_bench.py start-cost`` on 2 cores: a learner's server took 3.4 s of CPU to start, 1.8 s with
these two; with the learner's own extensions only, hub/config.py, 1.7 s):

1. jsonschema's optional check of the ``iri`` string format (the ``rfc3987_syntax`` package) compiles
   about 35 Earley grammars when it is imported, and jupyter_server imports it through jupyter_events.
   No schema of Jupyter's uses that format. The import is refused, so jsonschema skips that one format
   exactly as when the optional package is not installed (its ``_format`` module expects this).
2. Importing JupyterLab runs ``node yarn config`` to learn the npm registry of its extension manager.
   Nobody installs JupyterLab extensions from a learner's server, so node is left out of ``PATH`` while
   JupyterLab is imported (and only then: kernels and the rest of the server see the normal ``PATH``).

Which server extensions a learner loads is decided by the learner's config folder (hub/config.py).
"""

from __future__ import annotations

import os
import sys


def main() -> None:
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[assignment]  # import → ImportError
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = os.path.dirname(sys.executable)
    try:
        import jupyterlab.labapp  # noqa: F401
    finally:
        os.environ["PATH"] = path
    from jupyterhub.singleuser import main as singleuser

    sys.argv[0] = "jupyterhub-singleuser"
    sys.exit(singleuser())


if __name__ == "__main__":
    main()
