"""Self-study: progress recorded by the checks, tiered hints, model answers only after a genuine attempt."""

import json
from pathlib import Path

import pytest

from wagamama import progress
from wagamama.check import Incorrect, NotAttempted, expect
from wagamama.selfstudy import answer, hint, scaffold

REPO = Path(__file__).resolve().parents[1]


HINTS = {
    "daikin_check": {"part": "daikin", "title": "ごみ袋の代金を計算する",
                     "mistakes": [{"note": "足し算にした", "says": "足し算になっています。かけ算の記号は * です。"}],
                     "reread": "レッスン「はじめての Jupyter」（00_hajimete）の「1. セルを実行する」",
                     "shape": scaffold("daikin = 300 * 3"), "answer": "daikin = 300 * 3"},
    "yobina_check": {"part": "yobina", "title": "呼び名を変数に入れる", "mistakes": [], "reread": "",
                     "shape": scaffold('yobina = "さくら"'), "answer": 'yobina = "さくら"'},
}


@pytest.fixture
def selfstudy(tmp_path, monkeypatch):
    folder = tmp_path / "ex00_hajimete"
    folder.mkdir()
    (folder / ".hints.json").write_text(json.dumps(HINTS, ensure_ascii=False), encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("WAGAMAMA_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.delenv("WAGAMAMA_MODEL_ANSWERS", raising=False)
    monkeypatch.setattr(progress, "_last", {})  # a new kernel
    return tmp_path


def run_check(value, check="daikin_check", expected=900):
    progress.part("ex00_hajimete", check)
    expect(value, expected, "代金")
    progress.passed("ex00_hajimete", check)


def test_checks_record_progress_and_hints_follow_the_last_check(selfstudy, capsys):
    hint(1)
    assert "まず、答えを書いて" in capsys.readouterr().out
    with pytest.raises(NotAttempted):
        run_check(None)
    assert progress.load()["ex00_hajimete"]["daikin_check"]["state"] == "not attempted"
    hint(1)
    out = capsys.readouterr().out
    assert "ヒント1「ごみ袋の代金を計算する」" in out and "よくあるまちがい: 足し算にした" in out
    assert "足し算になっています。かけ算の記号は * です。" in out and "「1. セルを実行する」" in out
    assert "daikin_check" not in out
    hint(2)
    assert "daikin = ___ * ___" in capsys.readouterr().out
    answer()  # no genuine attempt yet
    assert "自分の答えを書いてチェックしたあと" in capsys.readouterr().out and "300 * 3" not in capsys.readouterr().out
    with pytest.raises(Incorrect):
        run_check("900")
    assert progress.load()["ex00_hajimete"]["daikin_check"] == {**progress.load()["ex00_hajimete"]["daikin_check"],
                                                                 "state": "tried", "tries": 1}
    answer()
    assert "daikin = 300 * 3" in capsys.readouterr().out
    run_check(900)
    assert progress.load()["ex00_hajimete"]["daikin_check"]["state"] == "done"


def test_instructors_can_switch_model_answers_off(selfstudy, capsys, monkeypatch):
    with pytest.raises(Incorrect):
        run_check(899)
    monkeypatch.setenv("WAGAMAMA_MODEL_ANSWERS", "off")
    answer()
    out = capsys.readouterr().out
    assert "表示しない設定" in out and "300 * 3" not in out


def test_checks_outside_self_study_record_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("WAGAMAMA_PROGRESS", str(tmp_path / "progress.json"))
    with pytest.raises(Incorrect):
        expect(1, 2)
    assert not (tmp_path / "progress.json").exists()


def test_report_names_what_is_next(selfstudy):
    checks = progress.checks_of("ex00_hajimete")
    for check in checks:
        progress.passed("ex00_hajimete", check)
    text = progress.report()
    assert f"はじめての Jupyter（ex00_hajimete）: {len(checks)} / {len(checks)}" in text
    assert "次は「ワガママ日記と優先順位」の「ワガママ日記をつける」です" in text
    assert "_check" not in text  # never an internal id
    (selfstudy / "progress.json").write_text("{broken", encoding="utf-8")
    assert "次は「はじめての Jupyter」の「呼び名を変数に入れる」" in progress.report()  # a broken file starts over


def test_hints_follow_the_check_run_last_in_this_kernel_not_the_clock(selfstudy, capsys):
    """Run All or a fast Shift+Enter runs two checks in the same second: hint() talks about the last one."""
    with pytest.raises(Incorrect):
        run_check(899)
    with pytest.raises(NotAttempted):
        run_check(None, "yobina_check", "さくら")
    record = progress.load()
    record["ex00_hajimete"]["daikin_check"]["time"] = "2099-01-01T00:00:00"  # a clock that says otherwise
    progress.path().write_text(json.dumps(record), encoding="utf-8")
    hint(1)
    assert "「呼び名を変数に入れる」" in capsys.readouterr().out
    progress._last.clear()  # a new kernel: the record on file decides
    hint(1)
    assert "「ごみ袋の代金を計算する」" in capsys.readouterr().out


@pytest.mark.parametrize("asked", [("daikin",), ("daikin_check",), ("ごみ袋",), ("「ごみ袋の代金を計算する」",), ("ｄａｉｋｉｎ",)])
def test_a_hint_for_a_part_named_by_the_learner(selfstudy, capsys, asked):
    hint(*asked)
    assert "ヒント1「ごみ袋の代金を計算する」" in capsys.readouterr().out
    hint(asked[0], 2)
    assert "daikin = ___ * ___" in capsys.readouterr().out


def test_hints_asked_the_wrong_way_answer_in_japanese(selfstudy, capsys):
    hint("kaisu")
    out = capsys.readouterr().out
    assert "「kaisu」という問題は、この課題にありません" in out and '"daikin"（ごみ袋の代金を計算する）' in out
    hint(900)  # hint(daikin) without the quotes: the value of daikin arrives
    out = capsys.readouterr().out
    assert "hint( ) のかっこには、1 か 2 を書きます" in out and 'hint("daikin")' in out
    hint(3)
    assert "1 か 2" in capsys.readouterr().out
    answer(900)
    assert "answer( ) のかっこには" in capsys.readouterr().out
    with pytest.raises(Incorrect):
        run_check(899)
    answer("daikin")
    assert "daikin = 300 * 3" in capsys.readouterr().out


def test_scaffold_keeps_every_statement_and_name_of_method_and_hides_the_values():
    assert scaffold('def aisatsu(namae):\n    return f"{namae}さん、こんにちは"') == \
        'def aisatsu(namae):\n    return f"{___}さん、こんにちは"'
    assert scaffold("top = sorted(diary, key=score, reverse=True)[0]") == "top = sorted(___, key=___, reverse=True)[___]"
    loop = "kekka = []\nfor entry in diary:\n    kekka.append(score(entry))\nprint(kekka)"
    assert scaffold(loop) == "kekka = []\nfor entry in ___:\n    kekka.append(___(entry))\nprint(kekka)"
    assert scaffold("Label2.Text = TextBox1.Text") == "Label2.Text = TextBox1.Text"  # names the design gives
    assert scaffold('x = hyou[hyou["品目"] == "びん"]["区分"].iloc[0]') == 'x = ___[___["品目"] == "___"]["区分"].iloc[___]'


def filled(skeleton: str, model: str) -> str | None:
    """The skeleton with each ___ filled from the model answer (None when no filling gives the model back)."""
    import re

    pattern = "(.+?)".join(re.escape(piece) for piece in skeleton.split("___"))
    found = re.fullmatch(pattern, model.strip("\n"), re.S)
    if found is None:
        return None
    pieces = skeleton.split("___")
    return "".join(p + (found.group(i + 1) if i < len(found.groups()) else "") for i, p in enumerate(pieces))


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO / "exercises").iterdir() if p.is_dir()))
def test_every_hint_skeleton_filled_from_the_model_answer_is_the_model_answer(assignment):
    import re

    from wagamama.cases import model_answers

    answers = model_answers(REPO / "exercises" / assignment / f"{assignment}.ipynb")
    assert answers
    for part, model in answers.items():
        if not model.strip() or model.lstrip().startswith(("#", "<")) and "\n" not in model.strip():
            continue
        try:
            compile(model, part, "exec")
        except SyntaxError:
            continue  # a written answer (Markdown), not code
        skeleton = scaffold(model)
        assert "___" in skeleton, f"{assignment}/{part}: nothing left to think about\n{skeleton}"
        assert filled(skeleton, model) == model.strip("\n"), f"{assignment}/{part}:\n{skeleton}"
        assert len(skeleton.splitlines()) == len(model.strip("\n").splitlines()), f"{assignment}/{part}: a statement lost"
        for name in re.findall(r"\.\s*([A-Za-z_]\w*)\s*\(", model):  # every method the answer calls
            assert f".{name}(" in skeleton, f"{assignment}/{part}: method {name} blanked\n{skeleton}"


