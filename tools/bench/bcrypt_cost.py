"""Median bcrypt check time per cost on this machine: the figure behind BcryptRounds and MemorySize.

A login costs one bcrypt check whatever the outcome, so the cost sets the floor of every login's
latency and how many logins one vCPU serves. The function's MemorySize (template.yaml) is one full
vCPU; compare with this machine's CPU before carrying the figures over. Usage: python -m tools.bench.bcrypt_cost
"""

from __future__ import annotations

import argparse
import statistics
import time

import bcrypt

BENCH_PASSWORD = b"benchmark-password-not-a-secret"


def median_check_ms(cost: int, repeats: int) -> float:
    """Median milliseconds of bcrypt.checkpw against a hash of the given cost."""
    stored = bcrypt.hashpw(BENCH_PASSWORD, bcrypt.gensalt(cost))
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        bcrypt.checkpw(BENCH_PASSWORD, stored)
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--costs", type=int, nargs="+", default=[10, 11, 12, 13])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    print(f"bcrypt {bcrypt.__version__}, median of {args.repeats} checks")
    for cost in args.costs:
        median = median_check_ms(cost, args.repeats)
        print(f"cost {cost:>2}: {median:8.1f} ms  ({1000 / median:5.1f} logins/s per core)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
