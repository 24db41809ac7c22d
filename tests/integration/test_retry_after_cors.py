"""A locked account's Retry-After reaches the browser app: it is not CORS-safelisted, so it is exposed."""

from __future__ import annotations

import pytest

from livekit_auth.browser import exposed_headers
from tools.local.demo_data import DEMO

APP_ORIGIN = "https://app.example.com"


def locked_answer(guess, threshold: int, **headers: str):
    """Fail until the lock answers (the handler's clock stands still, so the lock holds)."""
    for _ in range(threshold):
        guess(DEMO.username, headers=headers or None)
    answer = guess(DEMO.username, headers=headers or None)
    if answer.status != 429:
        pytest.fail("the account never locked")
    return answer


def test_a_429_exposes_retry_after_to_the_browser(guess, handler_clock, settings):
    answer = locked_answer(guess, settings.lockout_threshold, Origin=APP_ORIGIN)
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Expose-Headers"] == "Retry-After"


@pytest.fixture
def origin_list(function_env, monkeypatch) -> None:
    """Only the app's origin is allowed (set before the handler reads its settings)."""
    monkeypatch.setenv("ALLOWED_ORIGINS", APP_ORIGIN)


def test_with_an_origin_list_the_listed_origin_reads_retry_after(origin_list, guess, handler_clock, settings):
    answer = locked_answer(guess, settings.lockout_threshold, Origin=APP_ORIGIN)
    assert answer.headers["Access-Control-Allow-Origin"] == APP_ORIGIN
    assert answer.headers["Access-Control-Expose-Headers"] == "Retry-After"


def test_answers_without_retry_after_expose_nothing(good_login, guess):
    for answer in (good_login(DEMO.username), guess(DEMO.username)):
        assert "Retry-After" not in answer.headers
        assert "Access-Control-Expose-Headers" not in answer.headers


def test_only_headers_an_answer_carries_are_exposed():
    assert exposed_headers({"Retry-After": "3", "Cache-Control": "no-store"}) == {
        "Access-Control-Expose-Headers": "Retry-After"
    }
    assert exposed_headers({"Cache-Control": "no-store"}) == {}
