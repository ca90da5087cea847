"""A cohort is an nbgrader course directory plus a metadata file (cohort.json).

``$WAGAMAMA_HOME/cohorts/<id>/`` holds ``nbgrader_config.py``, ``gradebook.db``, ``cohort.json``
and nbgrader's usual folders (source/, release/, submitted/, autograded/, feedback/).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
from pathlib import Path
from string import Template

from .errors import WagamamaError
from .locations import cohorts_dir, content_root, exchange_dir
from .programs import assignment_data, get_program

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
META = "cohort.json"


class Cohort:
    def __init__(self, path: Path):
        self.path = path
        self.id = path.name
        self.meta = json.loads((path / META).read_text(encoding="utf-8"))

    # --- metadata -------------------------------------------------------------------------------------
    @property
    def title(self) -> str:
        return self.meta["title"]

    @property
    def timezone(self) -> str:
        """For the times in reports and exports: cohort.json's "timezone", Asia/Tokyo by default."""
        return self.meta.get("timezone") or "Asia/Tokyo"

    @property
    def assignments(self) -> list[str]:
        return list(self.meta["assignments"])

    @property
    def learners(self) -> dict[str, dict]:
        """Learner id → {name, kana, email, roster_id}, read from the gradebook: the one roster (roster_store.py).
        A fresh copy: change the roster through roster.py or roster_store.py."""
        from .roster_store import learners

        return {i: e.as_dict() for i, e in learners(self).items()}

    def save(self) -> None:
        tmp = self.path / (META + ".tmp")
        tmp.write_text(json.dumps(self.meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        tmp.replace(self.path / META)

    def require_assignment(self, assignment_id: str) -> str:
        if assignment_id not in self.assignments:
            raise WagamamaError(
                f"課題「{assignment_id}」はこの講座（{self.id}）にありません。"
                f"ある課題: {'、'.join(self.assignments) or 'なし'}",
                f"unknown assignment {assignment_id} in cohort {self.id}",
            )
        return assignment_id

    # --- nbgrader ------------------------------------------------------------------------------------
    def config(self):
        from traitlets.config.loader import PyFileConfigLoader

        return PyFileConfigLoader("nbgrader_config.py", path=str(self.path)).load_config()

    def api(self, extra=None):
        """nbgrader's own API object for this course directory (``extra``: a traitlets Config on top)."""
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory

        cfg = self.config()
        if extra is not None:
            cfg.merge(extra)
        return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)

    def gradebook(self):
        from nbgrader.api import Gradebook

        cfg = self.config()
        return Gradebook(cfg.CourseDirectory.db_url, course_id=self.id)

    def submitted_dir(self, student: str, assignment: str) -> Path:
        return self.path / "submitted" / student / assignment

    def autograded_dir(self, student: str, assignment: str) -> Path:
        return self.path / "autograded" / student / assignment


def open_cohort(cohort_id: str) -> Cohort:
    path = cohorts_dir() / cohort_id
    if not (path / META).exists():
        known = "、".join(c.id for c in list_cohorts()) or "まだありません"
        raise WagamamaError(
            f"講座「{cohort_id}」が見つかりません（{path}）。登録済みの講座: {known}。"
            "新しく作るときは `wagamama cohort create` を使います。",
            f"unknown cohort {cohort_id}",
        )
    return Cohort(path)


def list_cohorts() -> list[Cohort]:
    root = cohorts_dir()
    if not root.exists():
        return []
    return [Cohort(p) for p in sorted(root.iterdir()) if (p / META).exists()]


def create_cohort(
    cohort_id: str,
    program_id: str,
    title: str,
    municipality: str = "",
    start: str | None = None,
    end: str | None = None,
    instructors: tuple[str, ...] = (),
    db_url: str | None = None,
) -> Cohort:
    if not ID_PATTERN.match(cohort_id):
        raise WagamamaError(
            f"講座ID「{cohort_id}」は使えません。IDは半角の小文字・数字・「-」「_」で書きます（例: oyama-2026a）。"
            "日本語の名前は --title に書きます。",
            f"invalid cohort id {cohort_id!r}: use [a-z0-9_-]",
        )
    program = get_program(program_id)
    dates = {}
    for name, value in (("start", start), ("end", end)):
        if value:
            try:
                dates[name] = dt.date.fromisoformat(value).isoformat()
            except ValueError:
                raise WagamamaError(
                    f"日付「{value}」が読めません。2026-04-01 のように書きます。", f"bad date {value!r}"
                ) from None
    path = cohorts_dir() / cohort_id
    if path.exists():
        raise WagamamaError(
            f"講座「{cohort_id}」はもうあります（{path}）。別のIDにするか、`wagamama cohort show {cohort_id}` で中身を見てください。",
            f"cohort {cohort_id} exists",
        )
    missing = [a for a in program.assignments if not (content_root() / "exercises" / a).is_dir()]
    if missing:
        raise WagamamaError(
            f"講座プログラム「{program_id}」の課題 {'、'.join(missing)} が exercises/ にありません。",
            f"missing exercises: {missing}",
        )
    path.mkdir(parents=True)
    try:
        for a in program.assignments:
            shutil.copytree(
                content_root() / "exercises" / a,
                path / "source" / a,
                ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"),
            )
            # Shared data the notebooks read goes along: nbgrader releases it and the grader copies it
            # beside each submission (the sandbox cannot see the repository).
            for folder in assignment_data(a):
                shutil.copytree(content_root() / folder, path / "source" / a / "data" / Path(folder).name)
        template = Template((content_root() / "grading" / "nbgrader_config.template.py").read_text(encoding="utf-8"))
        (path / "nbgrader_config.py").write_text(
            template.substitute(
                course_id=cohort_id,
                root=str(path),
                db_url=db_url or f"sqlite:///{path / 'gradebook.db'}",
                exchange_root=str(exchange_dir()),
                check_owner="False",
            ),
            encoding="utf-8",
        )
        meta = {
            "id": cohort_id,
            "title": title,
            "program": program_id,
            "municipality": municipality,
            "start": dates.get("start"),
            "end": dates.get("end"),
            "instructors": list(instructors),
            "assignments": program.assignments,
            "created": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        }
        (path / META).write_text(json.dumps(meta, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        exchange_dir().mkdir(parents=True, exist_ok=True)
        cohort = Cohort(path)
        cohort.gradebook().close()  # creates the gradebook's tables
        from .manual_grading import install

        install(cohort)  # the grading page and the rubrics travel with the cohort (the hub cannot read grading/)
    except BaseException:
        shutil.rmtree(path, ignore_errors=True)
        raise
    return cohort
