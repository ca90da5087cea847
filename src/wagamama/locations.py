"""Where things live: the content (curriculum, exercises, grading) and $WAGAMAMA_HOME."""

from __future__ import annotations

import os
from pathlib import Path

# The package is installed in editable mode from the repository: src/wagamama/ → repo root.
_REPO = Path(__file__).resolve().parents[2]


def content_root() -> Path:
    """The folder holding curriculum/, exercises/ and grading/ (override: $WAGAMAMA_CONTENT)."""
    return Path(os.environ.get("WAGAMAMA_CONTENT", _REPO)).resolve()


def home() -> Path:
    """The embedded default's data folder (override: $WAGAMAMA_HOME; default var/ in the repository)."""
    return Path(os.environ.get("WAGAMAMA_HOME", _REPO / "var")).resolve()


def cohorts_dir() -> Path:
    return home() / "cohorts"


def exchange_dir() -> Path:
    return home() / "exchange"
