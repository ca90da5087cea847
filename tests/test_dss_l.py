"""The DSS-L mapping has one source: curriculum/dss_l.yaml (the standard's items), ids in programs.yaml."""

import shutil

import yaml
from conftest import REPO

from wagamama import dss_l
from wagamama.programs import catalog


def test_the_table_holds_the_standards_four_parts_and_their_items():
    items = dss_l.items()
    assert list(dss_l.categories()) == ["why", "what", "how", "mind"]
    assert all(i.isascii() and i.replace("_", "").isalnum() for i in items)
    by_category = {c: [i.title for i in items.values() if i.category == c] for c in dss_l.categories()}
    assert by_category["why"] == ["社会の変化", "顧客価値の変化", "競争環境の変化"]
    assert [i.title for i in items.values() if i.group == "データ"] == [
        "社会におけるデータ", "データを読む・説明する", "データを扱う", "データによって判断する"]
    assert [i.title for i in items.values() if i.group == "デジタル技術"] == [
        "AI", "クラウド", "ハードウェア・ソフトウェア", "ネットワーク"]
    assert by_category["how"] == ["活用事例・利用方法", "セキュリティ", "モラル", "コンプライアンス"]
    assert len(by_category["mind"]) == 7 and "顧客・ユーザーへの共感" in by_category["mind"]
    assert items["data_decide"].label == "What（データ）: データによって判断する"
    assert items["mind_facts"].label == "マインド・スタンス: 事実に基づく判断"


def test_every_lesson_and_assignment_maps_only_to_existing_items():
    assert dss_l.problems() == []
    data = catalog()
    for kind in ("lessons", "assignments"):
        for entry_id in data[kind]:
            assert dss_l.covered(kind, entry_id), f"{entry_id} has no dss_l"
    modules = {int(lesson[:2]) for lesson in data["lessons"]}
    folders = {int(p.name[:2]) for p in (REPO / "curriculum").iterdir() if p.is_dir() and p.name[:2].isdigit()}
    assert modules == folders and set(range(10)) <= modules, "every module (lesson) is in programs.yaml"
    assert {m for a in data["assignments"].values() for m in a["modules"]} <= modules


def test_a_wrong_id_or_a_missing_mapping_is_found(tmp_path, monkeypatch):
    (tmp_path / "curriculum").mkdir()
    shutil.copy(REPO / "curriculum" / "dss_l.yaml", tmp_path / "curriculum")
    data = yaml.safe_load((REPO / "curriculum" / "programs.yaml").read_text(encoding="utf-8"))
    data["lessons"]["03_kotoba"]["dss_l"] = ["mind_empathy", "What: データを読む・説明する"]
    del data["assignments"]["ex04_idea"]["dss_l"]
    text = yaml.safe_dump(data, allow_unicode=True)
    (tmp_path / "curriculum" / "programs.yaml").write_text(text, encoding="utf-8")
    monkeypatch.setenv("WAGAMAMA_CONTENT", str(tmp_path))
    assert dss_l.problems() == [
        "programs.yaml: レッスン「03_kotoba」の dss_l「What: データを読む・説明する」は dss_l.yaml にありません。",
        "programs.yaml: 課題「ex04_idea」に dss_l（DX リテラシー標準の項目）がありません。",
    ]