def test_the_track_follows_her_records_and_every_track_is_shown(selfstudy, capsys):
    from wagamama.cli import main

    assert progress.current_program() == "wagamama-lab"  # nothing recorded yet: the core track
    record = {"ex00_hajimete": {"daikin_check": {"state": "done", "tries": 0, "time": "2026-05-01T10:00:00"}},
              "ex10_excel": {"wareki_check": {"state": "done", "tries": 1, "time": "2026-06-01T10:00:00"}}}
    (selfstudy / "progress.json").write_text(json.dumps(record), encoding="utf-8")
    assert progress.current_program() == "kyoryokutai"  # ex10 belongs to the 協力隊 track only
    tracks = progress.tracks()
    assert "▶ 地域おこし協力隊 デジタル実践コース（kyoryokutai）" in tracks and "（sip）" in tracks
    text = progress.report()
    assert text.startswith("地域おこし協力隊 デジタル実践コース") and "（ex10_excel）: 1 / 3" in text
    record["ex15_chiiki"] = {"koureika_check": {"state": "tried", "tries": 1, "time": "2026-07-01T10:00:00"}}
    (selfstudy / "progress.json").write_text(json.dumps(record), encoding="utf-8")
    assert progress.current_program() == "sip"
    record["ex15_chiiki"]["koureika_check"]["state"] = "not attempted"  # only looked at: the track stays hers
    (selfstudy / "progress.json").write_text(json.dumps(record), encoding="utf-8")
    assert progress.current_program() == "kyoryokutai"
    record["ex15_chiiki"]["koureika_check"]["state"] = "tried"
    (selfstudy / "progress.json").write_text(json.dumps(record), encoding="utf-8")
    assert main(["progress", "--program", "kyoryokutai"]) == 0
    out = capsys.readouterr().out
    assert "（ex14_project）: 0 / 3" in out and "ex15_chiiki" not in out
    assert main(["progress"]) == 0
    assert "▶ エンジニア向け 地域課題解決コース（SIP）（sip）" in capsys.readouterr().out
