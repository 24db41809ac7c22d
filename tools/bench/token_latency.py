"""`make bench-token`: the token endpoint's latency over HTTP beside the password login's, on the local stack.

Starts the local stack (tools/local/stack.py) with the demo users hashed at the production bcrypt
cost, opens one session, then times round-robin (so machine noise spreads evenly) a successful
password login and a token from the session. Prints each median and p90. The local stack's AWS is
an in-process emulator, so the figures compare the two paths' own work (bcrypt, calls made side by
side) more than they predict AWS latency. A benchmark that prints figures, not a test.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable

from livekit_auth.routes import LOGIN, TOKEN
from tools.bench import http_timing
from tools.local import demo_data
from tools.local import stack as local_stack


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=50, help="per kind, after the warm-up")
    args = parser.parse_args(argv)

    print(f"starting the local stack at bcrypt cost {http_timing.PRODUCTION_BCRYPT_ROUNDS} ...", flush=True)
    stack = local_stack.start(api_port=0, emulator_port=0, bcrypt_rounds=http_timing.PRODUCTION_BCRYPT_ROUNDS)
    try:
        login_url, token_url = stack.api_url, stack.api_url.removesuffix(LOGIN.public_path) + TOKEN.public_path
        credentials = {"username": demo_data.DEMO.username, "password": demo_data.DEMO_PASSWORD}
        status, body, _ = http_timing.post(login_url, {**credentials, "session": True, "device": "bench"})
        if status != 200:
            print(f"opening a session: expected 200, got {status}", file=sys.stderr)
            return 1
        bearer = {"Authorization": f"Bearer {body['session']['token']}"}
        kinds: dict[str, tuple[Callable[[], http_timing.Sent], int]] = {
            "password login (POST /api/auth/client/)": (lambda: http_timing.post(login_url, credentials), 200),
            "session token (POST /api/auth/token/)": (lambda: http_timing.post(token_url, {}, bearer), 201),
        }
        timings = http_timing.round_robin(kinds, args.requests)
    except http_timing.UnexpectedStatus as error:
        print(f"{error}; stopping", file=sys.stderr)
        return 1
    finally:
        stack.stop()

    rounds = f"after {http_timing.WARMUP_REQUESTS} warm-up rounds, bcrypt cost {http_timing.PRODUCTION_BCRYPT_ROUNDS}"
    print(f"{args.requests} requests per kind over HTTP, {rounds}")
    print(f"{'kind':<42}{'median ms':>10}{'p90 ms':>9}")
    for kind, values in timings.items():
        print(f"{kind:<42}{statistics.median(values) * 1000:>10.1f}{http_timing.percentile(values, 0.9) * 1000:>9.1f}")
    ratio = statistics.median(timings["password login (POST /api/auth/client/)"]) / statistics.median(
        timings["session token (POST /api/auth/token/)"]
    )
    print(f"a token from a session takes 1/{ratio:.1f} of a password login's median")
    return 0


if __name__ == "__main__":
    sys.exit(main())
