"""The one error type the instructor side raises: a message for people, not a traceback."""


class WagamamaError(Exception):
    """An error the CLI shows as a message.

    ``message`` is Japanese and says what was wrong, where, and what to do next.
    ``english`` is a short English summary for operators (shown in parentheses).
    """

    label = "エラー"  # what the CLI writes before the message

    def __init__(self, message: str, english: str = ""):
        super().__init__(message)
        self.message = message
        self.english = english

    def __str__(self) -> str:
        return f"{self.message}\n({self.english})" if self.english else self.message


class ConfirmationNeeded(WagamamaError):
    """Nothing was changed because the input looks like a mistake; the message says how to confirm."""

    label = "確認してください"
