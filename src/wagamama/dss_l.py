"""The DX literacy standard (DSS-L, デジタルスキル標準 DX リテラシー標準) and what the curriculum covers of it.

One source of truth: the standard's items are the table ``curriculum/dss_l.yaml`` (ASCII ids), and each
lesson and assignment of ``curriculum/programs.yaml`` lists the ids it covers (``dss_l: [...]``).
The notebooks carry no copy of the mapping.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

from .locations import content_root
from .programs import catalog


@dataclass(frozen=True)
class Item:
    id: str
    category: str  # why | what | how | mind
    category_title: str
    group: str  # データ, デジタル技術, 留意点 or ""
    title: str

    @property
    def label(self) -> str:
        """The item as a person reads it: 「What（データ）: データを扱う」."""
        head = self.category_title.split("（")[0]
        return f"{head}（{self.group}）: {self.title}" if self.group else f"{head}: {self.title}"


def table() -> dict:
    with open(content_root() / "curriculum" / "dss_l.yaml", encoding="utf-8") as f:
        return yaml.safe_load(f)


def items() -> dict[str, Item]:
    """Item id → Item, in the standard's order."""
    data = table()
    cats = data["categories"]
    return {i: Item(i, e["category"], cats.get(e["category"], {}).get("title", e["category"]),
                    e.get("group", ""), e["title"]) for i, e in data["items"].items()}


def categories() -> dict[str, str]:
    """Category id → title (Why, What, How, マインド・スタンス)."""
    return {c: e["title"] for c, e in table()["categories"].items()}


def covered(kind: str, entry_id: str) -> list[str]:
    """The item ids a lesson (``kind="lessons"``) or an assignment (``"assignments"``) covers."""
    return list(catalog()[kind].get(entry_id, {}).get("dss_l") or [])


def assignment_items(assignment_id: str) -> list[str]:
    return covered("assignments", assignment_id)


def problems() -> list[str]:
    """What is wrong with the mapping, in Japanese: a lesson or assignment without one, an unknown id."""
    data, known = table(), items()
    found = [f"dss_l.yaml: 項目「{i}」の区分「{e.category}」がありません。"
             for i, e in known.items() if e.category not in data["categories"]]
    for kind, word in (("lessons", "レッスン"), ("assignments", "課題")):
        for entry_id, entry in catalog()[kind].items():
            ids = entry.get("dss_l") or []
            if not ids:
                found.append(f"programs.yaml: {word}「{entry_id}」に dss_l（DX リテラシー標準の項目）がありません。")
            found += [f"programs.yaml: {word}「{entry_id}」の dss_l「{i}」は dss_l.yaml にありません。"
                      for i in ids if i not in known]
            if len(set(ids)) != len(ids):
                found.append(f"programs.yaml: {word}「{entry_id}」の dss_l に同じ項目が2回あります。")
    return found
