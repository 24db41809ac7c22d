"""What the HTTP benchmarks share: one timed POST, round-robin timing after a warm-up, and the p90."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping

from livekit_auth import config

PRODUCTION_BCRYPT_ROUNDS = config.BCRYPT_ROUNDS.default  # as deployed stacks run it
WARMUP_REQUESTS = 3

Sent = tuple[int, object, float]  # (status, JSON body, seconds)


class UnexpectedStatus(Exception):
    """A request answered other than its kind expects: the figures would measure the wrong path."""


def post(url: str, body: dict, headers: dict[str, str] | None = None) -> Sent:
    """(status, JSON body, seconds) of one POST over HTTP."""
    request = urllib.request.Request(  # noqa: S310 - the local stack's http URL
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json", **(headers or {})}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, payload = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, payload = error.code, error.read()
    return status, json.loads(payload or b"null"), time.perf_counter() - started


def round_robin(kinds: Mapping[str, tuple[Callable[[], Sent], int]], requests: int) -> dict[str, list[float]]:
    """Seconds per kind: (send, expected status) each `requests` times after WARMUP_REQUESTS rounds,
    interleaved so that machine noise spreads evenly over the kinds."""
    timings: dict[str, list[float]] = {kind: [] for kind in kinds}
    for round_number in range(WARMUP_REQUESTS + requests):
        for kind, (send, expected) in kinds.items():
            status, _, seconds = send()
            if status != expected:
                raise UnexpectedStatus(f"{kind}: expected {expected}, got {status}")
            if round_number >= WARMUP_REQUESTS:
                timings[kind].append(seconds)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
