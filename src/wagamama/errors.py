"""The one error type the instructor side raises: a message for people, not a traceback."""


class WagamamaError(Exception):
    """An error the CLI shows as a message.

    ``message`` is Japanese and says what was wrong, where, and what to do next.
    ``english`` is a short English summary for operators (shown in parentheses).
    """

    def __init__(self, message: str, english: str = ""):
        super().__init__(message)
        self.message = message
        self.english = english

    def __str__(self) -> str:
        return f"{self.message}\n({self.english})" if self.english else self.message
