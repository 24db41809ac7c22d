"""What the session tests share: a clock they move, installed in the handler as app.build_service's is."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

import app
from livekit_auth.config import load_settings, require_function_settings


class Clock:
    """Starts at the real time, so LiveKit's verifier accepts tokens minted before the test moves it."""

    def __init__(self) -> None:
        self.start = self.now = float(int(time.time()))

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def set(self, now: float) -> None:
        self.now = now


def install_clock(monkeypatch: pytest.MonkeyPatch, clock: Clock | None = None) -> Clock:
    """The handler's login and session services, built from the current environment, on `clock`."""
    clock = clock or Clock()
    settings = require_function_settings(load_settings())
    login, sessions = app.build_service(settings, clock=clock), app.build_session_service(settings, clock=clock)
    monkeypatch.setattr(app, "configured", lambda: (settings, login))
    monkeypatch.setattr(app, "session_service", lambda: sessions)
    return clock


@contextmanager
def counting_dynamodb_calls() -> Iterator[Counter]:
    """Every call the function's DynamoDB client makes, by operation name."""
    calls: Counter = Counter()

    def count(model, **_):
        calls[model.name] += 1

    app.dynamodb.meta.events.register("before-call", count)
    try:
        yield calls
    finally:
        app.dynamodb.meta.events.unregister("before-call", count)
