"""The one rule for learner (and instructor) IDs, shared by roster import, the CLI and the hub.

An ID is used as nbgrader's student id, as a folder name in the exchange and the course folder, as the
JupyterHub user name and, on a hub, as a Linux user name. So it must be a valid Linux user name:
lower-case ASCII, starting with a letter, then letters, digits, ``.``, ``_`` or ``-``, at most 32 characters.

A town's roster often has IDs that are not user names, such as a 学籍番号 ``2026001``. Such an ID is
mapped to one that is (``u2026001``) when the roster is read, and the mapping is shown to the instructor
then, so nothing fails later when the hub creates the accounts.
"""

from __future__ import annotations

import re

from .errors import WagamamaError

UNIX_NAME = re.compile(r"^[a-z][a-z0-9._-]{0,31}$")
MAX_LENGTH = 32
PREFIX = "u"  # put before an ID that does not start with a letter: 2026001 → u2026001
# Names the hub itself gives to accounts and groups of a cohort (hub/plan.py): a learner must not get one.
RESERVED_PREFIXES = ("grader-", "nbgrader-", "formgrade-")
_ALLOWED = re.compile(r"^[a-z0-9._-]+$")


def problem(learner_id: str) -> str | None:
    """Why ``learner_id`` cannot be used, in Japanese; None when it can."""
    if not learner_id:
        return "空です。半角英数字の ID を入れてください（例: u0012）。"
    if not learner_id.isascii():
        return f"「{learner_id}」に日本語などの全角文字が入っています。ID は半角英数字で書きます（例: u0012）。"
    if not _ALLOWED.match(learner_id):
        return (f"「{learner_id}」は使えません。半角の小文字の英字・数字・「.」「_」「-」だけで書きます"
                "（空白や @ は使えません）。")
    if len(learner_id) > MAX_LENGTH:
        return f"「{learner_id}」は長すぎます。{MAX_LENGTH}文字までにしてください。"
    if not learner_id[0].isalpha():
        return f"「{learner_id}」は英字で始まっていません。Linux のユーザー名にするため、英字で始めます（例: u{learner_id}）。"
    if learner_id.startswith(RESERVED_PREFIXES):
        return f"「{learner_id}」は、ハブが講座のために使う名前（grader-… など）と同じ形です。別の ID にしてください。"
    return None


def is_valid(learner_id: str) -> bool:
    return problem(learner_id) is None and bool(UNIX_NAME.match(learner_id))


def require(learner_id: str) -> str:
    """``learner_id`` if it is valid; otherwise a WagamamaError that says why and what to do."""
    reason = problem(learner_id)
    if reason:
        raise WagamamaError(f"ID {reason}（ID は Linux のユーザー名にもなります）",
                            f"invalid id {learner_id!r}: use [a-z][a-z0-9._-], at most {MAX_LENGTH} characters")
    return learner_id


def from_roster(written: str) -> tuple[str, str | None]:
    """The learner ID for an ID as written in a roster (already NFKC-normalised and stripped).

    Returns (id, problem): upper case becomes lower case; an ID that does not start with a letter
    (a 学籍番号 such as ``2026001``) gets the prefix ``u``. problem is None when the result is valid.
    """
    learner_id = written.lower()
    if learner_id and learner_id.isascii() and _ALLOWED.match(learner_id) and not learner_id[0].isalpha():
        learner_id = PREFIX + learner_id
    return learner_id, problem(learner_id)


def mapped(written: str, learner_id: str) -> bool:
    """True when the roster's ID was changed into another one (not only written in upper case)."""
    return written.lower() != learner_id
