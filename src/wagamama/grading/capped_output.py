"""The grading kernel's stdout and stderr stop passing text on after a few megabytes.

Loaded inside the kernel (``--IPKernelApp.outstream_class``). It only keeps an honest flood of ``print``
cheap to carry: learner code can switch it off, so the cap that counts is the grader's own
(``JudgedExecute.output``, the cohort's ``output_kb``), kept outside the kernel.
"""

from __future__ import annotations

from ipykernel.iostream import OutStream

LIMIT = 4 * 1024 * 1024
NOTICE = "\n…（出力が多すぎるため、ここから先は省略しました）\n"


class CappedOutStream(OutStream):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._left = LIMIT

    def write(self, string: str) -> int:
        if self._left <= 0:
            return len(string)
        if len(string) > self._left:
            super().write(string[: self._left] + NOTICE)
            self._left = 0
            return len(string)
        self._left -= len(string)
        return super().write(string)
