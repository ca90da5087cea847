"""`wagamama status` and `wagamama export`: a terminal of 80–120 columns, and files Excel reads right.

One cohort for the module, its gradebook filled through nbgrader's API (no grading run): u01 has ex00 graded
7 of 7 (the score Excel would turn into 7月7日) and ex01 waiting for a manual grade at 8 of 11; u02 has ex00
collected but not graded and ex01 submitted but not collected; u03 has handed in nothing.
"""

import csv
import re
from pathlib import Path

import openpyxl
import pytest

from wagamama import terminal_table
from wagamama.cli import main
from wagamama.cohort import create_cohort, open_cohort
from wagamama.export import export, rows
from wagamama.roster import import_roster
from wagamama.status import render_learner, render_learners, render_summary, status

ID = "t-reports"
E0, E1 = "ex00_hajimete", "ex01_wagamama"
# What Excel turns into a date or a time when it opens a CSV: 7/7, 8/11, 2026-05-01, 5月1日, 10:00.
DATE_LIKE = re.compile(r"\d+\s*/\s*\d+|^\d{1,4}-\d{1,2}(-\d{1,4})?$|^\d+月\d+日$|^\d{1,2}:\d{2}")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


@pytest.fixture(scope="module")
def cohort(tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        home = tmp_path_factory.mktemp("reports")
        mp.setenv("WAGAMAMA_HOME", str(home))
        c = create_cohort(ID, "wagamama-lab", "小山市 ワガママLab 2026春", "小山市")
        (home / "r.csv").write_text("受講者ID,氏名,ふりがな,メール\nu01,山田 花子,やまだ はなこ,hanako@example.jp\n"
                                    "u02,佐藤 美咲,さとう みさき,\nu03,鈴木 洋子,,\n", encoding="utf-8")
        import_roster(c, home / "r.csv")
        with c.gradebook() as gb:
            for a, cells in ((E0, [("q1", 7, "code")]), (E1, [("auto", 8, "code"), ("written", 3, "markdown")])):
                gb.update_or_create_assignment(a)
                gb.add_notebook(a, a)
                for name, points, kind in cells:
                    gb.add_grade_cell(name, a, a, max_score=points, cell_type=kind)
            for a, grades in ((E0, {"q1": 7}), (E1, {"auto": 8, "written": None})):
                gb.add_submission(a, "u01")
                for cell, points in grades.items():  # as autograde leaves them; None: a written answer
                    grade = gb.find_grade(cell, a, a, "u01")
                    grade.auto_score, grade.needs_manual_grade = points, points is None
            gb.db.commit()
        for a in (E0, E1):
            c.autograded_dir("u01", a).mkdir(parents=True)
        c.submitted_dir("u02", E0).mkdir(parents=True)
        inbound = home / "exchange" / ID / "inbound" / f"u02+{E1}+2026-05-01 10:00:00.000000 JST"
        inbound.mkdir(parents=True)
        yield open_cohort(ID)


def cli(capsys, *args, code=0):
    assert main(list(args)) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return out + err


def test_states_and_counts(cohort):
    st = status(cohort)
    assert [(st.cells[("u01", a)].state, st.cells[("u01", a)].score) for a in (E0, E1)] == \
        [("graded", 7), ("needs_manual", 8)]
    assert [st.cells[("u02", a)].state for a in (E0, E1)] == ["submitted", "waiting"]
    assert st.maxima[E0] == 7 and st.maxima[E1] == 11 and st.maxima["ex02_yusen"] is None  # not released
    assert st.counts(E0) == {"graded": 1, "needs_manual": 0, "submitted": 1, "waiting": 0, "not_submitted": 1}
    assert st.submitted("u01") == 2 and st.total("u01") == 15 and st.submitted("u03") == 0


@pytest.mark.parametrize("columns", [80, 120])
def test_every_view_fits_the_terminal(cohort, columns):
    st = status(cohort)
    for text in (render_summary(st, columns), render_learners(st, columns), render_learner(st, "u01", columns)):
        assert max(terminal_table.width(line) for line in text.splitlines()) <= columns, text
    summary = render_summary(st, columns).splitlines()
    assert summary[0] == "受講者 3 名・課題 10 件"
    line = {ln.split()[0]: ln for ln in summary if ln.startswith("ex")}
    # 提出 採点済み 手動待ち 未採点 未回収 未提出
    assert re.findall(r"\d+", line[E0])[-6:] == ["2", "1", "0", "1", "0", "1"]
    assert re.findall(r"\d+", line[E1])[-6:] == ["2", "0", "1", "0", "1", "1"]
    assert ("ワガママ日記と優先順位" in line[E1]) == (columns == 120)  # cut with … only when it must


def test_status_on_the_command_line(cohort, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = cli(capsys, "status", ID)
    assert "受講者 3 名・課題 10 件" in out and f"wagamama status {ID} --learners" in out
    assert max(terminal_table.width(line) for line in out.splitlines()) <= 80

    out = cli(capsys, "status", ID, "--learners")
    learners = {line.split()[0]: line for line in out.splitlines() if line.startswith("u0")}
    assert learners["u01"].split()[-10:] == ["済", "手", *["－"] * 8] and " 2/10 " in learners["u01"]
    assert learners["u02"].split()[-10:] == ["回", "届", *["－"] * 8] and " 0 " in learners["u02"]
    assert max(terminal_table.width(line) for line in out.splitlines()) <= 80

    out = cli(capsys, "status", ID, "--learner", "u01")
    rows_ = {line.split()[0]: line.split() for line in out.splitlines() if line.startswith("ex")}
    assert "山田 花子（やまだ はなこ）" in out and "提出 2 / 10 件、合計 15 点" in out
    assert rows_[E1][-3:] == ["手動採点待ち", "8", "11"] and rows_[E0][-3:] == ["採点済み", "7", "7"]
    assert rows_["ex02_yusen"][-1] == "未提出"  # not released: no score, no full marks

    assert "受講者「u09」は名簿にいません" in cli(capsys, "status", ID, "--learner", "u09", code=1)


def test_status_to_excel(cohort, capsys, tmp_path):
    out = cli(capsys, "status", ID, "--xlsx", str(tmp_path / "状況.xlsx"))
    assert f"書き出しました: {tmp_path / '状況.xlsx'}" in out
    wb = openpyxl.load_workbook(tmp_path / "状況.xlsx")
    summary = {r[0]: r for r in wb["課題ごと"].iter_rows(values_only=True)}
    assert summary[E1][2:] == (3, 2, 0, 1, 0, 1, 1)
    learners = {r[0]: r for r in wb["受講者ごと"].iter_rows(values_only=True)}
    assert learners["u01"][2:6] == (2, 10, "採点済み", "手動採点待ち")
    assert "上書きせずに 状況-2.xlsx" in cli(capsys, "status", ID, "--xlsx", str(tmp_path / "状況.xlsx"))


def as_excel_reads(cell: str):
    """A CSV cell as Excel types it: a number, or text."""
    return float(cell) if NUMBER.match(cell) else (None if cell == "" else cell)


def test_csv_reads_right_in_excel(cohort, tmp_path):
    path = export(cohort, "csv", tmp_path / "成績.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert all(not DATE_LIKE.search(cell) for row in table for cell in row), table
    header = table[0]
    by_id = {r[0]: dict(zip(header, map(as_excel_reads, r), strict=True)) for r in table[1:]}
    assert set(by_id) == {"u01", "u02", "u03"}
    u01 = by_id["u01"]
    assert (u01["提出数"], u01["課題数"], u01["提出率(%)"]) == (2, 10, 20)
    assert (u01["合計点"], u01["満点合計"], u01["達成率(%)"]) == (15, 18, 83.3)  # 18 = both released assignments
    assert (u01["はじめての Jupyter（点）"], u01["はじめての Jupyter（満点）"]) == (7, 7)
    assert u01["ワガママ日記と優先順位（状況）"] == "手動採点待ち"
    u02 = by_id["u02"]
    assert (u02["提出数"], u02["合計点"], u02["達成率(%)"]) == (2, 0, 0)
    assert u02["はじめての Jupyter（点）"] is None and u02["はじめての Jupyter（満点）"] == 7
    assert u02["はじめての Jupyter（状況）"] == "回収済み（未採点）"
    assert by_id["u03"]["提出率(%)"] == 0 and by_id["u03"]["優先順位を確かめる（満点）"] is None  # not released


def test_xlsx_reads_right(cohort, tmp_path):
    path = export(cohort, "xlsx", tmp_path / "成績.xlsx")
    wb = openpyxl.load_workbook(path)
    ws = wb["成績"]
    table = [[c.value for c in row] for row in ws.iter_rows()]
    assert table == [[None if v == "" else v for v in r] for r in rows(cohort)]
    header = table[0]
    strings = [v for row in table for v in row if isinstance(v, str)]
    assert not [s for s in strings if DATE_LIKE.search(s)]
    u01 = dict(zip(header, next(r for r in table if r[0] == "u01"), strict=True))
    assert [type(u01[k]) for k in ("提出数", "課題数", "合計点", "満点合計")] == [int] * 4
    assert u01["はじめての Jupyter（点）"] == 7 and isinstance(u01["達成率(%)"], float)
    assert ws.freeze_panes == "C2"
    assert ws.auto_filter.ref == f"A1:{openpyxl.utils.get_column_letter(len(header))}4"
    assert ws.column_dimensions["B"].width >= terminal_table.width("山田 花子") + 2
    assert ws.column_dimensions["D"].width >= len("hanako@example.jp") + 2
    info = dict(wb["情報"].iter_rows(values_only=True))
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \+09:00（Asia/Tokyo）", info["書き出し日時"])
    assert "未配布の 8 件は入っていません" in info["満点合計"]


def test_a_dated_export_is_never_overwritten(cohort, capsys):
    first = cli(capsys, "export", ID, "--format", "csv")
    path = Path(first.split("書き出しました: ")[1].strip())
    assert path.parent == cohort.path / "exports"
    assert path.exists() and "上書き" not in first
    before = path.read_bytes()
    second = cli(capsys, "export", ID, "--format", "csv")
    assert f"{path.name} はもうあるので、上書きせずに {path.stem}-2.csv という名前にしました" in second
    assert path.read_bytes() == before and (path.parent / f"{path.stem}-2.csv").exists()
