"""Grading written answers in Japanese, with the rubric beside each answer.

The data side reads the gradebook (which cells are graded by hand, who still waits for a grade), the
rubrics and the learners' answers, and saves a score and a comment through nbgrader's gradebook API, so the
formgrader, ``wagamama status``, feedback and exports all see the same grade.

The page (:func:`grading_page`) is an ipywidgets page in ``saiten.ipynb``, a notebook placed in the cohort
folder by :func:`install` (when the cohort is created and by ``wagamama grade``). Its kernel finds the
cohort from its own folder, so on the hub the cohort's formgrader service shows it to that cohort's
instructors only (``/services/<id>/voila/render/saiten.ipynb``); ``wagamama grade`` serves it with Voilà.

Rubrics travel with the cohort: ``<cohort>/rubrics/<assignment>.yaml`` (or ``<assignment>.<cell>.yaml``
when an assignment has several written questions), copied from ``grading/rubrics/`` and never overwritten
there, so a town may edit its copy. Learners' answers are read as data (JSON), never executed.
"""

from __future__ import annotations

import hashlib
import html
import json
import math
import os
import shutil
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import yaml

from .cohort import META, Cohort
from .errors import WagamamaError
from .locations import content_root

PAGE = "saiten.ipynb"
RUBRICS = "rubrics"
MAX_NOTEBOOK_BYTES = 20_000_000
PAGE_SOURCE = Path(__file__).parent / "pages" / PAGE


# --- rubrics ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Level:
    score: float
    label: str
    description: str
    example: str = ""
    comment: str = ""  # a comment to the learner the instructor may start from


@dataclass(frozen=True)
class Rubric:
    assignment: str
    cell: str
    points: float
    criterion: str
    levels: tuple[Level, ...]  # highest score first
    tips: tuple[str, ...]
    path: Path


def rubric_files(folder: Path, assignment: str) -> list[Path]:
    """``<assignment>.yaml`` and ``<assignment>.<cell>.yaml`` in a folder."""
    return sorted({*folder.glob(f"{assignment}.yaml"), *folder.glob(f"{assignment}.*.yaml")})


def _parse_rubric(path: Path, data: dict) -> Rubric:
    try:
        levels = tuple(sorted(
            (Level(float(score), str(v.get("label", "")), str(v.get("description", "")).strip(),
                   str(v.get("example", "") or "").strip(), str(v.get("comment", "") or "").strip())
             for score, v in data["levels"].items()),
            key=lambda level: -level.score))
        return Rubric(data["assignment"], data["cell"], float(data.get("points", levels[0].score)),
                      str(data.get("criterion", "")), levels, tuple(str(t) for t in data.get("feedback_tips") or ()),
                      path)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        raise WagamamaError(f"ルーブリック {path} の形が読めません（{exc}）。levels の下に、点数ごとに label と "
                            "description を書きます。grading/rubrics/ の見本と比べてください。",
                            f"bad rubric {path}") from None


def load_rubric(cohort: Cohort, assignment: str, cell: str) -> Rubric | None:
    """The rubric of one question: the cohort's copy first, then the repository's ``grading/rubrics/``."""
    for folder in (cohort.path / RUBRICS, content_root() / "grading" / "rubrics"):
        try:
            files = rubric_files(folder, assignment)
        except OSError:  # on the hub the repository may not be readable by the grader account
            continue
        for path in files:
            try:
                data = yaml.safe_load(path.read_text(encoding="utf-8"))
            except OSError:
                continue
            except yaml.YAMLError as exc:
                raise WagamamaError(f"ルーブリック {path} が YAML として読めません: {exc}", f"bad YAML {path}") from None
            if isinstance(data, dict) and data.get("assignment") == assignment and data.get("cell") == cell:
                return _parse_rubric(path, data)
    return None


def copy_rubrics(cohort: Cohort) -> list[Path]:
    """Copy the rubrics of the cohort's assignments into ``<cohort>/rubrics/``; copies already there stay."""
    source = content_root() / "grading" / "rubrics"
    made = []
    for a in cohort.assignments:
        for path in rubric_files(source, a):
            dest = cohort.path / RUBRICS / path.name
            if not dest.exists():
                dest.parent.mkdir(exist_ok=True)
                shutil.copyfile(path, dest)
                made.append(dest)
    return made


