"""`make bench-cold-init`: the function's cold init beside the boto3 reference, with each RoomService client.

Each figure is the wall time of a new Python process that does one thing and exits, the median of
`--runs` runs, the variants taken in turn so machine noise spreads evenly:

- python:            an empty interpreter (what every variant pays before its own work);
- boto3 reference:   `import boto3` and a DynamoDB and an SSM client, what any function with those
                     two clients pays;
- function (Twirp):  the handler imported as Lambda does (its module-level DynamoDB, SSM and urllib3
                     clients built) plus one RoomService client over the Twirp JSON API: what ships;
- function + livekit-api: the same with LiveKit's `livekit-api` package imported and its RoomService
                     client built instead, the alternative that was measured and not taken.

The budget: the function's cold init at most BUDGET_RATIO times the boto3 reference. A benchmark that
prints figures, not a test.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from tools import REPO_ROOT
from tools.local import fake_aws

BUDGET_RATIO = 1.2
FUNCTION_PATHS = [str(REPO_ROOT / "functions" / "auth_client"), str(REPO_ROOT / "layers" / "common")]

BOTO3_REFERENCE = """
import boto3
boto3.client("dynamodb")
boto3.client("ssm")
"""
FUNCTION_TWIRP = """
import app, services
from livekit_auth.room_service import RoomServiceClient
from livekit_auth.tokens import LiveKitCredentials
RoomServiceClient("wss://lk.example", LiveKitCredentials("k", "s"), services.livekit_http)
"""
FUNCTION_LIVEKIT_API = """
import asyncio
import app
from livekit import api

async def build():
    client = api.LiveKitAPI("https://lk.example", "k", "s")
    client.room  # its RoomService client
    await client.aclose()

asyncio.run(build())
"""
VARIANTS = {
    "python": "pass",
    "boto3 reference": BOTO3_REFERENCE,
    "function (Twirp over urllib3)": FUNCTION_TWIRP,
    "function + livekit-api": FUNCTION_LIVEKIT_API,
}


def environment() -> dict[str, str]:
    """What the function's container has: its region, (fake) credentials, Powertools settings, paths."""
    env = {key: value for key, value in os.environ.items() if key not in fake_aws.TARGETING_VARIABLES}
    env |= fake_aws.fake_aws_environment() | fake_aws.POWERTOOLS_ENVIRONMENT
    env["PYTHONPATH"] = os.pathsep.join(FUNCTION_PATHS)
    env["PYTHONDONTWRITEBYTECODE"] = "0"
    return env


def run_once(code: str, env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=REPO_ROOT / "functions" / "auth_client")
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="per variant, after one warm-up run each")
    args = parser.parse_args(argv)
    env = environment()
    for code in VARIANTS.values():  # warm the OS page cache and the bytecode caches
        run_once(code, env)
    times: dict[str, list[float]] = {name: [] for name in VARIANTS}
    for _ in range(args.runs):
        for name, code in VARIANTS.items():
            times[name].append(run_once(code, env))
    medians = {name: statistics.median(values) * 1000 for name, values in times.items()}
    reference = medians["boto3 reference"]
    print(f"cold init, median of {args.runs} new processes each (ms):")
    for name, median in medians.items():
        print(f"  {name:32} {median:7.1f}   x{median / reference:.2f} of the boto3 reference")
    shipped = medians["function (Twirp over urllib3)"]
    verdict = "within" if shipped <= BUDGET_RATIO * reference else "OVER"
    print(f"the function's cold init is {verdict} the budget of {BUDGET_RATIO}x the boto3 reference")
    return 0 if verdict == "within" else 1


if __name__ == "__main__":
    sys.exit(main())
