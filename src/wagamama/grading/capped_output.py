"""The grading kernel's stdout and stderr: they stop passing text on after the sandbox policy's limit.

Loaded inside the kernel (``--IPKernelApp.outstream_class``), so gigabytes of ``print`` never reach
nbgrader, the gradebook or the feedback page.
"""

from __future__ import annotations

from ipykernel.iostream import OutStream

from .sandbox import Policy

NOTICE = "\n…（出力が多すぎるため、ここから先は省略しました）\n"


class CappedOutStream(OutStream):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._left = Policy.from_env().output_kb * 1024

    def write(self, string: str) -> int:
        if self._left <= 0:
            return len(string)
        if len(string) > self._left:
            super().write(string[: self._left] + NOTICE)
            self._left = 0
            return len(string)
        self._left -= len(string)
        return super().write(string)
