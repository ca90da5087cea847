"""A whole cohort with real nbgrader and its real filesystem exchange, driven through the CLI."""

import csv
import re
import shutil

import openpyxl
import pytest

from wagamama import learner
from wagamama.cases import hand_in, load_cases
from wagamama.cli import main
from wagamama.cohort import open_cohort

A = "ex01_wagamama"
ROSTER = "学籍番号,氏名,フリガナ,メール\r\nu01,山田 花子,ヤマダ ハナコ,hanako@example.jp\r\nu02,佐藤 美咲,サトウ ミサキ,\r\nu03,鈴木 洋子,スズキ ヨウコ,\r\n"


def cli(capsys, *args, code=0):
    assert main(list(args)) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return out + err


@pytest.fixture(params=["sqlite", "postgresql"])
def gradebook(request) -> list[str]:
    """The same cohort on nbgrader's default SQLite gradebook and on a real PostgreSQL server."""
    if request.param == "sqlite":
        return []
    return ["--db-url", request.getfixturevalue("postgres")("wagamama_e2e")]


def test_whole_cohort(home, capsys, tmp_path, gradebook):
    cli(capsys, "cohort", "create", "oyama-2026a", "--program", "wagamama-lab", "--title", "小山市 ワガママLab 2026春",
        "--municipality", "小山市", *gradebook)
    assert open_cohort("oyama-2026a").config().CourseDirectory.db_url.startswith(gradebook[1][:10] if gradebook else "sqlite")
    roster = tmp_path / "名簿.csv"
    roster.write_bytes(ROSTER.encode("cp932"))
    assert "追加 3 名" in cli(capsys, "roster", "import", "oyama-2026a", str(roster))
    assert "変更なし 3 名" in cli(capsys, "roster", "import", "oyama-2026a", str(roster))
    assert f"{A}: 配布しました" in cli(capsys, "release", "oyama-2026a", "--all")
    assert "配布済みのため" in cli(capsys, "release", "oyama-2026a", A)
    n = len(open_cohort("oyama-2026a").assignments)
    assert cli(capsys, "status", "oyama-2026a", "--learners").count("－") == 3 * n + 1  # 未提出 marks, and the legend
    assert f"{A}  " in cli(capsys, "status", "oyama-2026a")  # the summary has a line per assignment

    out = cli(capsys, "doctor", "oyama-2026a")
    assert "採点の隔離（oyama-2026a）: " in out and ("bubblewrap（" in out or not shutil.which("bwrap"))

    cohort = open_cohort("oyama-2026a")
    cases = load_cases(A)
    hand_in(cohort, A, "u01", cases["model"], home / "learners" / "u01")
    hand_in(cohort, A, "u02", cases["score_addition"], home / "learners" / "u02")
    assert cli(capsys, "status", "oyama-2026a", "--learners").count("届") == 2 + 1  # two learners, and the legend
    assert "提出済み（未回収）" in cli(capsys, "status", "oyama-2026a", "--learner", "u02")

    out = cli(capsys, "collect", "oyama-2026a")
    assert "2 名分を回収しました（u01、u02）" in out
    out = cli(capsys, "autograde", "oyama-2026a", "--jobs", "2")
    assert "手動採点待ち 2 件" in out and "失敗 0 件" in out and "採点中 [####################] 2/2 件" in out
    assert "変更なしで省略 2 件" in cli(capsys, "autograde", "oyama-2026a")

    for sid, state in (("u01", ["手動採点待ち", "8", "11"]), ("u02", ["手動採点待ち", "4", "11"]), ("u03", ["未提出", "11"])):
        lines = cli(capsys, "status", "oyama-2026a", "--learner", sid).splitlines()
        assert next(line.split() for line in lines if line.startswith(A))[-len(state):] == state

    held = cli(capsys, "feedback", "oyama-2026a")  # the essays are not graded yet: nothing goes out
    assert "2 件のフィードバックを返していません" in held and "返しました" not in held
    assert "2 名にフィードバックを返しました" in cli(capsys, "feedback", "oyama-2026a", "--partial")
    for sid in ("u01", "u02"):
        pages = learner.fetch_feedback(cohort, A, sid, home / "learners" / sid)
        assert len(pages) == 1 and "ワガママ日記" in pages[0].read_text(encoding="utf-8")

    out = cli(capsys, "export", "oyama-2026a", "--format", "csv", "--output", str(tmp_path / "g.csv"))
    raw = (tmp_path / "g.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(raw.decode("utf-8-sig").splitlines()))
    assert rows[0][:4] == ["受講者ID", "氏名", "ふりがな", "メール"]
    by_id = {r[0]: r for r in rows[1:]}
    col = next(i for i, h in enumerate(rows[0]) if "ワガママ日記と優先順位" in h)  # the column of ex01
    assert by_id["u01"][1] == "山田 花子" and by_id["u01"][col] == "8" and by_id["u02"][col] == "4"
    assert by_id["u03"][col] == "" and by_id["u03"][col + 1] == "11"  # full marks even when not handed in
    assert not [c for r in rows for c in r if re.search(r"\d+/\d+", c)]  # nothing Excel would read as a date

    cli(capsys, "export", "oyama-2026a", "--format", "xlsx", "--output", str(tmp_path / "g.xlsx"))
    ws = openpyxl.load_workbook(tmp_path / "g.xlsx")["成績"]
    table = [[c.value for c in row] for row in ws.iter_rows()]
    assert table[0][0] == "受講者ID" and table[1][:2] == ["u01", "山田 花子"] and table[1][col] == 8
