"""`make bench`: is it fast? One run, one table: each cost beside its floor or its peer, measured side by side.

Each row times its subject and its reference in alternation (A, B, A, B ...), so that a noisy machine's
drift falls on both, and prints the median, the p90, the ratio to the reference and the row's goal. The
same table goes to build/bench.json (with the machine: CPU count, Python), so two runs can be compared.
`BENCH_QUICK=1` takes few samples and finishes within a minute: CI runs it to prove the benchmark still
runs; a missed goal is printed, never a failure (machines are noisy). Only a broken run exits non-zero.

In process, the function's AWS calls are answered from a recording (ReplayedAws): the login's and the
token endpoint's figures are then the function's own CPU. Rows count CPU time where they can (this process's,
or the new processes'), which other load on a shared machine barely moves. The AWS-calls rows run over
moto instead, with a delay added to every call, which turns the calls a route waits on one after another
into milliseconds.

Here the table and the run; the parts: sampling (settings, Row, interleaved timing), in_process (the function
over moto, ReplayedAws, CallMeter), rows_in_process and rows_processes (the rows).
Usage: python -m tools.bench.suite [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

import bcrypt

from tools.bench.in_process import InProcess
from tools.bench.rows_in_process import (
    aws_call_rows,
    channels_row,
    login_over_bcrypt_row,
    refusal_timing_row,
    token_own_cpu_row,
)
from tools.bench.rows_processes import cold_init_row, local_stack_rows, migration_row, minting_row
from tools.bench.sampling import (
    DEFAULT_JSON,
    QUICK,
    SAMPLES,
    Row,
)

# ---- the table ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "bcrypt": bcrypt.__version__,
        "quick": QUICK,
        "samples": SAMPLES,
    }


def figure(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if unit == "round trips" else f"{value:.2f}"


def verdict(row: Row) -> str:
    return {True: "met", False: "MISSED", None: "-"}[row.met]


def print_table(rows: list[Row], about: dict[str, Any]) -> None:
    print(
        f"machine: {about['cpus']} CPUs, {about['implementation']} {about['python']} on {about['processor']};"
        f" bcrypt {about['bcrypt']}; {about['samples']} interleaved samples per side"
        + (" (BENCH_QUICK)" if about["quick"] else "")
    )
    header = ("row", "clock", "median", "p90", "reference", "ref med", "ref p90", "ratio", "goal", "")
    widths = (50, 12, 8, 8, 46, 8, 8, 7, 28, 6)
    line = "  ".join(
        f"{title:<{width}}" if i in (0, 1, 4, 8) else f"{title:>{width}}"
        for i, (title, width) in enumerate(zip(header, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        cells = (
            row.name,
            row.clock,
            figure(row.median, row.unit),
            figure(row.p90, row.unit),
            row.reference,
            figure(row.reference_median),
            figure(row.reference_p90),
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.goal,
            verdict(row),
        )
        print(
            "  ".join(
                f"{c:<{w}}" if i in (0, 1, 4, 8) else f"{c:>{w}}"
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
        if row.note:
            print(f"    {row.note}")
    print(
        "times in ms; clock: cpu = this process's CPU time, children cpu = the new processes', wall = elapsed;"
        " round trips = AWS calls waited on one after another. MISSED is printed, never fatal."
    )


def run_all() -> list[Row]:
    """Every row, each step announced on stderr with its time (the table comes at the end)."""
    rows: list[Row] = []

    def step(title: str, measure: Callable[[], Row | list[Row]]) -> None:
        print(f"  {title} ...", end="", file=sys.stderr, flush=True)
        started = time.perf_counter()
        measured = measure()
        rows.extend(measured if isinstance(measured, list) else [measured])
        print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    with contextlib.ExitStack() as stack:
        step("the function in process over moto", lambda: [])
        function = InProcess(stack)
        step("login, many channels", lambda: channels_row(function))
        step("token endpoint's own CPU", lambda: token_own_cpu_row(function))
        step("AWS calls per route", lambda: aws_call_rows(function))
        step("login over bcrypt", lambda: login_over_bcrypt_row(function))
        step("refusal timing", lambda: refusal_timing_row(function))
    step("minting", minting_row)
    step("cold init", cold_init_row)
    step("local stack over HTTP", local_stack_rows)
    step("legacy PBKDF2", migration_row)
    order = (
        "login,",
        "token endpoint, own",
        "token endpoint over",
        "minting",
        "cold init",
        "AWS calls",
        "refused",
        "legacy",
    )
    return sorted(rows, key=lambda row: next(i for i, prefix in enumerate(order) if row.name.startswith(prefix)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where the table goes (default {DEFAULT_JSON})"
    )
    args = parser.parse_args(argv)
    about = machine()
    started = time.perf_counter()
    rows = run_all()
    about["seconds"] = round(time.perf_counter() - started, 1)
    print_table(rows, about)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=args.json.parent, delete=False, encoding="utf-8") as out:
        json.dump({"machine": about, "rows": [asdict(row) for row in rows]}, out, ensure_ascii=False, indent=2)
    os.replace(out.name, args.json)
    print(f"{len(rows)} rows in {about['seconds']} s; written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
