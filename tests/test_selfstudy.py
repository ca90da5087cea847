"""Self-study: progress recorded by the checks, tiered hints, model answers only after a genuine attempt."""

import json

import pytest

from wagamama import progress
from wagamama.check import Incorrect, NotAttempted, expect
from wagamama.selfstudy import answer, hint, scaffold


@pytest.fixture
def selfstudy(tmp_path, monkeypatch):
    folder = tmp_path / "ex00_hajimete"
    folder.mkdir()
    (folder / ".hints.json").write_text(json.dumps({"daikin_check": {
        "part": "daikin", "task": "ごみ袋3パックの代金を daikin に入れます。",
        "shape": scaffold("daikin = 300 * 3"), "answer": "daikin = 300 * 3"}}, ensure_ascii=False), encoding="utf-8")
    monkeypatch.chdir(folder)
    monkeypatch.setenv("WAGAMAMA_PROGRESS", str(tmp_path / "progress.json"))
    monkeypatch.delenv("WAGAMAMA_MODEL_ANSWERS", raising=False)
    return tmp_path


def run_check(value):
    progress.part("ex00_hajimete", "daikin_check")
    expect(value, 900, "代金")
    progress.passed("ex00_hajimete", "daikin_check")


def test_checks_record_progress_and_hints_follow_the_last_check(selfstudy, capsys):
    hint(1)
    assert "まず、答えを書いて" in capsys.readouterr().out
    with pytest.raises(NotAttempted):
        run_check(None)
    assert progress.load()["ex00_hajimete"]["daikin_check"]["state"] == "not attempted"
    hint(1)
    assert "ごみ袋3パック" in capsys.readouterr().out
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
    assert "次は「ワガママ日記と優先順位」" in text
    (selfstudy / "progress.json").write_text("{broken", encoding="utf-8")
    assert "次は「はじめての Jupyter」" in progress.report()  # a broken file starts over, nothing crashes


def test_scaffold_keeps_the_shape_and_hides_the_values():
    assert scaffold('def aisatsu(namae):\n    return f"{namae}さん、こんにちは"') == "def aisatsu(___):\n    return ___"
    assert "sorted(___" in scaffold("top = sorted(diary, key=score, reverse=True)[0]")


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
    assert main(["progress", "--program", "kyoryokutai"]) == 0
    out = capsys.readouterr().out
    assert "（ex14_project）: 0 / 3" in out and "ex15_chiiki" not in out
    assert main(["progress"]) == 0
    assert "▶ エンジニア向け 地域課題解決コース（SIP）（sip）" in capsys.readouterr().out
