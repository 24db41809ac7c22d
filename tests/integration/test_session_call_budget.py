"""The AWS cost of a token from a session: at most two round trips, no bcrypt, counted call by call."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aws_lambda_powertools.utilities import parameters

import services
from livekit_auth import credentials
from livekit_auth.routes import TOKEN
from livekit_auth.sessions import LAST_USE_WRITE_SECONDS, ROTATION_GRACE_SECONDS
from tests.support.sessions import fetch_token, log_out_session, open_session, refresh_session
from tools.ci.cfn_template import load_template
from tools.local.demo_data import DEMO
from tools.local.events import proxy_event

CALL_SECONDS = 0.05  # each AWS call is slowed this much, so calls in a row cannot pass for overlapping ones


@dataclass
class TimedCalls:
    """Every AWS call of the function's clients: its operation and when it ran."""

    spans: list[tuple[str, float, float]] = field(default_factory=list)
    _started: dict[int, tuple[str, float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def before(self, model, **_) -> None:
        with self._lock:
            self._started[threading.get_ident()] = (model.name, time.perf_counter())
        time.sleep(CALL_SECONDS)

    def after(self, **_) -> None:
        with self._lock:
            name, started = self._started.pop(threading.get_ident())
            self.spans.append((name, started, time.perf_counter()))

    def names(self) -> list[str]:
        return sorted(name for name, _, _ in self.spans)

    def round_trips(self) -> int:
        """Waves of calls: a call that starts after every earlier one has ended begins a new wave."""
        waves, ended = 0, float("-inf")
        for _, start, end in sorted(self.spans, key=lambda span: span[1]):
            if start >= ended:
                waves += 1
            ended = max(ended, end)
        return waves

    def clear(self) -> None:
        self.spans.clear()


@pytest.fixture
def timed_calls() -> Iterator[TimedCalls]:
    """Every call of the function's AWS clients with its start and end (each slowed by CALL_SECONDS)."""
    calls = TimedCalls()
    clients = [services.dynamodb, credentials.ssm_provider.client]
    for client in clients:
        client.meta.events.register("before-call", calls.before)
        client.meta.events.register("after-call", calls.after)
    yield calls
    for client in clients:
        client.meta.events.unregister("before-call", calls.before)
        client.meta.events.unregister("after-call", calls.after)


def test_a_token_is_one_batch_read_then_the_user_and_memberships_side_by_side(
    invoke, handler_clock, timed_calls, bcrypt_checks
):
    # Given: a session
    token = open_session()
    timed_calls.clear()
    checks_by_the_login = bcrypt_checks.count
    # When
    assert fetch_token(token).status == 201
    # Then: three reads in two round trips, no bcrypt
    assert timed_calls.names() == ["BatchGetItem", "GetItem", "Query"]
    assert timed_calls.round_trips() == 2
    assert bcrypt_checks.count == checks_by_the_login


def test_the_hourly_last_use_write_runs_beside_them(invoke, handler_clock, timed_calls):
    # Given: a session last used an hour ago
    token = open_session()
    handler_clock.advance(LAST_USE_WRITE_SECONDS)
    timed_calls.clear()
    # When
    assert fetch_token(token).status == 201
    # Then: the write rides in the second round trip
    assert timed_calls.names() == ["BatchGetItem", "GetItem", "Query", "UpdateItem"]
    assert timed_calls.round_trips() == 2


def test_a_cold_container_reads_ssm_beside_them_too(invoke, handler_clock, timed_calls):
    # Given: a session, and a container without the LiveKit credentials cached
    token = open_session()
    credentials.ssm_provider.clear_cache()
    parameters.clear_caches()
    timed_calls.clear()
    # When
    assert fetch_token(token).status == 201
    # Then: the SSM read rides in the second round trip
    assert timed_calls.names() == ["BatchGetItem", "GetItem", "GetParameters", "Query"]
    assert timed_calls.round_trips() == 2


def test_an_unknown_session_costs_one_read(invoke, handler_clock, aws_calls):
    answer = fetch_token("a" * 22 + "." + "b" * 43)
    assert answer.status == 401
    assert aws_calls.on("dynamodb") == {"BatchGetItem": 1}
    assert aws_calls.total() == 1


def test_no_bearer_token_costs_nothing(invoke, handler_clock, aws_calls):
    answer = invoke(proxy_event("POST", TOKEN.path + "/", resource=TOKEN.path, headers={}, body=""))
    assert answer.status == 401
    assert aws_calls.total() == 0


def test_opening_a_session_adds_one_write_to_the_login(good_login, handler_clock, aws_calls):
    # Given: a warm container (the credentials cached) and what a plain login calls
    assert good_login(DEMO.username).status == 200
    aws_calls.clear()
    assert good_login(DEMO.username).status == 200
    plain = aws_calls.on("dynamodb")
    aws_calls.clear()
    # When
    open_session()
    # Then: the same calls and one transaction
    assert aws_calls.on("dynamodb") == {**plain, "TransactWriteItems": 1}


# ---- IAM: the template grants exactly the calls the function makes on the sessions table --------------------

TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def test_the_function_makes_exactly_the_calls_its_role_allows_on_the_sessions_table(invoke, handler_clock, store):
    # Given: a record of every call on the sessions table, in transactions too
    made: set[str] = set()

    def record(params, model, **_):
        if params.get("TableName") == store.tables.sessions or store.tables.sessions in params.get("RequestItems", {}):
            made.add(model.name)
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                if request["TableName"] == store.tables.sessions:
                    made.add(TRANSACTION_ACTIONS[kind])

    services.dynamodb.meta.events.register("before-parameter-build.dynamodb", record)
    try:
        # When: every path: open, use with a last-use write, refresh, logout, late reuse of a rotated-out token
        token = open_session()
        handler_clock.advance(LAST_USE_WRITE_SECONDS)
        assert fetch_token(token).status == 201
        assert refresh_session(token).status == 200
        assert log_out_session(token).status == 204
        late = open_session()
        assert refresh_session(late).status == 200
        handler_clock.advance(ROTATION_GRACE_SECONDS + 1)  # the rotated-out token comes back: the session is deleted
        assert fetch_token(late).status == 401
    finally:
        services.dynamodb.meta.events.unregister("before-parameter-build.dynamodb", record)

    # Then: the calls made are exactly the ones the role grants on that table
    policy = load_template()["Resources"]["AuthClientFunction"]["Properties"]["Policies"][0]["Statement"]
    (granted,) = [
        statement["Action"] for statement in policy if statement["Resource"] == {"Fn::GetAtt": "SessionsTable.Arn"}
    ]
    assert made == {action.removeprefix("dynamodb:") for action in granted}
