"""The local stack the e2e tests talk to over HTTP: started once per run (the `stack` fixture) or, where a
module needs other settings, once per module; always on free ports, always stopped."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from tests.support.settings import BCRYPT_ROUNDS
from tools.local import stack as local_stack


@contextmanager
def running_stack(**settings: str) -> Iterator[local_stack.LocalStack]:
    """`make run` as a child process, demo data seeded at the tests' bcrypt cost; `settings` override the
    function's (e.g. LOCKOUT_THRESHOLD="100")."""
    running = local_stack.start(0, 0, bcrypt_rounds=BCRYPT_ROUNDS, env=settings)
    try:
        yield running
    finally:
        running.stop()