def install(cohort: Cohort) -> Path:
    """Put the grading page and the rubrics into the cohort folder (safe to run again); return the page."""
    copy_rubrics(cohort)
    page = cohort.path / PAGE
    text = PAGE_SOURCE.read_bytes()
    if not page.exists() or page.read_bytes() != text:
        page.write_bytes(text)
    return page


# --- questions and answers ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Question:
    assignment: str
    notebook: str  # nbgrader's notebook id: the file name without .ipynb
    cell: str      # the grade_id of the answer cell
    max_score: float
    title: str     # the heading above the answer in the source notebook
    prompt: str    # the text of the question (markdown, shown as plain text)


@dataclass
class Answer:
    student: str
    label: str  # the learner's name, or 受講者1, 受講者2, … when names are hidden
    text: str
    problem: str  # why the answer could not be read ("" when it could)
    auto_score: float | None
    manual_score: float | None
    needs_manual: bool
    comment: str  # the manual comment saved so far

    @property
    def score(self) -> float | None:
        return self.manual_score if self.manual_score is not None else self.auto_score


@dataclass(frozen=True)
class Remaining:
    question: int        # answers to this question still waiting for a grade
    question_total: int  # answers to this question
    assignment: int      # written answers of the whole assignment still waiting
    other: int           # other cells of the assignment nbgrader left for a person (not written answers)


def manual_cells(gb, assignment: str) -> dict[tuple[str, str], float]:
    """(notebook, cell) → points, for the cells of an assignment graded by a person.

    nbgrader's "manually graded answer" (a grade cell that is also a solution cell) and "task" cells.
    Autograder tests (grade cells without a solution) are not: their score comes from the tests.
    """
    from nbgrader.api import MissingEntry

    try:
        notebooks = gb.find_assignment(assignment).notebooks
    except MissingEntry:
        return {}
    cells = {}
    for nb in notebooks:
        solutions = {c.name for c in nb.solution_cells}
        for c in nb.grade_cells:
            if c.name in solutions:
                cells[(nb.name, c.name)] = c.max_score
        for c in nb.task_cells:
            cells[(nb.name, c.name)] = c.max_score
    return cells


def _source_cells(cohort: Cohort, assignment: str, notebook: str) -> list[dict]:
    path = cohort.path / "source" / assignment / f"{notebook}.ipynb"
    try:
        return json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError):
        return []


def _text(cell: dict) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _grade_id(cell: dict) -> str | None:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    return nbgrader.get("grade_id") if isinstance(nbgrader, dict) else None


def _is_solution(cell: dict) -> bool:
    meta = cell.get("metadata") if isinstance(cell, dict) else None
    nbgrader = meta.get("nbgrader") if isinstance(meta, dict) else None
    return isinstance(nbgrader, dict) and bool(nbgrader.get("solution"))


def _heading(text: str) -> str | None:
    for line in text.splitlines():
        if line.startswith("#"):
            return line.lstrip("#").strip()
    return None


def describe(cohort: Cohort, assignment: str, notebook: str, cell: str) -> tuple[str, str]:
    """(title, prompt) of a question: the nearest heading above the answer cell and the text from it on."""
    cells = _source_cells(cohort, assignment, notebook)
    at = next((i for i, c in enumerate(cells) if _grade_id(c) == cell), None)
    if at is None:
        return cell, ""
    start = next((i for i in range(at - 1, -1, -1)
                  if cells[i].get("cell_type") == "markdown" and _heading(_text(cells[i]))), None)
    if start is None:
        return cell, ""
    prompt = "\n\n".join(_text(c) for c in cells[start:at]  # the text only: no other answer (solution)
                           if c.get("cell_type") == "markdown" and not _is_solution(c))
    return _heading(_text(cells[start])), prompt


def assignment_heading(cohort: Cohort, assignment: str) -> str:
    """The first heading of the assignment's notebook (「課題1 ワガママ日記と優先順位」), or its id."""
    for path in sorted((cohort.path / "source" / assignment).glob("*.ipynb")):
        for c in _source_cells(cohort, assignment, path.stem):
            if c.get("cell_type") == "markdown" and _heading(_text(c)):
                return _heading(_text(c))
    return assignment


