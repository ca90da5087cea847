"""Turn what nbgrader logged into a short Japanese reason."""

from __future__ import annotations

from .errors import WagamamaError

# (text in nbgrader's log, what a Japanese instructor reads)
REASONS = [
    ("CellTimeoutError", "時間切れ: セルが制限時間内に終わりませんでした（無限ループなど）。"),
    ("timed out", "時間切れ: セルが制限時間内に終わりませんでした（無限ループなど）。"),
    ("DeadKernelError", "実行中に Python（カーネル）が止まりました（sys.exit、os._exit、メモリ不足など）。"),
    ("NotJSONError", "ノートが壊れていて読めません（JSON ではありません）。受講者にもう一度提出してもらってください。"),
    ("Notebook does not appear to be JSON", "ノートが壊れていて読めません（JSON ではありません）。受講者にもう一度提出してもらってください。"),
    ("No notebooks found", "提出物に課題のノートがありません。ファイル名が変わっていないか確かめてください。"),
    ("No student with ID", "名簿にない受講者です。`wagamama roster import` で名簿に加えてください。"),
    ("does not exist", "必要なフォルダかファイルがありません。"),
]


def known_reason(log: str, error: str = "") -> str:
    """The Japanese reason for a failure nbgrader logged, or "" when it is not one we know."""
    text = f"{log}\n{error}"
    return next((japanese for needle, japanese in REASONS if needle in text), "")


OURS = "exercises/GUIDE.md"  # our own Japanese messages in nbgrader's log (wagamama.grading.authoring)


def reason(log: str, error: str = "") -> str:
    if known := known_reason(log, error):
        return known
    ours = [line.split("] ", 1)[-1].strip() for line in f"{log}\n{error}".splitlines() if OURS in line]
    if ours:
        return ours[0]
    text = f"{log}\n{error}"
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return "nbgrader がエラーで止まりました: " + (lines[-1].strip() if lines else "理由は記録されていません。")


def ensure(result: dict, what: str, next_step: str = "") -> None:
    """Raise a WagamamaError when one of nbgrader's API calls (a result dict) did not succeed."""
    if not result["success"]:
        why = reason(result.get("log", ""), result.get("error", ""))
        raise WagamamaError(f"{what}に失敗しました。{why}{next_step}", f"nbgrader: {what} failed")
