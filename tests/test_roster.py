"""The roster: the encodings and layouts a town office exports, every bad-input case, the one ID rule,
the warnings that stop a mistaken import, listing and removing learners, and the gradebook as its one store."""

import json
import shutil

import openpyxl
import pytest
from sqlalchemy import delete

from wagamama import learner_ids
from wagamama.cli import main
from wagamama.cohort import create_cohort, open_cohort
from wagamama.errors import ConfirmationNeeded, WagamamaError
from wagamama.hub.plan import hub_plan
from wagamama.roster import import_roster, parse
from wagamama.roster_store import EXTRA, Roster
from wagamama.terminal_table import width

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
    ws.append([2026001.0, "田中 由美", None])  # a number Excel stored as a float
    wb.save(tmp_path / "r.xlsx")
    learners = parse(tmp_path / "r.xlsx")
    assert [(x.id, x.written, x.mapped) for x in learners] == \
        [("u010", "u010", False), ("u20", "20", True), ("u2026001", "2026001", True)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("ID,氏名\nu001,山田\nu001,佐藤\n", "3行目「ID」列: 「u001」は 2行目と同じID"),
        ("ID,氏名\n,山田\n", "2行目「ID」列: 空です"),
        ("ID,氏名\nやまだ,山田\n", "2行目「ID」列: 「やまだ」に日本語などの全角文字"),
        ("ID,氏名\nu 001,山田\n", "2行目「ID」列: 「u 001」は使えません"),
        ("ID,氏名\nhana@example.jp,山田\n", "2行目「ID」列: 「hana@example.jp」は使えません"),
        ("ID,氏名\n" + "a" * 33 + ",山田\n", "は長すぎます。32文字まで"),
        ("ID,氏名\ngrader-x,山田\n", "ハブが講座のために使う名前"),
        ("ID,氏名\n2026001,山田\nu2026001,佐藤\n", "3行目「ID」列: 「u2026001」は 2行目の「2026001」と同じID（u2026001）"),
        ("ID,氏名\nu001,\n", "2行目「氏名」列: 空です"),
        ("ID,氏名,メール\nu001,山田,yamada.example.jp\n", "2行目「メール」列"),
        ("番号だけ,名前ではない\nu001,山田\n", "1行目（見出し）に ID（受講者ID・学籍番号・No. など）と氏名"),
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


def test_one_id_rule():
    assert [learner_ids.from_roster(w) for w in ("u0012", "U0012", "2026001", "hana.k-2", "")] == [
        ("u0012", None), ("u0012", None), ("u2026001", None), ("hana.k-2", None), ("", learner_ids.problem(""))]
    assert learner_ids.mapped("2026001", "u2026001") and not learner_ids.mapped("U0012", "u0012")
    for bad in ("2026001", "-x", "a b", "山田", "a" * 33, "grader-oyama", "nbgrader-oyama", "Hana"):
        assert not learner_ids.is_valid(bad), bad
    with pytest.raises(WagamamaError, match="英字で始まっていません.*例: u2026001"):
        learner_ids.require("2026001")
    from wagamama.hub.accounts import UNIX_NAME
    assert UNIX_NAME is learner_ids.UNIX_NAME  # the hub checks accounts with the same rule


@pytest.mark.parametrize("header", ["No.", "番号", "受講番号", "ＮＯ", "学籍番号"])
def test_number_headers_are_the_id_column(tmp_path, header):
    learners = parse(write(tmp_path, f"{header},氏名\nu7,山田 花子\n"))
    assert [(x.id, x.name) for x in learners] == [("u7", "山田 花子")]


def test_a_real_id_column_beats_a_row_number_column(tmp_path):
    learners = parse(write(tmp_path, "No.,氏名,受講者ID\n1,山田 花子,hana\n2,佐藤 美咲,misa\n"))
    assert [x.id for x in learners] == ["hana", "misa"]


@pytest.fixture(scope="module")
def module_cohort(tmp_path_factory):
    """One cohort for this module (making one costs seconds); each test starts from an empty roster."""
    home = tmp_path_factory.mktemp("roster-home")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("WAGAMAMA_HOME", str(home))
        cohort = create_cohort("t-roster", "wagamama-lab", "テスト講座")
    return home, (cohort.path / "cohort.json").read_text(encoding="utf-8")


@pytest.fixture
def cohort(module_cohort, monkeypatch):
    home, meta = module_cohort
    monkeypatch.setenv("WAGAMAMA_HOME", str(home))
    c = open_cohort("t-roster")
    (c.path / "cohort.json").write_text(meta, encoding="utf-8")
    with Roster(c) as roster:
        for s in roster.gb.students:
            roster.gb.remove_student(s.id)
        roster.gb.db.execute(delete(EXTRA))
        roster.gb.db.commit()
    for folder in (c.path / "submitted", c.path / "autograded", home / "exchange" / "t-roster" / "inbound"):
        shutil.rmtree(folder, ignore_errors=True)
    return open_cohort("t-roster")


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
    assert cohort.learners["u002"] == {"name": "佐藤 みさき", "kana": "さとう みさき", "email": "", "roster_id": ""}
    assert "learners" not in json.loads((cohort.path / "cohort.json").read_text(encoding="utf-8"))


def test_a_bad_file_changes_nothing(tmp_path, cohort):
    import_roster(cohort, write(tmp_path, GOOD))
    before = students(cohort), (cohort.path / "cohort.json").read_text(encoding="utf-8")
    bad = write(tmp_path, GOOD + "u003,\n" + "u004,新人\n", name="bad.csv")
    with pytest.raises(WagamamaError):
        import_roster(open_cohort("t-roster"), bad)
    assert (students(cohort), (cohort.path / "cohort.json").read_text(encoding="utf-8")) == before


def cli(capsys, *args, code=0):
    assert main(list(args)) == code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return out + err


def test_a_student_number_becomes_a_user_name_shown_at_import(tmp_path, cohort, capsys):
    path = write(tmp_path, "学籍番号,氏名,ふりがな\n2026001,山田 花子,やまだ はなこ\n2026002,佐藤 美咲,\n")
    out = cli(capsys, "roster", "import", "t-roster", str(path))
    assert "追加 2 名" in out and "ハブにログインするときの名前になります" in out
    assert "2行目 山田 花子: 2026001 → u2026001" in out and "3行目 佐藤 美咲: 2026002 → u2026002" in out
    assert cohort.learners["u2026001"] == {"name": "山田 花子", "kana": "やまだ はなこ", "email": "", "roster_id": "2026001"}
    with cohort.gradebook() as gb:
        assert gb.find_student("u2026001").lms_user_id == "2026001"  # the town's number stays with the learner
    assert hub_plan([cohort]).cohorts[0].learners == ["u2026001", "u2026002"]  # the hub accepts them as they are
    assert "変更なし 2 名" in cli(capsys, "roster", "import", "t-roster", str(path))
    assert "u2026002" in cli(capsys, "roster", "remove", "t-roster", "2026002")  # the town's number finds them


def test_row_numbers_as_ids_import_nothing_until_confirmed(tmp_path, cohort, capsys):
    path = write(tmp_path, "No.,氏名\n1,山田 花子\n2,佐藤 美咲\n3,鈴木 洋子\n")
    out = cli(capsys, "roster", "import", "t-roster", str(path), code=1)
    assert out.startswith("確認してください: ") and "何も取り込んでいません" in out
    assert "ID（列「No.」）が 1 から順の番号だけです" in out and "u1〜u3" in out and "--yes" in out
    assert "2行目 山田 花子: 1 → u1" in out and "ファイルにない受講者" not in out  # the IDs it would use
    assert students(cohort) == {}
    out = cli(capsys, "roster", "import", "t-roster", str(path), "--yes")
    assert "追加 3 名" in out and "確認のうえ取り込みました: ID（列「No.」）" in out
    assert list(cohort.learners) == ["u1", "u2", "u3"]


def test_every_id_changed_imports_nothing_until_confirmed(tmp_path, cohort):
    import_roster(cohort, write(tmp_path, GOOD))
    before = students(cohort)
    other = write(tmp_path, "受講番号,氏名\nA01,山田 花子\nA02,佐藤 美咲\n", name="other.csv")
    with pytest.raises(ConfirmationNeeded) as info:
        import_roster(cohort, other)
    message = info.value.message
    assert "前回の名簿と ID が全員ちがいます" in message and "いまの受講者 2 名の ID が、other.csv に1つもありません" in message
    assert "山田 花子: いまの ID u001 → ファイルの ID A01（2行目）" in message and "何も取り込んでいません" in message
    assert "ファイルにない受講者は残ります" in message
    assert students(cohort) == before
    result = import_roster(cohort, other, confirm=True)
    assert result.added == ["a01", "a02"] and result.not_in_file == ["u001", "u002"]
    assert list(cohort.learners) == ["a01", "a02", "u001", "u002"]  # nobody is dropped without being asked


def test_the_same_name_under_another_id_is_a_warning(tmp_path, cohort):
    import_roster(cohort, write(tmp_path, GOOD))
    moved = write(tmp_path, "ID,氏名\nu001,山田 花子\nu009,佐藤 美咲\n", name="moved.csv")
    with pytest.raises(ConfirmationNeeded, match="(?s)同じ名前の受講者が、別の ID ですでに名簿にいます.*"
                                                 "佐藤 美咲: いまの ID u002 → ファイルの ID u009"):
        import_roster(cohort, moved)
    assert "u009" not in students(cohort)


def test_remove_keeps_every_submission_and_grade(tmp_path, cohort, capsys):
    import_roster(cohort, write(tmp_path, GOOD + "u003,鈴木 洋子,,\n"))
    with cohort.gradebook() as gb:
        gb.update_or_create_assignment("ex01_wagamama")
        gb.add_submission("ex01_wagamama", "u001")
    cohort.submitted_dir("u001", "ex01_wagamama").mkdir(parents=True)
    inbound = cohort.path.parent.parent / "exchange" / "t-roster" / "inbound" / "u002+ex02_yusen+2026-05-01 10:00:00 JST"
    inbound.mkdir(parents=True)

    out = cli(capsys, "roster", "remove", "t-roster", "u001", "u002", "u003", code=1)
    assert "次の受講者には提出物があります。何も変えていません。" in out and "u001 山田 花子: ex01_wagamama" in out
    assert "u002 佐藤 美咲: ex02_yusen" in out and "--force" in out and "提出物と成績は消しません" in out
    assert list(cohort.learners) == ["u001", "u002", "u003"]

    assert "名簿から外しました（提出物はありませんでした）: u003" in cli(capsys, "roster", "remove", "t-roster", "u003")
    assert "u003" not in students(cohort)  # no work: gone from the gradebook too

    out = cli(capsys, "roster", "remove", "t-roster", "u001", "u002", "--force")
    assert "名簿から外しました: u001。提出物と成績は消していません" in out and "（課題: ex01_wagamama）" in out
    assert cohort.learners == {}
    assert set(students(cohort)) == {"u001", "u002"}  # their rows hold their submissions and grades
    with cohort.gradebook() as gb:
        assert gb.find_submission("ex01_wagamama", "u001").student.id == "u001"
    assert cohort.submitted_dir("u001", "ex01_wagamama").is_dir() and inbound.is_dir()
    out = cli(capsys, "roster", "list", "t-roster")
    assert "受講者 0 名" in out and "名簿から外した受講者 2 名（提出物と成績は成績簿に残しています）: u001、u002" in out

    assert import_roster(cohort, write(tmp_path, GOOD)).added == ["u001", "u002"]  # they can come back
    assert cohort.learners["u001"]["kana"] == "やまだ はなこ"
    assert "名簿にいない ID があります: ghost。何も変えていません" in cli(capsys, "roster", "remove", "t-roster", "ghost",
                                                                  code=1)


def test_roster_list_fits_and_goes_to_excel(tmp_path, cohort, capsys, monkeypatch):
    long_mail = "hanako.yamada.from.the.town.office@example-town.lg.jp"
    import_roster(cohort, write(tmp_path, GOOD.replace("hanako@example.jp", long_mail)))
    monkeypatch.setenv("COLUMNS", "80")
    out = cli(capsys, "roster", "list", "t-roster", "--xlsx", str(tmp_path / "名簿.xlsx"))
    assert "受講者 2 名" in out and max(width(line) for line in out.splitlines() if line.startswith("u0")) <= 80
    rows = {line.split()[0]: line for line in out.splitlines() if line.startswith("u0")}
    assert "山田 花子" in rows["u001"] and "hanako.yamada" in rows["u001"] and "…" in rows["u001"]
    table = list(openpyxl.load_workbook(tmp_path / "名簿.xlsx")["名簿"].iter_rows(values_only=True))
    assert table[1] == ("u001", "山田 花子", "やまだ はなこ", long_mail, 0, None)


def test_the_gradebook_is_the_one_roster(cohort):
    from wagamama.hub.sync import add_learner

    with cohort.gradebook() as gb:  # added with nbgrader's own tools (formgrader, `nbgrader db student add`)
        gb.update_or_create_student("hana", last_name="町", first_name="花子")
    assert cohort.learners == {"hana": {"name": "町 花子", "kana": "", "email": "", "roster_id": ""}}
    add_learner(cohort, "taro", "町 太郎")
    assert list(cohort.learners) == ["hana", "taro"]
    with pytest.raises(WagamamaError, match="英字で始まっていません"):
        add_learner(cohort, "2026001")

    # A cohort made before: its learners were listed in cohort.json. They move into the gradebook once.
    meta = json.loads((cohort.path / "cohort.json").read_text(encoding="utf-8"))
    meta["learners"] = {"u005": {"name": "田中 由美", "kana": "たなか ゆみ", "email": "yumi@example.jp"}}
    (cohort.path / "cohort.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    old = open_cohort("t-roster")
    assert old.learners["u005"] == {"name": "田中 由美", "kana": "たなか ゆみ", "email": "yumi@example.jp", "roster_id": ""}
    assert "learners" not in json.loads((cohort.path / "cohort.json").read_text(encoding="utf-8"))
    assert students(cohort)["u005"] == ("田中", "由美", "yumi@example.jp")


def test_the_hub_names_ids_it_cannot_use_before_making_anything(cohort):
    with cohort.gradebook() as gb:  # as an import before the one ID rule left it
        gb.update_or_create_student("2026009", last_name="古い", first_name="番号")
    with pytest.raises(WagamamaError, match="(?s)Linux のユーザー名にできない ID があります.*受講者 2026009.*u2026009"):
        hub_plan([cohort])