def questions(cohort: Cohort, assignment: str) -> list[Question]:
    """The written (hand-graded) questions of an assignment, in notebook order."""
    with cohort.gradebook() as gb:
        cells = manual_cells(gb, assignment)
    found = []
    for (notebook, cell), points in cells.items():
        title, prompt = describe(cohort, assignment, notebook, cell)
        order = [_grade_id(c) for c in _source_cells(cohort, assignment, notebook)]
        found.append((notebook, order.index(cell) if cell in order else len(order),
                      Question(assignment, notebook, cell, points, title, prompt)))
    return [q for *_, q in sorted(found, key=lambda x: (x[0], x[1]))]


def read_answer(cohort: Cohort, student: str, question: Question) -> tuple[str, str]:
    """(text, problem) of one learner's answer, read from the autograded notebook as JSON.

    The notebook was written while the learner's code ran: a link or a special file is not followed,
    and nothing in it is executed or rendered.
    """
    base = cohort.path / "autograded"
    path = cohort.autograded_dir(student, question.assignment) / f"{question.notebook}.ipynb"
    step = base
    for part in path.relative_to(base).parts:
        step = step / part
        try:
            if stat.S_ISLNK(os.lstat(step).st_mode):
                return "", "答えのファイルがリンクになっているため、読みませんでした。formgrader で確かめます。"
        except OSError:
            return "", "採点済みのノートが見つかりません。自動採点（wagamama autograde）をやり直します。"
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return "", "採点済みのノートが読めません。"
    with os.fdopen(fd, "rb") as f:
        info = os.fstat(f.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_NOTEBOOK_BYTES:
            return "", "採点済みのノートがふつうのファイルでないか、大きすぎます。formgrader で確かめます。"
        raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    try:
        nb = json.loads(raw.decode("utf-8"))
        cells = nb["cells"] if isinstance(nb, dict) and isinstance(nb.get("cells"), list) else None
    except (ValueError, UnicodeDecodeError):
        cells = None
    if cells is None:
        return "", "採点済みのノートがこわれていて読めません。"
    for cell in cells:
        if _grade_id(cell) == question.cell:
            return _text(cell), ""
    return "", "この問題の答えのセルがノートにありません（消されたか、名前が変わっています）。"


def learner_name(cohort: Cohort, student, sid: str) -> str:
    name = (cohort.learners.get(sid) or {}).get("name")
    if not name and student is not None:
        name = " ".join(x for x in (student.last_name, student.first_name) if x)
    return name or ""


def _hidden_order(cohort: Cohort, assignment: str, student: str) -> str:
    """A fixed order that is not the roster's, so 受講者1 is not simply the first ID."""
    return hashlib.sha256(f"{cohort.id}\0{assignment}\0{student}".encode()).hexdigest()


def answers(cohort: Cohort, question: Question, show_names: bool) -> list[Answer]:
    """Every submitted answer to a question, with its grade and comment so far.

    With names shown: in ID order, labelled 「山田 花子（u01）」. Hidden: in a fixed shuffled order,
    labelled 受講者1, 受講者2, … (the same learner keeps the same number for this assignment).
    """
    from nbgrader.api import MissingEntry

    rows = []
    with cohort.gradebook() as gb:
        try:
            submissions = gb.assignment_submissions(question.assignment)
        except MissingEntry:
            submissions = []
        for sub in submissions:
            sid = sub.student.id
            try:
                grade = gb.find_grade(question.cell, question.notebook, question.assignment, sid)
            except MissingEntry:
                continue
            try:
                comment = gb.find_comment(question.cell, question.notebook, question.assignment, sid).manual_comment
            except MissingEntry:
                comment = None
            rows.append((sid, learner_name(cohort, sub.student, sid), grade.auto_score, grade.manual_score,
                         bool(grade.needs_manual_grade), comment or ""))
    if show_names:
        rows.sort(key=lambda r: r[0])
    else:
        rows.sort(key=lambda r: _hidden_order(cohort, question.assignment, r[0]))
    found = []
    for i, (sid, name, auto, manual, needs, comment) in enumerate(rows, 1):
        label = (f"{name}（{sid}）" if name else sid) if show_names else f"受講者{i}"
        text, problem = read_answer(cohort, sid, question)
        found.append(Answer(sid, label, text, problem, auto, manual, needs, comment))
    return found


def remaining(cohort: Cohort, question: Question) -> Remaining:
    from nbgrader.api import MissingEntry

    q_left = q_total = a_left = other = 0
    with cohort.gradebook() as gb:
        written = manual_cells(gb, question.assignment)
        try:
            submissions = gb.assignment_submissions(question.assignment)
        except MissingEntry:
            submissions = []
        for sub in submissions:
            for nb in sub.notebooks:
                for g in nb.grades:
                    key = (nb.notebook.name, g.cell.name)
                    if key == (question.notebook, question.cell):
                        q_total += 1
                        q_left += bool(g.needs_manual_grade)
                    if g.needs_manual_grade:
                        if key in written:
                            a_left += 1
                        else:
                            other += 1
    return Remaining(q_left, q_total, a_left, other)


def save_grade(cohort: Cohort, question: Question, student: str, score: float, comment: str) -> None:
    """Save a person's score and comment for one answer, as the formgrader does; nothing else changes.

    Refuses cells that are not graded by a person and scores outside 0 … the question's points.
    """
    from nbgrader.api import MissingEntry

    try:
        score = float(score)
    except (TypeError, ValueError):
        raise WagamamaError(f"点数「{score}」は数ではありません。", f"score {score!r} is not a number") from None
    with cohort.gradebook() as gb:
        cells = manual_cells(gb, question.assignment)
        key = (question.notebook, question.cell)
        if key not in cells:
            raise WagamamaError(
                f"「{question.cell}」（{question.assignment} / {question.notebook}）は、講師が採点する問題ではありません。"
                "自動採点のテストの点数は、ここでは変えられません。",
                f"{question.assignment}/{question.notebook}/{question.cell} is not graded by hand")
        points = cells[key]
        if not math.isfinite(score) or not 0 <= score <= points:
            raise WagamamaError(f"点数は 0 から {points:g} までです（{score:g} は保存しません）。",
                                f"score {score} outside 0..{points}")
        try:
            grade = gb.find_grade(question.cell, question.notebook, question.assignment, student)
            saved = gb.find_comment(question.cell, question.notebook, question.assignment, student)
        except MissingEntry:
            raise WagamamaError(f"{student} の {question.assignment} の答えが成績簿にありません。",
                                f"no grade for {student}") from None
        grade.manual_score = score
        grade.needs_manual_grade = False
        saved.manual_comment = comment.strip()
        gb.db.commit()


# --- the page -----------------------------------------------------------------------------------------

def find_cohort(folder: Path | None = None) -> Cohort:
    """The cohort whose folder holds ``folder`` (default: the working folder, where the page lives)."""
    start = Path(folder or os.getcwd()).resolve()
    for path in (start, *start.parents):
        if (path / META).is_file() and (path / "nbgrader_config.py").is_file():
            return Cohort(path)
    raise WagamamaError(f"講座のフォルダが見つかりません（{start}）。採点のページは講座のフォルダ（cohort.json のある場所）"
                        "に置いて開きます。`wagamama grade 講座ID` で開けます。", f"no cohort above {start}")


def _esc(text: str) -> str:
    return html.escape(text, quote=True)


def _points(x: float | None) -> str:
    return "-" if x is None else (f"{int(x)}" if float(x).is_integer() else f"{x:.1f}")


class GradingPage:
    """The widgets: assignment and question, the answer, the rubric's levels, a comment, 保存して次へ."""

    def __init__(self, cohort: Cohort):
        import ipywidgets as w

        self.w = w
        self.cohort = cohort
        self.question: Question | None = None
        self.rubric: Rubric | None = None
        self.items: list[Answer] = []
        self.index = 0
        self.score: float | None = None
        self.suggested: str | None = None
        self._quiet = False

        full = w.Layout(width="99%")
        self.assignment = w.Dropdown(description="課題", layout=full, style={"description_width": "4em"})
        self.question_box = w.Dropdown(description="問題", layout=full, style={"description_width": "4em"})
        self.names = w.Checkbox(description="名前を表示する", value=False, indent=False)
        self.answer_pick = w.Dropdown(description="答え", layout=w.Layout(width="24em"), style={"description_width": "4em"})
        self.prev = w.Button(description="前へ", layout=w.Layout(width="6em"))
        self.next = w.Button(description="次へ", layout=w.Layout(width="6em"))
        self.counts = w.HTML()
        self.prompt = w.HTML()
        self.prompt_box = w.Accordion(children=[self.prompt])
        self.prompt_box.set_title(0, "問題文を見る")
        self.prompt_box.selected_index = None
        self.answer = w.HTML()
        self.criterion = w.HTML()
        self.levels = w.VBox()
        self.level_buttons: list[tuple[object, Level]] = []
        self.comment = w.Textarea(placeholder="受講者へのコメントを書きます。フィードバックに出ます。",
                                  layout=w.Layout(width="99%", height="7em"))
        self.tips = w.HTML()
        self.save = w.Button(description="保存して次へ", button_style="primary", layout=w.Layout(width="12em"))
        self.message = w.HTML()

        self.assignment.observe(self._on_assignment, names="value")
        self.question_box.observe(self._on_question, names="value")
        self.names.observe(self._on_names, names="value")
        self.answer_pick.observe(self._on_pick, names="value")
        self.prev.on_click(lambda _: self._go(self.index - 1))
        self.next.on_click(lambda _: self._go(self.index + 1))
        self.save.on_click(self._on_save)

        heading = w.HTML(f"<h2 style='margin:0'>文章の答えの採点</h2><p>{_esc(cohort.title)}（{_esc(cohort.id)}）。"
                         "答えを読み、ルーブリックの段階を選びます。コメントを書いて「保存して次へ」を押します。</p>")
        self.root = w.VBox([
            heading, self.assignment, self.question_box, self.names, self.counts, self.prompt_box,
            w.HBox([self.answer_pick, self.prev, self.next]), self.answer,
            self.criterion, self.levels,
            w.HTML("<b>コメント</b>"), self.comment, self.tips,
            w.HBox([self.save]), self.message,
        ], layout=w.Layout(max_width="60em"))

        options = []
        for a in cohort.assignments:
            qs = questions(cohort, a)
            if qs:
                options.append((f"{a} {assignment_heading(cohort, a)}", a))
        self._questions: dict[str, list[Question]] = {}
        if not options:
            self.root.children = [heading, w.HTML(
                "<p>講師が採点する答えは、まだありません。提出物を回収して自動採点（<code>wagamama autograde</code>）"
                "したあとに、このページを開き直します。</p>")]
            return
        self._set(self.assignment, options=options, value=options[0][1])
        self._on_assignment()

    def _set(self, widget, **values) -> None:
        """Change a widget from here without running its observers."""
        self._quiet = True
        try:
            for name, value in values.items():
                setattr(widget, name, value)
        finally:
            self._quiet = False

    # --- loading ---
    def _on_assignment(self, _change=None) -> None:
        a = self.assignment.value
        if self._quiet or a is None:
            return
        self._questions[a] = questions(self.cohort, a)
        self._set(self.question_box, options=[(q.title if "点" in q.title else f"{q.title}（{_points(q.max_score)}点）", i)
                                              for i, q in enumerate(self._questions[a])], value=0)
        self._on_question()

    def _on_question(self, _change=None) -> None:
        if self._quiet or self.question_box.value is None:
            return
        self.items = []
        self.question = self._questions[self.assignment.value][self.question_box.value]
        self.rubric = load_rubric(self.cohort, self.question.assignment, self.question.cell)
        self.prompt.value = f"<div style='white-space:pre-wrap'>{_esc(self.question.prompt)}</div>"
        self._build_levels()
        self._reload()
        waiting = [i for i, item in enumerate(self.items) if item.needs_manual]
        self._go(waiting[0] if waiting else 0)
        self.message.value = ""

    def _build_levels(self) -> None:
        w, q, r = self.w, self.question, self.rubric
        rows, self.level_buttons = [], []
        if r is None:
            levels = tuple(Level(float(s), "", "") for s in range(int(q.max_score), -1, -1))
            self.criterion.value = (f"<p><b>基準</b>: この問題のルーブリックが見つかりません（講座の {RUBRICS}/ "
                                    f"{q.assignment}.yaml）。点数を選んで保存できます。</p>")
            self.tips.value = ""
        else:
            levels = r.levels
            note = "" if r.points == q.max_score else (
                f" <span style='color:#b00'>ルーブリックは {_points(r.points)} 点満点ですが、この問題は "
                f"{_points(q.max_score)} 点満点です。満点をこえる段階は選べません。</span>")
            self.criterion.value = f"<p><b>基準</b>: {_esc(r.criterion)}{note}</p>"
            self.tips.value = ("<details><summary>コメントのヒント</summary><ul>"
                               + "".join(f"<li>{_esc(t)}</li>" for t in r.tips) + "</ul></details>") if r.tips else ""
        for level in levels:
            text = f"{_points(level.score)}点 {level.label}".strip()
            button = w.Button(description=text, tooltip=text, layout=w.Layout(width="18em", min_width="18em"),
                              disabled=level.score > q.max_score)
            button.on_click(lambda _, lv=level: self._on_level(lv))
            detail = _esc(level.description)
            if level.example:
                detail += f"<br><span style='color:#555'>例: {_esc(level.example)}</span>"
            rows.append(w.HBox([button, w.HTML(f"<div style='padding-left:8px'>{detail}</div>")]))
            self.level_buttons.append((button, level))
        self.levels.children = rows

    def _reload(self) -> None:
        keep = self.items[self.index].student if self.items else None
        self.items = answers(self.cohort, self.question, self.names.value)
        if keep is not None:
            self.index = next((i for i, a in enumerate(self.items) if a.student == keep), 0)
        self._refresh_picker()
        self._refresh_counts()

    def _refresh_picker(self) -> None:
        def state(a: Answer) -> str:
            if a.needs_manual:
                return "採点待ち"
            if a.manual_score is None:
                return f"{_points(a.score)}点（自動）"
            return f"{_points(a.score)}点"

        self._set(self.answer_pick, options=[(f"{a.label} — {state(a)}", i) for i, a in enumerate(self.items)],
                  value=self.index if self.items else None)

    def _refresh_counts(self) -> None:
        left = remaining(self.cohort, self.question)
        text = (f"この問題: 採点待ち <b>{left.question}</b> 件（答え {left.question_total} 件）。"
                f"この課題: 採点待ち <b>{left.assignment}</b> 件。")
        if left.other:
            text += f"ほかに、自動採点のセルで人の確認が必要なものが {left.other} 件あります。formgrader で確かめます。"
        self.counts.value = f"<p>{text}</p>"

    # --- one answer ---
    def _go(self, index: int) -> None:
        if not self.items:
            self.answer.value = "<p>この問題の答えは、まだありません。</p>"
            self.save.disabled = True
            return
        self.save.disabled = False
        self.index = index % len(self.items)
        item = self.items[self.index]
        self._set(self.answer_pick, value=self.index)
        if item.problem:
            body = f"<p style='color:#b00'>{_esc(item.problem)}</p>"
        elif not item.text.strip():
            body = "<p style='color:#555'>（何も書かれていません）</p>"
        else:
            body = f"<div style='white-space:pre-wrap;line-height:1.7'>{_esc(item.text)}</div>"
        saved = ("採点待ち" if item.needs_manual else
                 f"保存した点数: {_points(item.score)}点" + ("" if item.manual_score is not None else "（自動）"))
        self.answer.value = (f"<div style='border:1px solid #ccc;border-radius:6px;padding:10px;margin:6px 0'>"
                             f"<p style='margin-top:0'><b class='wagamama-learner'>{_esc(item.label)}</b> の答え — "
                             f"{saved}</p><div class='wagamama-answer'>{body}</div></div>")
        self.score = item.manual_score
        self.comment.value = item.comment
        self.suggested = None
        self._mark()

    def _mark(self) -> None:
        for button, level in self.level_buttons:
            button.button_style = "success" if self.score is not None and level.score == self.score else ""

    def _on_pick(self, change) -> None:
        if not self._quiet and change["new"] is not None:
            self._go(change["new"])

    def _on_names(self, _change) -> None:
        if self.question is not None:
            self._reload()
            self._go(self.index)

    def _on_level(self, level: Level) -> None:
        self.score = level.score
        self._mark()
        if level.comment and self.comment.value.strip() in ("", (self.suggested or "").strip()):
            self.comment.value = level.comment
            self.suggested = level.comment
        self.message.value = ""

    def _on_save(self, _button) -> None:
        if not self.items:
            return
        if self.score is None:
            self.message.value = "<p style='color:#b00'>先に、ルーブリックの段階のボタンを押します。</p>"
            return
        item = self.items[self.index]
        try:
            save_grade(self.cohort, self.question, item.student, self.score, self.comment.value)
        except WagamamaError as exc:
            self.message.value = f"<p style='color:#b00'>保存できませんでした。{_esc(exc.message)}</p>"
            return
        except Exception as exc:  # the gradebook is busy or gone: say so on the page, keep what was typed
            self.message.value = (f"<p style='color:#b00'>保存できませんでした（{_esc(type(exc).__name__)}: "
                                  f"{_esc(str(exc)[:300])}）。もう一度押します。続くときは、運用担当の方に伝えます。</p>")
            return
        done = f"{item.label} に {_points(self.score)}点を保存しました。"
        self._reload()
        n = len(self.items)
        waiting = [(self.index + k) % n for k in range(1, n + 1) if self.items[(self.index + k) % n].needs_manual]
        if waiting:
            self._go(waiting[0])
        else:
            done += "この問題の答えは、すべて採点しました。"
            self._go(min(self.index + 1, n - 1))
        self.message.value = f"<p style='color:#060'>{_esc(done)}</p>"


def grading_page(folder: str | Path | None = None):
    """The page as one widget, for the cohort whose folder holds ``folder`` (default: the working folder)."""
    import ipywidgets as w

    try:
        return GradingPage(find_cohort(Path(folder) if folder else None)).root
    except WagamamaError as exc:
        return w.HTML(f"<p style='color:#b00'>{_esc(exc.message)}</p>")


# --- wagamama grade -----------------------------------------------------------------------------------

def serve(cohort: Cohort, port: int | None = None, open_browser: bool = True) -> int:
    """``wagamama grade``: the page with Voilà on 127.0.0.1 (a token in the URL), until Ctrl+C."""
    import secrets
    import socket
    import webbrowser

    from .app.serve import free_port

    page = install(cohort)
    port = port or free_port()
    token = secrets.token_hex(16)
    url = f"http://127.0.0.1:{port}/?token={token}"
    log_path = cohort.path / "logs" / "saiten.log"
    log_path.parent.mkdir(exist_ok=True)
    voila = shutil.which("voila", path=os.path.dirname(sys.executable)) or "voila"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [voila, str(page), f"--port={port}", "--no-browser", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0",
             f"--Voila.token={token}", "--theme=light", "--show_tracebacks=True"],
            cwd=cohort.path, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise WagamamaError(f"採点のページを開けませんでした。ポート {port} がほかのプログラムに使われていないか、確かめます。"
                                    f"くわしくは {log_path} を見ます。", f"voila exited with {proc.returncode}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if time.monotonic() > deadline:
                raise WagamamaError(f"採点のページが 60 秒たっても開きません。くわしくは {log_path} を見ます。",
                                    "voila did not answer")
            time.sleep(0.3)
        print(f"「{cohort.title}」（{cohort.id}）の、文章の答えを採点するページです。")
        print("このパソコンの中だけで開けます。止めるときは Ctrl+C を押します。保存した点数は成績簿に残ります。")
        print("ブラウザで次のアドレスを開きます:")
        print(url, flush=True)
        if open_browser:
            webbrowser.open(url)
        return proc.wait()
    except KeyboardInterrupt:
        print("\n採点のページを止めました。保存した点数は成績簿に残っています。")
        return 0
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
