"""make bench's sampling: its settings (BENCH_QUICK), a row of the table, and subject and reference timed
in alternation on a chosen clock (tools/bench/suite.py says why)."""

from __future__ import annotations

import os
import resource
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tools import REPO_ROOT
from tools.bench.http_timing import percentile

QUICK = os.environ.get("BENCH_QUICK") == "1"
SAMPLES = 2 if QUICK else 25  # pairs per row, after WARMUP
COLD_SAMPLES = 2 if QUICK else 15  # new processes per side of the cold-init row
WARMUP = 1 if QUICK else 2
CHEAP_ROUNDS = 4  # the rows about channels and round trips: a cheap hash keeps bcrypt's noise out of them
MANY_CHANNELS = 30
CALL_DELAY_SECONDS = 0.15  # added to each AWS call in the round-trip rows
FUNCTION_DIR = REPO_ROOT / "functions" / "auth_client"
DEFAULT_JSON = REPO_ROOT / "build" / "bench.json"
PASSWORD = "bench-password-not-a-secret"  # noqa: S105 - the bench users' password


@dataclass
class Row:
    """One line of the table. Times are milliseconds; `ratio` is subject over reference unless `note` says."""

    name: str
    reference: str
    goal: str
    median: float | None = None
    p90: float | None = None
    reference_median: float | None = None
    reference_p90: float | None = None
    ratio: float | None = None
    met: bool | None = None  # None: the row reports a figure and has no goal
    unit: str = "ms"
    note: str = ""
    clock: str = "cpu"  # CLOCKS: what the times count


def ms(seconds: list[float]) -> tuple[float, float]:
    return statistics.median(seconds) * 1000, percentile(seconds, 0.9) * 1000


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# What a row's times count. CPU time is what Lambda's one vCPU spends and what other load on a shared
# machine barely moves; wall time is kept where waiting is the point (HTTP, the AWS round trips).
CLOCKS: dict[str, Callable[[], float]] = {
    "cpu": time.process_time,
    "children cpu": children_cpu,
    "wall": time.perf_counter,
}


def interleaved(
    subject: Callable[[], Any],
    reference: Callable[[], Any],
    samples: int,
    warmup: int = WARMUP,
    clock: str = "cpu",
) -> tuple[list, list]:
    """Seconds of each on `clock`, alternating subject and reference (the order flips every pair), after
    `warmup` pairs."""
    now = CLOCKS[clock]
    times: tuple[list[float], list[float]] = ([], [])
    for pair in range(warmup + samples):
        order = ((0, subject), (1, reference)) if pair % 2 == 0 else ((1, reference), (0, subject))
        for side, run in order:
            started = now()
            run()
            elapsed = now() - started
            if pair >= warmup:
                times[side].append(elapsed)
    return times


def alone(subject: Callable[[], Any], samples: int) -> list[float]:
    return interleaved(subject, lambda: None, samples)[0]


def compared(name: str, reference: str, goal: str, subject: list[float], ref: list[float]) -> Row:
    row = Row(name, reference, goal)
    row.median, row.p90 = ms(subject)
    row.reference_median, row.reference_p90 = ms(ref)
    row.ratio = row.median / row.reference_median
    return row
