"""TinyDB: tag → value, kept in one JSON file per app and namespace, so it survives a kernel restart.

Every write replaces the file atomically (a half-written file never replaces a good one). A file that
cannot be read is never overwritten: it is moved aside under a dated name, a Japanese warning says
where it went, and the app goes on with an empty store.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import warnings
from datetime import datetime
from pathlib import Path


class StoreWarning(UserWarning):
    """The saved file could not be read and was kept aside."""


class Store:
    def __init__(self, path: Path, log=None):
        self.path = Path(path)
        self.problem: str | None = None
        self._log = log or (lambda kind, tag: None)  # the app keeps which tags were stored and read (tests ask)

    def _load(self) -> dict:
        """Read the file each time: another kernel (the Voilà page, a restarted notebook) may have written it."""
        if not self.path.exists():
            return {}
        raw = self.path.read_bytes()
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
        except (UnicodeDecodeError, ValueError) as e:
            where = f"{e.lineno}行目" if isinstance(e, json.JSONDecodeError) else "ファイル全体"
            aside = self.path.with_name(f"{self.path.name}.broken-{datetime.now():%Y%m%d-%H%M%S}")
            os.replace(self.path, aside)
            self.problem = (f"保存ファイル {self.path} が壊れていて読めません（{where}）。"
                            f"中身は {aside.name} に残しました。空の保存ファイルで続けます。"
                            "残したファイルは、講師に見せてください（The store file was corrupt and was moved aside.）")
            warnings.warn(self.problem, StoreWarning, stacklevel=4)
            return {}
        return data

    def _save(self, data: dict) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def store_value(self, tag: str, value) -> None:
        if not isinstance(tag, str) or not tag.strip():
            raise ValueError("保存の名札（タグ）には、空でない文字列を使います（例: \"mukae\"）。")
        try:
            value = json.loads(json.dumps(value, ensure_ascii=False))
        except (TypeError, ValueError):
            what = f"部品そのもの（{value.name}）" if hasattr(value, "kind") else type(value).__name__
            raise ValueError(f"名札「{tag}」の値は保存できません（{what}）。"
                             "文字、数、True/False、リスト、辞書を保存できます。部品そのものではなく、"
                             ".Text などで中身を取り出して保存します。") from None
        data = self._load()
        data[tag] = value
        self._save(data)
        self._log("store", tag)

    def get_value(self, tag: str, value_if_tag_not_there=""):
        """The stored value; a copy of ``value_if_tag_not_there`` when there is none, so that changing what comes
        back (a dict of times, a list of entries) never changes the learner's own default."""
        self._log("get", tag)
        data = self._load()
        return data[tag] if tag in data else copy.deepcopy(value_if_tag_not_there)

    def get_tags(self) -> list[str]:
        return list(self._load())

    def data(self) -> dict:
        """Everything stored, without counting as a read (for snapshots)."""
        return dict(self._load())

    def clear_tag(self, tag: str) -> None:
        data = self._load()
        if tag in data:
            del data[tag]
            self._save(data)

    def clear_all(self) -> None:
        self._save({})
