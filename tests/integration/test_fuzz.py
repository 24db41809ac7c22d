"""Property-based tests of the handler: whatever arrives, the answer is a safe, well-formed refusal
or a success that only the right password earns.

What stays here is what schemathesis (tests/e2e/test_openapi_fuzz.py, `make fuzz-api`) cannot check
from docs/openapi.yaml over HTTP: events no HTTP request through the gateway carries (isBase64Encoded
bodies, lone surrogates, any header set), and that near misses of a real password never earn a token
(schemathesis does not know which password is right). Login objects of every shape over HTTP are its."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import example, given

from livekit_auth.routes import LOGIN
from tests.support.handler import call_handler, new_container
from tools.bench import fuzz_strategies
from tools.bench.fuzz_strategies import FuzzCase
from tools.local import demo_data

JSON_HEADERS = {"Content-Type": "application/json"}
# 10k-character strings make long reprs when Hypothesis reports a case; that is expected here.
pytestmark = pytest.mark.filterwarnings("ignore:Generating overly large repr")


@pytest.fixture(scope="module")
def emulated() -> Iterator[dict[str, str]]:
    """One emulated AWS with the demo users for the whole module: @given runs many cases per test."""
    with fuzz_strategies.emulated_function() as environment:
        new_container()
        yield environment
        new_container()


def login_case(document: object, headers: dict[str, str] | None = None) -> FuzzCase:
    return FuzzCase(
        "POST", LOGIN.public_path, headers or JSON_HEADERS, json.dumps(document, ensure_ascii=False), False, document
    )


def assert_safe(case: FuzzCase) -> int:
    answer = call_handler(case.event())
    assert fuzz_strategies.violations(case, answer.status, answer.headers, answer.body) == []
    return answer.status


@fuzz_strategies.fuzz_settings(150, database=None)
@given(case=fuzz_strategies.fuzz_cases())
@example(case=login_case({"username": "\ud800@example.com", "password": "x"}))
@example(case=login_case({"username": demo_data.DEMO.username, "password": "\udfff"}))
@example(case=login_case({"username": "\u202edemo@example.com\u200f", "password": "\0"}))
@example(case=login_case({"username": "a" * 10_000, "password": "b" * 10_000}))
@example(case=login_case({"username": demo_data.DEMO.username, "password": demo_data.DEMO_PASSWORD}))
@example(case=login_case({"username": demo_data.DEMO.username, "password": 12, "server_url": ["x"]}))
@example(case=FuzzCase("POST", LOGIN.public_path, {}, '{"username": "a", "password": "b"}', False))
@example(case=FuzzCase("POST", LOGIN.public_path, JSON_HEADERS, "%%%not base64", True))
@example(case=FuzzCase("OPTIONS", LOGIN.public_path, {"Origin": "https://evil.example"}, None, False))
def test_any_request_gets_a_safe_answer(emulated: dict[str, str], case: FuzzCase) -> None:
    """Arbitrary bodies, headers and flags: never a 5xx, always the headers and a Persian error."""
    assert_safe(case)


@fuzz_strategies.fuzz_settings(60, database=None)
@given(case=fuzz_strategies.wrong_password_cases())
def test_a_wrong_password_never_earns_a_token(emulated: dict[str, str], case: FuzzCase) -> None:
    """Near misses (a NUL suffix, past 72 bytes, case, RTL marks) for real accounts are refused."""
    status = assert_safe(case)
    assert status in {400, 401, 413, 429}
