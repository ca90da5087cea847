"""The fictional towns' data: each folder says it is fictional and CC BY 4.0; lessons find it from anywhere."""

import pandas as pd
from conftest import REPO

from wagamama.town_data import data_folder


def test_every_town_folder_is_fictional_and_licensed():
    towns = sorted(p for p in (REPO / "curriculum" / "data").iterdir() if p.is_dir())
    assert {t.name for t in towns} >= {"sakura", "momiji", "aoba"}
    for town in towns:
        readme = (town / "README.md").read_text(encoding="utf-8")
        assert "架空" in readme and "CC BY 4.0" in readme and "creativecommons.org/licenses/by/4.0" in readme, town
        for csv in town.glob("*.csv"):
            assert csv.name in readme, f"{town.name}: {csv.name} is not described in its README"
            assert len(pd.read_csv(csv)) > 0


def test_the_town_office_excel_is_shaped_like_one(tmp_path):
    """A title row, a two-row header with merged cells, 和暦 dates, full-width digits, blank rows, a total row."""
    from openpyxl import load_workbook

    wb = load_workbook(REPO / "curriculum" / "data" / "momiji" / "gyouji_yotei.xlsx")
    assert wb.sheetnames == ["4月〜6月", "7月〜9月"]
    ws = wb["4月〜6月"]
    assert "A1:F1" in {str(r) for r in ws.merged_cells.ranges} and "B3:C3" in {str(r) for r in ws.merged_cells.ranges}
    values = [c.value for c in ws["B"][4:]]
    assert any(isinstance(v, str) and "８" in v for v in values) and "令和8年4月5日" in values
    rows = [[c.value for c in r] for r in ws.iter_rows(min_row=5)]
    assert any(all(v is None for v in r) for r in rows) and rows[-1][0] == "合計"


def test_a_lesson_finds_the_data_beside_it_or_in_the_package(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert data_folder("momiji") == REPO / "curriculum" / "data" / "momiji"
    (tmp_path / "data" / "momiji").mkdir(parents=True)
    (tmp_path / "lesson").mkdir()
    monkeypatch.chdir(tmp_path / "lesson")
    assert data_folder("momiji") == tmp_path / "data" / "momiji"
