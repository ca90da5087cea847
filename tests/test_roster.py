"""Roster import: the encodings and layouts a town office exports, and every bad-input case."""

import json

import openpyxl
import pytest

from wagamama.cohort import create_cohort, open_cohort
from wagamama.errors import WagamamaError
from wagamama.roster import import_roster, parse

GOOD = "受講者ID,氏名,ふりがな,メールアドレス\nu001,山田 花子,やまだ はなこ,hanako@example.jp\nu002,佐藤 美咲,さとう みさき,\n"


def write(tmp_path, text, encoding="utf-8", name="名簿.csv"):
    p = tmp_path / name
    p.write_bytes(text.encode(encoding))
    return p


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932", "shift_jis", "utf-16"])
def test_encodings(tmp_path, encoding):
    text = GOOD.replace(",", "\t") if encoding == "utf-16" else GOOD
    learners = parse(write(tmp_path, text, encoding))
    assert [(x.id, x.name, x.kana) for x in learners] == [("u001", "山田 花子", "やまだ はなこ"), ("u002", "佐藤 美咲", "さとう みさき")]


def test_english_headers_crlf_and_blank_lines(tmp_path):
    text = "Student ID,Name,Kana,E-mail\r\nU001,Hanako Yamada,,h@example.jp\r\n,,,\r\n"
    learners = parse(write(tmp_path, text.replace("Student ID", "student_id")))
    assert learners[0].id == "u001" and learners[0].email == "h@example.jp"


def test_family_and_given_name_columns_and_fullwidth_id(tmp_path):
    learners = parse(write(tmp_path, "ID,姓,名,フリガナ\nｕ００１,山田,花子,ヤマダ ハナコ\n"))
    assert (learners[0].id, learners[0].name) == ("u001", "山田 花子")


def test_xlsx(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["学籍番号", "氏名", "ふりがな"])
    ws.append(["u010", "鈴木 洋子", "すずき ようこ"])
    ws.append([20, "高橋 さくら", None])  # a number typed into Excel
    wb.save(tmp_path / "r.xlsx")
    assert [x.id for x in parse(tmp_path / "r.xlsx")] == ["u010", "20"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ID,氏名\nu001,山田\nu001,佐藤\n", "3行目「ID」列: 「u001」は 2行目と同じID"),
        ("ID,氏名\n,山田\n", "2行目「ID」列: 空です"),
        ("ID,氏名\nやまだ,山田\n", "2行目「ID」列: 「やまだ」に日本語などの全角文字"),
        ("ID,氏名\nu 001,山田\n", "2行目「ID」列: 「u 001」は使えません"),
        ("ID,氏名\nu001,\n", "2行目「氏名」列: 空です"),
        ("ID,氏名,メール\nu001,山田,yamada.example.jp\n", "2行目「メール」列"),
        ("番号だけ,名前ではない\nu001,山田\n", "1行目（見出し）に ID（受講者ID・学籍番号・id など）と氏名"),
        ("ID\nu001\n", "氏名（または「姓」と「名」） の列がありません"),
        ("ID,氏名\n", "受講者が1人もいません"),
    ],
)
def test_bad_rows_are_named_by_row_and_column(tmp_path, text, expected):
    with pytest.raises(WagamamaError) as info:
        parse(write(tmp_path, text))
    assert expected in info.value.message


def test_all_problems_are_listed_at_once(tmp_path):
    with pytest.raises(WagamamaError) as info:
        parse(write(tmp_path, "ID,氏名\n,山田\nu002,\nu003,鈴木\nu003,田中\n"))
    assert "3 件の問題" in info.value.message and "何も取り込んでいません" in info.value.message


def test_bad_encoding(tmp_path):
    p = tmp_path / "r.csv"
    p.write_bytes(b"ID,\x82\xa0\xff\xfe\xfd\n")
    with pytest.raises(WagamamaError, match="文字コードが読めません"):
        parse(p)


def test_missing_file_and_old_excel(tmp_path):
    with pytest.raises(WagamamaError, match="がありません"):
        parse(tmp_path / "nothing.csv")
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(WagamamaError, match="古い Excel 形式"):
        parse(tmp_path / "old.xls")


def test_corrupt_xlsx(tmp_path):
    (tmp_path / "bad.xlsx").write_bytes(b"not a zip")
    with pytest.raises(WagamamaError, match="Excel ファイルとして開けません"):
        parse(tmp_path / "bad.xlsx")


@pytest.fixture
def cohort(home):
    return create_cohort("t-roster", "wagamama-lab", "テスト講座")


def students(cohort):
    with cohort.gradebook() as gb:
        return {s.id: (s.last_name, s.first_name, s.email) for s in gb.students}


def test_import_then_reimport_is_a_noop_and_a_changed_name_updates(tmp_path, cohort):
    path = write(tmp_path, GOOD, "cp932")
    first = import_roster(cohort, path)
    assert first.added == ["u001", "u002"] and students(cohort)["u001"] == ("山田", "花子", "hanako@example.jp")
    before = (cohort.path / "cohort.json").read_text(encoding="utf-8")
    again = import_roster(open_cohort("t-roster"), path)
    assert again.unchanged == ["u001", "u002"] and not again.added and not again.updated
    assert (cohort.path / "cohort.json").read_text(encoding="utf-8") == before

    changed = write(tmp_path, GOOD.replace("佐藤 美咲", "佐藤 みさき"), "utf-8-sig")
    third = import_roster(open_cohort("t-roster"), changed)
    assert third.updated == ["u002"] and third.unchanged == ["u001"]
    assert students(cohort)["u002"][1] == "みさき"
    assert json.loads((cohort.path / "cohort.json").read_text(encoding="utf-8"))["learners"]["u002"]["name"] == "佐藤 みさき"


def test_a_bad_file_changes_nothing(tmp_path, cohort):
    import_roster(cohort, write(tmp_path, GOOD))
    before = students(cohort), (cohort.path / "cohort.json").read_text(encoding="utf-8")
    bad = write(tmp_path, GOOD + "u003,\n" + "u004,新人\n", name="bad.csv")
    with pytest.raises(WagamamaError):
        import_roster(open_cohort("t-roster"), bad)
    assert (students(cohort), (cohort.path / "cohort.json").read_text(encoding="utf-8")) == before
