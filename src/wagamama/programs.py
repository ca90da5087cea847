"""Programs are data: which lessons and assignments, in what order, for how long.

The data lives in ``curriculum/programs.yaml``; this module reads and checks it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml

from .errors import WagamamaError
from .locations import content_root


@dataclass
class Step:
    kind: str  # "lesson" or "assignment"
    id: str
    title: str
    minutes: int


@dataclass
class Program:
    id: str
    title: str
    summary: str
    steps: list[Step]
    planned: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.planned

    @property
    def assignments(self) -> list[str]:
        return [s.id for s in self.steps if s.kind == "assignment"]

    @property
    def minutes(self) -> int:
        return sum(s.minutes for s in self.steps)


def catalog() -> dict:
    path = content_root() / "curriculum" / "programs.yaml"
    with open(path, encoding="utf-8") as f:
        return yaml.safe_load(f)


def assignment_title(assignment_id: str) -> str:
    return catalog()["assignments"].get(assignment_id, {}).get("title", assignment_id)


def assignment_data(assignment_id: str) -> list[str]:
    """Folders of shared data (under the repository) that the assignment's notebooks read, as ``data/<name>``."""
    return list(catalog()["assignments"].get(assignment_id, {}).get("data", []))


def load_programs() -> dict[str, Program]:
    data = catalog()
    programs = {}
    for pid, p in data["programs"].items():
        steps = []
        for s in p["steps"]:
            kind = "lesson" if "lesson" in s else "assignment"
            sid = s[kind]
            entry = data[kind + "s"].get(sid)
            if entry is None:
                raise WagamamaError(
                    f"programs.yaml: 講座「{pid}」の {kind} 「{sid}」が一覧にありません。",
                    f"unknown {kind} {sid} in program {pid}",
                )
            steps.append(Step(kind, sid, entry["title"], int(s.get("minutes", entry["minutes"]))))
        programs[pid] = Program(pid, p["title"], p.get("summary", ""), steps, list(p.get("planned", [])))
    return programs


def get_program(program_id: str) -> Program:
    programs = load_programs()
    if program_id not in programs:
        known = "、".join(programs)
        raise WagamamaError(
            f"講座プログラム「{program_id}」はありません。使えるのは {known} です。",
            f"unknown program {program_id}",
        )
    return programs[program_id]
