"""The import's progress on stderr, apart from what it writes and what it prints as its summary."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Items written so far, on stderr: a bar redrawn in place on a terminal, else a line per tenth."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty()
        self._last_tenth = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar:
            filled = self.WIDTH * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} writes")
            self.stream.flush()
            return
        tenth = 10 * self.done // max(self.total, 1)
        if tenth > self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(f"import: {self.done}/{self.total} writes\n")

    def finish(self) -> None:
        if self.bar and self.total:
            self.stream.write("\n")
