import os
import shutil
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
# nbgrader runs `alembic` and `jupyter` by name: use the ones beside this Python.
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def need(ok: bool, what: str, install: str) -> None:
    """Skip a test whose component is missing, naming the install command; under CI=true, fail instead."""
    if ok:
        return
    message = f"{what} is missing: install it with `{install}`"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("CI must not skip: " + message)
    pytest.skip(message)


def need_executable(name: str, install: str = "sudo make system-deps") -> str:
    path = shutil.which(name) or (str(REPO / "node_modules" / ".bin" / name) if (REPO / "node_modules" / ".bin" / name).exists() else None)
    need(path is not None, name, install)
    return path


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh $WAGAMAMA_HOME for one test."""
    h = tmp_path / "home"
    monkeypatch.setenv("WAGAMAMA_HOME", str(h))
    return h
