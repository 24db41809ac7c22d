"""Schemathesis against the local stack, from docs/openapi.yaml: every answer is one the document gives.

A few examples per operation (a fixed seed, so a failure replays); `make fuzz-api` runs many more.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from livekit_auth import routes
from tests.support.settings import BCRYPT_ROUNDS
from tools.bench import fuzz_api
from tools.local import stack as local_stack

EXAMPLES_PER_OPERATION = 10
SEED = 22


@pytest.fixture(scope="module")
def stack() -> Iterator[local_stack.LocalStack]:
    running = local_stack.start(0, 0, bcrypt_rounds=BCRYPT_ROUNDS)
    yield running
    running.stop()


def test_every_answer_conforms_to_the_document(stack):
    result = fuzz_api.run_schemathesis(fuzz_api.origin(stack), EXAMPLES_PER_OPERATION, "--seed", str(SEED))
    summary = result.stdout[result.stdout.find("SUMMARY") :]
    print(summary)  # operations, phases, checks and case counts, for the record (pytest -s)
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    tested = re.search(r"Tested: (\d+)", summary)
    assert tested, summary
    # every route (the LiveKit webhook's too) x (POST, OPTIONS) x (with, without the slash)
    assert int(tested.group(1)) == len(routes.methods()) * 2, summary
    # The session routes were reached past their 401 (tools.bench.schemathesis_hooks), and refused without one.
    answered = set(re.findall(r"POST (/api/auth/\w+)/? (\d{3}) ", stack.log_path.read_text(encoding="utf-8")))
    for route, success in (("/api/auth/token", "201"), ("/api/auth/refresh", "200"), ("/api/auth/logout", "204")):
        assert {(route, success), (route, "401")} <= answered, sorted(answered)
