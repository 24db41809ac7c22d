"""The AWS cost of a login, counted call by call on the handler's own clients."""

from collections import Counter
from collections.abc import Iterator

import pytest

import app
from livekit_auth import credentials
from tests.conftest import clear_caches, login_event
from tools.local.demo_data import DEMO, DEMO_PASSWORD


@pytest.fixture
def aws_calls() -> Iterator[Counter]:
    """Counts every API call the function's DynamoDB and SSM clients make, by operation name."""
    calls: Counter = Counter()

    def count(model, **_):
        calls[model.name] += 1

    clients = [app.dynamodb, credentials.ssm_provider.client]
    for client in clients:
        client.meta.events.register("before-call", count)
    yield calls
    for client in clients:
        client.meta.events.unregister("before-call", count)


def successful_login(invoke) -> None:
    answer = invoke(login_event({"username": DEMO.username, "password": DEMO_PASSWORD}))
    assert answer.status == 200, answer.body


def test_a_login_reads_the_user_once_and_queries_channels_once(invoke, aws_calls):
    successful_login(invoke)
    assert aws_calls["GetItem"] == 1
    assert aws_calls["Query"] == 1
    assert aws_calls["BatchGetItem"] == aws_calls["Scan"] == 0
    # The attempt gate (one conditional write) and the reset after success.
    assert aws_calls["UpdateItem"] == 1
    assert aws_calls["DeleteItem"] == 1


def test_secrets_come_from_one_ssm_call_across_many_invocations(invoke, aws_calls):
    for _ in range(10):
        successful_login(invoke)
    assert aws_calls["GetParameters"] == 1
    assert aws_calls["GetParameter"] == 0


def test_a_new_container_reads_ssm_again(invoke, aws_calls):
    successful_login(invoke)
    clear_caches()
    successful_login(invoke)
    assert aws_calls["GetParameters"] == 2


def test_the_secret_cache_expires_so_a_rotated_secret_takes_effect(invoke, aws_calls, monkeypatch):
    monkeypatch.setenv("LIVEKIT_SECRET_MAX_AGE_SECONDS", "0")
    successful_login(invoke)
    successful_login(invoke)
    assert aws_calls["GetParameters"] == 2


def test_a_wrong_password_costs_the_same_reads_and_no_channels_query_nor_ssm(invoke, aws_calls):
    answer = invoke(login_event({"username": DEMO.username, "password": "wrong"}))
    assert answer.status == 401
    assert aws_calls["GetItem"] == 1
    assert aws_calls["UpdateItem"] == 1
    assert aws_calls["Query"] == aws_calls["GetParameters"] == aws_calls["DeleteItem"] == 0


def test_bad_input_makes_no_aws_call(invoke, aws_calls):
    assert invoke(login_event(raw="not json")).status == 400
    assert sum(aws_calls.values()) == 0


def test_the_side_by_side_calls_are_one_round_trip(invoke, monkeypatch):
    """The attempt gate and the user read overlap; so do the channels Query and the attempt reset."""
    import threading
    import time

    in_flight, overlaps, lock = [0], [0], threading.Lock()

    def slow_call(model, **_):
        with lock:
            in_flight[0] += 1
            if in_flight[0] > 1:
                overlaps[0] += 1
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1

    app.dynamodb.meta.events.register("before-call", slow_call)
    try:
        successful_login(invoke)
    finally:
        app.dynamodb.meta.events.unregister("before-call", slow_call)
    assert overlaps[0] == 2
