"""Where a fictional town's open data (curriculum/data/<town>/) is, seen from a lesson notebook.

A lesson may run in the repository, in a learner's copy of curriculum/, or anywhere the package is installed:
the folder ``data/<town>`` is looked for beside the notebook and above it, then in the installed content.
"""

from __future__ import annotations

from pathlib import Path

from .locations import content_root


def data_folder(town: str) -> Path:
    """The folder of ``town``'s data (``"sakura"``, ``"momiji"``, ``"aoba"``)."""
    here = Path.cwd()
    for folder in [here, *here.parents]:
        if (folder / "data" / town).is_dir():
            return folder / "data" / town
    return content_root() / "curriculum" / "data" / town
