"""The AWS cost of a token from a session: at most two round trips, no bcrypt, counted call by call."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aws_lambda_powertools.utilities import parameters

import app
from livekit_auth import credentials, passwords
from livekit_auth.sessions import LAST_USE_WRITE_SECONDS
from livekit_auth_tools.apigw import TOKEN_RESOURCE, proxy_event
from livekit_auth_tools.demo_data import DEMO
from tests.session_support import Clock, install_clock

CALL_SECONDS = 0.05  # each AWS call is slowed this much, so calls in a row cannot pass for overlapping ones


@dataclass
class Calls:
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
def clock(function_env, monkeypatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def aws_calls() -> Iterator[Calls]:
    calls = Calls()
    clients = [app.dynamodb, credentials.ssm_provider.client]
    for client in clients:
        client.meta.events.register("before-call", calls.before)
        client.meta.events.register("after-call", calls.after)
    yield calls
    for client in clients:
        client.meta.events.unregister("before-call", calls.before)
        client.meta.events.unregister("after-call", calls.after)


@pytest.fixture
def bcrypt_runs(monkeypatch) -> list[str]:
    runs: list[str] = []
    for name in ("checkpw", "hashpw"):
        real = getattr(passwords.bcrypt, name)
        monkeypatch.setattr(
            passwords.bcrypt, name, lambda *args, _real=real, _name=name: runs.append(_name) or _real(*args)
        )
    return runs


def session_token(log_in) -> str:
    answer = log_in(DEMO.username, session=True)
    assert answer.status == 200
    return answer.body["session"]["token"]


def fetch(invoke, token: str) -> None:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    answer = invoke(proxy_event("POST", TOKEN_RESOURCE + "/", resource=TOKEN_RESOURCE, headers=headers, body="{}"))
    assert answer.status == 201, answer.body


def test_a_token_is_one_batch_read_then_the_user_and_memberships_side_by_side(
    invoke, log_in, clock, aws_calls, bcrypt_runs
):
    token = session_token(log_in)
    aws_calls.clear()
    bcrypt_runs.clear()

    fetch(invoke, token)

    assert aws_calls.names() == ["BatchGetItem", "GetItem", "Query"]
    assert aws_calls.round_trips() == 2
    assert bcrypt_runs == []


def test_the_hourly_last_use_write_runs_beside_them(invoke, log_in, clock, aws_calls):
    token = session_token(log_in)
    clock.advance(LAST_USE_WRITE_SECONDS)
    aws_calls.clear()

    fetch(invoke, token)

    assert aws_calls.names() == ["BatchGetItem", "GetItem", "Query", "UpdateItem"]
    assert aws_calls.round_trips() == 2


def test_a_cold_container_reads_ssm_beside_them_too(invoke, log_in, clock, aws_calls, monkeypatch):
    token = session_token(log_in)
    credentials.ssm_provider.clear_cache()  # what a new container starts without
    parameters.clear_caches()
    aws_calls.clear()

    fetch(invoke, token)

    assert aws_calls.names() == ["BatchGetItem", "GetItem", "GetParameters", "Query"]
    assert aws_calls.round_trips() == 2


def test_an_unknown_session_costs_one_read(invoke, clock, aws_calls):
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + "a" * 22 + "." + "b" * 43}
    answer = invoke(proxy_event("POST", TOKEN_RESOURCE + "/", resource=TOKEN_RESOURCE, headers=headers, body="{}"))
    assert answer.status == 401
    assert aws_calls.names() == ["BatchGetItem"]


def test_no_bearer_token_costs_nothing(invoke, clock, aws_calls):
    answer = invoke(proxy_event("POST", TOKEN_RESOURCE + "/", resource=TOKEN_RESOURCE, headers={}, body=""))
    assert answer.status == 401
    assert aws_calls.spans == []


def test_opening_a_session_adds_one_write_to_the_login(invoke, log_in, clock, aws_calls):
    assert log_in(DEMO.username).status == 200  # warm: the credentials are cached from here on
    aws_calls.clear()
    assert log_in(DEMO.username).status == 200
    plain = aws_calls.names()
    aws_calls.clear()
    session_token(log_in)
    assert aws_calls.names() == sorted([*plain, "TransactWriteItems"])


# ---- IAM: the template grants exactly the calls the function makes on the sessions table --------------------

TRANSACTION_ACTIONS = {
    "Put": "PutItem",
    "Update": "UpdateItem",
    "Delete": "DeleteItem",
    "ConditionCheck": "ConditionCheckItem",
}


def test_the_function_makes_exactly_the_calls_its_role_allows_on_the_sessions_table(invoke, log_in, clock, store):
    from livekit_auth_tools.apigw import LOGOUT_RESOURCE, REFRESH_RESOURCE
    from livekit_auth_tools.cfn_template import load_template

    made: set[str] = set()

    def record(params, model, **_):
        if params.get("TableName") == store.tables.sessions or store.tables.sessions in params.get("RequestItems", {}):
            made.add(model.name)
        for item in params.get("TransactItems", []):
            for kind, request in item.items():
                if request["TableName"] == store.tables.sessions:
                    made.add(TRANSACTION_ACTIONS[kind])

    app.dynamodb.meta.events.register("before-parameter-build.dynamodb", record)
    try:
        token = session_token(log_in)
        clock.advance(LAST_USE_WRITE_SECONDS)
        fetch(invoke, token)
        headers = {"Authorization": f"Bearer {token}"}
        for resource in (REFRESH_RESOURCE, LOGOUT_RESOURCE):
            invoke(proxy_event("POST", resource + "/", resource=resource, headers=headers, body=""))
        late = session_token(log_in)
        invoke(
            proxy_event(
                "POST", REFRESH_RESOURCE, resource=REFRESH_RESOURCE, headers={"Authorization": f"Bearer {late}"}
            )
        )
        clock.advance(60)  # the rotated-out token comes back: the session is deleted
        invoke(
            proxy_event("POST", TOKEN_RESOURCE, resource=TOKEN_RESOURCE, headers={"Authorization": f"Bearer {late}"})
        )
    finally:
        app.dynamodb.meta.events.unregister("before-parameter-build.dynamodb", record)

    policy = load_template()["Resources"]["AuthClientFunction"]["Properties"]["Policies"][0]["Statement"]
    (granted,) = [
        statement["Action"] for statement in policy if statement["Resource"] == {"Fn::GetAtt": "SessionsTable.Arn"}
    ]
    assert made == {action.removeprefix("dynamodb:") for action in granted}
