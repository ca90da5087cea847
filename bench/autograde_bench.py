"""How fast is `wagamama autograde` against plain nbgrader and against the bare floor?

One run prints, for a cohort of realistic submissions of one assignment (right, partly right, blank,
slow, broken):

- plain sequential `nbgrader autograde` as nbgrader ships it (test cells in the learner's kernel, no
  sandbox): the baseline;
- the same command with the cohort's config (judged outside the kernel, sandboxed), sequential;
- `wagamama autograde --jobs N` with the sandbox, and with --no-sandbox (judged all the same);
- the bare floor: one nbclient run of each submitted notebook, sequentially, divided by the cores;

as medians over --repeat runs, with the ratios, and checks that every method gave the same scores.
``--scale 50,100,200`` then grades growing cohorts with --notebooks notebooks per submission (the
assignment's notebook copied) and prints how the time grows.

    .venv/bin/python bench/autograde_bench.py --submissions 20 --repeat 3 --scale 50,100,200 --notebooks 3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "bench" / "out"
BASE = "ex01_wagamama"
ASSIGNMENT = "bench"
MIX = ["model", "model", "model", "score_addition", "rank_ascending", "top_second", "blank", "slow", "model", "broken"]


def build(home: Path, learners: int, notebooks: int) -> None:
    """A cohort "bench" with one assignment of `notebooks` notebooks, released, and its submissions collected."""
    os.environ["WAGAMAMA_HOME"] = str(home)
    from wagamama.cases import Case, filled, load_cases, place_collected
    from wagamama.cohort import create_cohort
    from wagamama.release import release
    from wagamama.roster import import_roster

    cohort = create_cohort("bench", "wagamama-lab", "ベンチマーク")
    source = cohort.path / "source"
    (source / ASSIGNMENT).mkdir()
    for k in range(1, notebooks + 1):
        shutil.copy(source / BASE / f"{BASE}.ipynb", source / ASSIGNMENT / f"part{k}.ipynb")
    cohort.meta["assignments"] = [ASSIGNMENT]
    cohort.save()
    ids = [f"u{i:03d}" for i in range(learners)]
    (home / "roster.csv").write_text("id,氏名\n" + "".join(f"{s},受講者{s}\n" for s in ids), encoding="utf-8")
    import_roster(cohort, home / "roster.csv")
    release(cohort, [ASSIGNMENT])

    cases = load_cases(BASE)
    model_diary = None
    for i, s in enumerate(ids):
        kind = MIX[i % len(MIX)]
        files = {}
        for k in range(1, notebooks + 1):
            name = f"part{k}.ipynb"
            if kind == "broken":
                files[name] = b'{"cells": [ {"cell_type": "code", "sour'
                continue
            if kind == "slow":
                if model_diary is None:
                    from wagamama.cases import model_answers

                    model_diary = model_answers(source / ASSIGNMENT / name)["diary"]
                case = Case("slow", "", {"diary": model_diary + "\nimport time\ntime.sleep(1)"}, {})
            else:
                case = cases[kind]
            case_nb = filled(cohort, ASSIGNMENT, case, name)
            files[name] = case_nb
        place_collected(cohort, ASSIGNMENT, s, files, "2026-05-01 10:00:00.000000 JST")


def copy_home(pristine: Path, target: Path) -> Path:
    """A copy of the prepared home whose nbgrader_config.py points at the copy."""
    shutil.copytree(pristine, target)
    config = target / "cohorts" / "bench" / "nbgrader_config.py"
    config.write_text(config.read_text(encoding="utf-8").replace(str(pristine), str(target)), encoding="utf-8")
    return target


def scores(home: Path) -> dict[str, float]:
    os.environ["WAGAMAMA_HOME"] = str(home)
    from wagamama.cohort import open_cohort

    with open_cohort("bench").gradebook() as gb:
        try:
            return {sub.student.id: round(sub.score, 3) for sub in gb.assignment_submissions(ASSIGNMENT)
                    if (home / "cohorts" / "bench" / "autograded" / sub.student.id / ASSIGNMENT).is_dir()}
        except Exception:
            return {}


STOCK = """
# nbgrader as it ships: test cells run in the learner's kernel, no sandbox (the benchmark's baseline)
c.Autograde.sanitize_preprocessors = ["nbgrader.preprocessors.ClearOutput", "nbgrader.preprocessors.DeduplicateIds",
    "nbgrader.preprocessors.OverwriteKernelspec", "nbgrader.preprocessors.OverwriteCells",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Autograde.autograde_preprocessors = ["nbgrader.preprocessors.Execute", "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor", "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades", "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata"]
c.Execute.timeout = 30
"""


def run_stock(home: Path) -> float:
    config = home / "cohorts" / "bench" / "nbgrader_config.py"
    config.write_text(config.read_text(encoding="utf-8") + STOCK, encoding="utf-8")
    return run_plain(home)


def run_plain(home: Path) -> float:
    course = home / "cohorts" / "bench"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, f"--CourseDirectory.root={course}",
                    f"--CourseDirectory.db_url=sqlite:///{course / 'gradebook.db'}"],
                   cwd=course, capture_output=True)  # exits 1 because of the broken submissions
    return time.perf_counter() - t


def run_wagamama(home: Path, jobs: int, sandbox: bool) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "wagamama.cli", "autograde", "bench", "--jobs", str(jobs),
                    *([] if sandbox else ["--no-sandbox"])],
                   env={**os.environ, "WAGAMAMA_HOME": str(home)}, capture_output=True)
    return time.perf_counter() - t


def run_floor(home: Path, cores: int) -> float:
    """One bare nbclient run per readable submitted notebook, sequentially, divided by the cores."""
    import nbformat
    from nbclient import NotebookClient

    total = 0.0
    for notebook in sorted((home / "cohorts" / "bench" / "submitted").glob(f"*/{ASSIGNMENT}/*.ipynb")):
        try:
            nb = nbformat.read(notebook, as_version=4)
        except Exception:
            continue
        t = time.perf_counter()
        NotebookClient(nb, timeout=30, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
        total += time.perf_counter() - t
    return total / cores


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--submissions", type=int, default=20)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--scale", default="", help="comma-separated cohort sizes for the growth run, e.g. 50,100,200")
    p.add_argument("--notebooks", type=int, default=3, help="notebooks per submission in the growth run")
    args = p.parse_args()
    os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]
    cores = os.cpu_count() or 1
    stamp = time.strftime("%Y%m%d-%H%M%S")
    work = OUT / stamp
    pristine = work / "pristine"
    build(pristine, args.submissions, 1)
    print(f"# autograde benchmark {stamp}: {args.submissions} submissions × 1 notebook, mix {MIX}, "
          f"{cores} cores, --jobs {args.jobs}, median of {args.repeat}")

    methods = {
        "nbgrader autograde (sequential)": run_stock,
        "nbgrader autograde, cohort config (sequential)": run_plain,
        f"wagamama autograde --jobs {args.jobs} (sandbox)": lambda h: run_wagamama(h, args.jobs, True),
        f"wagamama autograde --jobs {args.jobs} --no-sandbox": lambda h: run_wagamama(h, args.jobs, False),
    }
    times: dict[str, list[float]] = {name: [] for name in [*methods, "bare floor (nbclient / cores)"]}
    results: dict[str, dict[str, float]] = {}
    for rep in range(args.repeat):
        for i, (name, method) in enumerate(methods.items()):
            home = copy_home(pristine, work / f"r{rep}-m{i}")
            times[name].append(method(home))
            results[name] = scores(home)
            shutil.rmtree(home)
        times["bare floor (nbclient / cores)"].append(run_floor(pristine, cores))

    plain = statistics.median(times["nbgrader autograde (sequential)"])
    floor = statistics.median(times["bare floor (nbclient / cores)"])
    print(f"{'method':48} {'median s':>9} {'s/sub':>7} {'vs nbgrader':>12} {'vs floor':>9}")
    for name, ts in times.items():
        m = statistics.median(ts)
        print(f"{name:48} {m:9.2f} {m / args.submissions:7.3f} {plain / m:11.2f}× {m / floor:8.2f}×")
    reference = results["nbgrader autograde (sequential)"]
    same = all(r == reference for r in results.values())
    print(f"scores identical across methods: {same} ({len(reference)} graded submissions)")
    summary = {"submissions": args.submissions, "times": times, "identical_scores": same}

    if args.scale:
        print(f"\n# growth: N submissions × {args.notebooks} notebooks, wagamama autograde --jobs {args.jobs} (sandbox)")
        print(f"{'N':>5} {'notebooks':>10} {'seconds':>9} {'s/notebook':>11}")
        growth = []
        for n in [int(x) for x in args.scale.split(",")]:
            home = work / f"scale-{n}"
            build(home, n, args.notebooks)
            seconds = run_wagamama(home, args.jobs, True)
            graded = len(scores(home))
            growth.append((n, seconds, graded))
            print(f"{n:5d} {n * args.notebooks:10d} {seconds:9.1f} {seconds / (n * args.notebooks):11.3f}  ({graded} graded)")
            shutil.rmtree(home)
        summary["growth"] = growth
    (work / "summary.json").write_text(json.dumps(summary, indent=1), encoding="utf-8")
    shutil.rmtree(pristine)


if __name__ == "__main__":
    main()
