"""`make bench-timing`: does a refused login take as long whatever the reason? Over HTTP, at the
deployed default bcrypt cost.

Starts the local stack (tools/local/stack.py) at the production cost and times, round-robin so
that machine noise spreads evenly: an unknown username, a wrong password for a real user, and a
wrong password for an inactive user. A response time that depends on which it is would tell an
attacker which usernames exist. Prints each median and p90 and its ratio to the wrong-password
median; the target is 0.8-1.25. This is a benchmark that prints figures, not a test.

Lockout: the stack runs with LOCKOUT_THRESHOLD=100 (the highest allowed) and each kind is sent
fewer times than that per account; every unknown-user request uses a username of its own.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import uuid
from collections.abc import Callable

from tools.bench.http_timing import (
    PRODUCTION_BCRYPT_ROUNDS,
    WARMUP_REQUESTS,
    Sent,
    UnexpectedStatus,
    percentile,
    post,
    round_robin,
)
from tools.local import demo_data
from tools.local import stack as local_stack

LOCKOUT_THRESHOLD = 100  # config allows up to 100
RATIO_RANGE = (0.8, 1.25)
BENCH_WRONG_PASSWORD = "bench-timing-wrong-password"  # noqa: S105 - a deliberately wrong password


def wrong_password_login(login_url: str, username: Callable[[], str]) -> Callable[[], Sent]:
    """A login with the benchmark's wrong password for the next username of a kind."""
    return lambda: post(login_url, {"username": username(), "password": BENCH_WRONG_PASSWORD})


def kinds() -> dict[str, Callable[[], str]]:
    """Each kind of refusal -> a function giving the username for its next request."""
    return {
        "wrong password": lambda: demo_data.DEMO.username,
        "unknown user": lambda: f"bench-{uuid.uuid4().hex[:12]}@example.com",
        "inactive, wrong password": lambda: demo_data.INACTIVE.username,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="per kind (below the lockout threshold)")
    args = parser.parse_args(argv)
    if args.requests + WARMUP_REQUESTS >= LOCKOUT_THRESHOLD:
        parser.error(f"--requests must stay below {LOCKOUT_THRESHOLD - WARMUP_REQUESTS} (the lockout)")

    print(f"starting the local stack at bcrypt cost {PRODUCTION_BCRYPT_ROUNDS} ...", flush=True)
    stack = local_stack.start(
        api_port=0,
        emulator_port=0,
        seed_demo=True,
        bcrypt_rounds=PRODUCTION_BCRYPT_ROUNDS,
        env={"LOCKOUT_THRESHOLD": str(LOCKOUT_THRESHOLD)},
    )
    try:
        timings = round_robin(
            {kind: (wrong_password_login(stack.api_url, username), 401) for kind, username in kinds().items()},
            args.requests,
        )
    except UnexpectedStatus as error:
        print(f"{error}; stopping", file=sys.stderr)
        return 1
    finally:
        stack.stop()

    reference = statistics.median(timings["wrong password"])
    print(f"{args.requests} requests per kind, after {WARMUP_REQUESTS} warm-up rounds; all answered 401")
    print(f"{'kind':<26}{'median ms':>10}{'p90 ms':>9}{'ratio':>8}")
    outside = []
    for kind, values in timings.items():
        median = statistics.median(values)
        ratio = median / reference
        print(f"{kind:<26}{median * 1000:>10.1f}{percentile(values, 0.9) * 1000:>9.1f}{ratio:>8.2f}")
        if not RATIO_RANGE[0] <= ratio <= RATIO_RANGE[1]:
            outside.append(kind)
    low, high = RATIO_RANGE
    if outside:
        print(f"OUTSIDE {low}-{high} of the wrong-password median: {', '.join(outside)}")
        return 1
    print(f"every ratio within {low}-{high} of the wrong-password median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
