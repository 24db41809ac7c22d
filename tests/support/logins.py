"""Login attempts named for what they send: the right password, a wrong one, or one the test chooses."""

from __future__ import annotations

from typing import Any

from tests.support.handler import Answer, call_handler
from tools.local.demo_data import DEMO_PASSWORD
from tools.local.events import login_event

WRONG_PASSWORD = "not-the-password"


def attempt_login(username: str, password: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Answer:
    """POST {username, password, **extra} to the login route, with `headers` besides Content-Type."""
    return call_handler(login_event({"username": username, "password": password, **extra}, headers=headers))


def good_login(username: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Answer:
    """A login with the demo users' password: the right one for every demo user."""
    return attempt_login(username, DEMO_PASSWORD, headers=headers, **extra)


def guess(username: str, password: str = WRONG_PASSWORD, *, headers: dict[str, str] | None = None) -> Answer:
    """A login with a wrong password: one failed attempt towards the lockout."""
    return attempt_login(username, password, headers=headers)


def lock_out(username: str, threshold: int) -> list[Answer]:
    """As many wrong passwords in a row as the lockout threshold: the account is locked after the last."""
    return [guess(username) for _ in range(threshold)]
