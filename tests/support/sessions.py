"""What the session tests send and expect: calls of the session routes, a session opened by the demo
password, the 401 every refused session gets, and a clock LiveKit's token verifier agrees with."""

from __future__ import annotations

import time
from typing import Any

from livekit_auth import messages
from livekit_auth.routes import LOGOUT, REFRESH, TOKEN
from tests.support.clock import FakeClock
from tests.support.handler import Answer, call_handler
from tests.support.logins import good_login
from tools.local.demo_data import DEMO
from tools.local.events import session_event


def real_time_clock() -> FakeClock:
    """A FakeClock that starts now: LiveKit's TokenVerifier checks `nbf` and `exp` against the real time."""
    return FakeClock(float(int(time.time())))


def fetch_token(token: str | None, body: Any = None, **kwargs: Any) -> Answer:
    """A call of the token endpoint; `{}` unless a body is given."""
    return call_handler(session_event(TOKEN, token, {} if body is None else body, **kwargs))


def open_session(username: str = DEMO.username, **extra: Any) -> str:
    """Log in with the demo password and `session: true` (and any `extra` login fields): the session token."""
    answer = good_login(username, session=True, **extra)
    assert answer.status == 200, answer.body
    return answer.body["session"]["token"]


def assert_session_refused(answer: Answer) -> None:
    """A session refused for whatever reason: the same 401, text and Bearer challenge."""
    assert (answer.status, answer.body) == (401, {"error": messages.SESSION_REQUIRED})
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def refresh_session(token: str) -> Answer:
    """A call of the refresh route with `token` as Bearer (and an empty body, as clients send it)."""
    return call_handler(session_event(REFRESH, token, raw=""))


def log_out_session(token: str) -> Answer:
    """A call of the logout route with `token` as Bearer."""
    return call_handler(session_event(LOGOUT, token))


def live_token_hashes(store: Any, token: str) -> list[str]:
    """The hashes of the session's token items that no refresh has rotated out: one per live chain."""
    items = store.client.query(
        TableName=store.tables.sessions,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :token)",
        ExpressionAttributeValues={":pk": {"S": token.split(".", 1)[0]}, ":token": {"S": "TOKEN#"}},
        ConsistentRead=True,
    )["Items"]
    return [item["sk"]["S"].removeprefix("TOKEN#") for item in items if "rotated_at" not in item]
