"""The repository's own promises: pins agree, programs are valid data, README starts right, ruff is clean."""

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from wagamama.programs import load_programs

REPO = Path(__file__).resolve().parents[1]


def norm(req: str) -> str:
    name, _, version = req.partition("==")
    return re.sub(r"[-_.]+", "-", name.strip().lower()) + "==" + version.strip()


def version(text: str) -> tuple[int, ...]:
    """3.10 → (3, 10): versions compare as numbers ("3.9" >= "3.10" as strings)."""
    return tuple(int(part) for part in text.strip().split(".") if part.isdigit())


def test_versions_compare_as_numbers():
    assert version("3.10") > version("3.9") and version("3.11") >= version("3.11")


def test_environment_yml_pins_the_same_as_pyproject():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    env = yaml.safe_load((REPO / "binder" / "environment.yml").read_text(encoding="utf-8"))
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert all("==" in r for r in project["dependencies"]), "pin every dependency"
    assert {norm(r) for r in project["dependencies"]} == {norm(r) for r in pip if not r.startswith("-e")}
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    assert version(python.split("=")[1]) >= version(project["requires-python"].removeprefix(">="))


def test_programs_are_data_and_point_at_real_content():
    data = yaml.safe_load((REPO / "curriculum" / "programs.yaml").read_text(encoding="utf-8"))
    for kind in ("lessons", "assignments"):
        for entry in data[kind].values():
            assert (REPO / entry["path"]).exists(), entry["path"]
            assert all((REPO / d).is_dir() and d.startswith("curriculum/data/") for d in entry.get("data", [])), entry
    programs = load_programs()
    assert set(programs) == {"wagamama-lab", "oneday", "kyoryokutai", "sip"}
    for p in programs.values():
        assert p.steps and p.minutes > 0
        assert p.complete == (not p.planned)
    assert all((REPO / p["guide"]).is_file() for p in data["programs"].values() if "guide" in p)
    assert "guide" in data["programs"]["oneday"], "the one-day workshop comes with a facilitator guide"
    for pid in ("kyoryokutai", "sip"):  # the longer tracks: complete, with a guide and modules of their own
        assert programs[pid].complete and "guide" in data["programs"][pid], pid
        assert set(programs[pid].assignments) - set(programs["wagamama-lab"].assignments), pid
    exercises = {d.name for d in (REPO / "exercises").iterdir() if d.is_dir()}
    assert exercises == set(data["assignments"]), "every exercise is listed, and every listed one exists"


def test_readme_starts_with_the_two_commands():
    head = "\n".join((REPO / "README.md").read_text(encoding="utf-8").splitlines()[:40])
    assert "make start" in head and "make test" in head
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")


def test_ruff_is_clean():
    run = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests"], cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
