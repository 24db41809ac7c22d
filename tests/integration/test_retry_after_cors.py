"""A locked account's Retry-After reaches the browser app: it is not CORS-safelisted, so it is exposed."""

from __future__ import annotations

import pytest

from livekit_auth.browser import exposed_headers
from livekit_auth_tools.demo_data import DEMO

LOCKOUT_THRESHOLD = 5  # function_env's
APP_ORIGIN = "https://app.example.com"


def locked_answer(log_in, **headers: str):
    """Fail until the lock answers (a slow machine may see a 1 s lock run out once or twice)."""
    for number in range(LOCKOUT_THRESHOLD + 3):
        answer = log_in(DEMO.username, f"wrong-{number}", headers=headers or None)
        if answer.status == 429:
            return answer
    pytest.fail("the account never locked")


def test_a_429_exposes_retry_after_to_the_browser(log_in):
    answer = locked_answer(log_in, Origin=APP_ORIGIN)
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Expose-Headers"] == "Retry-After"


def test_with_an_origin_list_the_listed_origin_reads_retry_after(log_in, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", APP_ORIGIN)
    answer = locked_answer(log_in, Origin=APP_ORIGIN)
    assert answer.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert answer.headers["Access-Control-Expose-Headers"] == "Retry-After"


def test_answers_without_retry_after_expose_nothing(log_in):
    for answer in (log_in(DEMO.username), log_in(DEMO.username, "wrong")):
        assert "Retry-After" not in answer.headers
        assert "Access-Control-Expose-Headers" not in answer.headers


def test_only_headers_an_answer_carries_are_exposed():
    assert exposed_headers({"Retry-After": "3", "Cache-Control": "no-store"}) == {
        "Access-Control-Expose-Headers": "Retry-After"
    }
    assert exposed_headers({"Cache-Control": "no-store"}) == {}
