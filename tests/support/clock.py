"""The one clock of the tests: it stands still until the test moves it, so a one-second lock cannot
run out mid-test on a slow machine, and waiting one out costs nothing."""

from __future__ import annotations

START = 1_800_000_000.0  # a fixed instant (January 2027), far from any real clock's reading


class FakeClock:
    """A `time.time` stand-in: call it for the time; `advance` moves it on."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        self.now += seconds
        return self.now
