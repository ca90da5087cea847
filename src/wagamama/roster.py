"""Import a town's roster (CSV or Excel) into a cohort: validate everything first, then change.

Accepted: .csv in UTF-8, UTF-8 with BOM, Shift_JIS/CP932 or UTF-16 (Excel's "Unicode text", tab
separated); .xlsx (first sheet). Header names may be Japanese or English.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .cohort import Cohort
from .errors import WagamamaError

# Header spellings a town's export uses, after normalising (NFKC, lower case, no spaces).
COLUMNS = {
    "id": ("id", "受講者id", "受講者番号", "学籍番号", "番号", "ユーザーid", "ユーザー名", "username", "studentid", "student_id", "アカウント"),
    "name": ("氏名", "名前", "なまえ", "おなまえ", "name", "fullname", "氏名(漢字)"),
    "family": ("姓", "苗字", "lastname", "familyname"),
    "given": ("名", "firstname", "givenname"),
    "kana": ("ふりがな", "フリガナ", "よみがな", "ヨミガナ", "かな", "カナ", "氏名(ふりがな)", "氏名(フリガナ)", "kana", "furigana"),
    "email": ("email", "e-mail", "mail", "メール", "メールアドレス", "eメール", "emailaddress"),
}
COLUMN_LABEL = {"id": "ID", "name": "氏名", "family": "姓", "given": "名", "kana": "ふりがな", "email": "メール"}
STUDENT_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


@dataclass(frozen=True)
class Learner:
    id: str
    name: str
    kana: str
    email: str
    row: int

    @property
    def family_given(self) -> tuple[str, str]:
        parts = self.name.split()
        return (parts[0], " ".join(parts[1:])) if len(parts) > 1 else (self.name, "")


@dataclass
class ImportResult:
    added: list[str]
    updated: list[str]
    unchanged: list[str]
    not_in_file: list[str]


def _norm(text) -> str:
    return unicodedata.normalize("NFKC", "" if text is None else str(text)).strip()


def _header_key(text) -> str:
    return re.sub(r"\s+", "", _norm(text).lower())


def _decode(data: bytes, path: Path) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    for encoding in ("utf-8-sig", "cp932"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        # cp932 maps stray bytes to private-use characters: that is a wrong guess, not a roster.
        if not any("\ue000" <= ch <= "\uf8ff" for ch in text):
            return text
    raise WagamamaError(
        f"{path.name}: 文字コードが読めません。Excel で「CSV UTF-8（コンマ区切り）」を選んで保存し直してください。",
        "roster: unknown encoding (use UTF-8, UTF-8 with BOM, Shift_JIS/CP932 or UTF-16)",
    )


def read_rows(path: Path) -> list[list[str]]:
    """The file's rows as lists of strings (the first row is the header)."""
    if not path.exists():
        raise WagamamaError(f"名簿ファイル {path} がありません。ファイルの場所を確かめてください。", f"no such file {path}")
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:
            raise WagamamaError(
                f"{path.name}: Excel ファイルとして開けません（{exc.__class__.__name__}）。"
                "Excel で開いて「Excel ブック (*.xlsx)」で保存し直してください。",
                f"cannot open xlsx: {exc}",
            ) from None
        ws = wb.worksheets[0]
        rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
        wb.close()
        return rows
    if suffix == ".xls":
        raise WagamamaError(
            f"{path.name}: 古い Excel 形式（.xls）は読めません。「Excel ブック (*.xlsx)」か CSV で保存し直してください。",
            "roster: .xls is not supported, save as .xlsx or CSV",
        )
    text = _decode(path.read_bytes(), path)
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def parse(path: Path) -> list[Learner]:
    """Read and validate a roster; raise one WagamamaError listing every problem found."""
    path = Path(path)
    rows = read_rows(path)
    if not rows:
        raise WagamamaError(f"{path.name}: ファイルが空です。", "roster is empty")
    header = [_header_key(h) for h in rows[0]]
    where: dict[str, int] = {}
    for key, names in COLUMNS.items():
        for i, h in enumerate(header):
            if h in {_header_key(n) for n in names} and key not in where:
                where[key] = i
    missing = []
    if "id" not in where:
        missing.append("ID（受講者ID・学籍番号・id など）")
    if "name" not in where and not ("family" in where and "given" in where):
        missing.append("氏名（または「姓」と「名」）")
    if missing:
        found = "、".join(_norm(h) for h in rows[0] if _norm(h)) or "なし"
        raise WagamamaError(
            f"{path.name}: 1行目（見出し）に {'と'.join(missing)} の列がありません。見つかった列: {found}。"
            "見出しの名前を直してから、もう一度取り込んでください。何も取り込んでいません。",
            f"roster: missing columns {missing}",
        )

    def cell(row: list[str], key: str) -> str:
        i = where.get(key)
        return _norm(row[i]) if i is not None and i < len(row) else ""

    problems: list[str] = []
    learners: list[Learner] = []
    first_row: dict[str, int] = {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(_norm(v) for v in row):
            continue  # blank line, e.g. at the end of an Excel export
        raw_id = cell(row, "id")
        sid = raw_id.lower()
        name = cell(row, "name") or " ".join(p for p in (cell(row, "family"), cell(row, "given")) if p)
        email = cell(row, "email")
        if not raw_id:
            problems.append(f"{number}行目「ID」列: 空です。半角英数字のIDを入れてください。")
        elif not raw_id.isascii():
            problems.append(f"{number}行目「ID」列: 「{raw_id}」に日本語などの全角文字が入っています。IDは半角英数字で書きます（例: u0012）。")
        elif not STUDENT_ID.match(sid):
            problems.append(
                f"{number}行目「ID」列: 「{raw_id}」は使えません。半角の英字・数字・「.」「_」「-」だけで、32文字までにしてください。"
            )
        elif sid in first_row:
            problems.append(f"{number}行目「ID」列: 「{raw_id}」は {first_row[sid]}行目と同じIDです。IDは一人ずつ別にします。")
        else:
            first_row[sid] = number
        if not name:
            problems.append(f"{number}行目「氏名」列: 空です。受講者の名前を入れてください。")
        if email and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email):
            problems.append(f"{number}行目「メール」列: 「{email}」はメールアドレスの形になっていません。")
        learners.append(Learner(sid, re.sub(r"\s+", " ", name), cell(row, "kana"), email, number))
    if problems:
        raise WagamamaError(
            f"{path.name}: 名簿に {len(problems)} 件の問題があります。何も取り込んでいません。"
            "直してから、もう一度取り込んでください。\n" + "\n".join("  - " + p for p in problems),
            f"roster: {len(problems)} problem(s), nothing imported",
        )
    if not learners:
        raise WagamamaError(f"{path.name}: 見出しの下に受講者が1人もいません。", "roster has no rows")
    return learners


def import_roster(cohort: Cohort, path: Path) -> ImportResult:
    learners = parse(path)
    result = ImportResult([], [], [], [])
    with cohort.gradebook() as gb:
        for learner in learners:
            record = {"name": learner.name, "kana": learner.kana, "email": learner.email}
            old = cohort.learners.get(learner.id)
            if old == record:
                result.unchanged.append(learner.id)
            else:
                (result.updated if old else result.added).append(learner.id)
            family, given = learner.family_given
            gb.update_or_create_student(learner.id, last_name=family, first_name=given, email=learner.email or None)
            cohort.learners[learner.id] = record
    cohort.save()
    ids = {learner.id for learner in learners}
    result.not_in_file = sorted(set(cohort.learners) - ids)
    return result
