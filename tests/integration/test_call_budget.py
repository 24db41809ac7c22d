"""The AWS cost of a login, counted call by call on the handler's own clients."""

import threading
import time

import services
from tests.support.handler import new_container
from tools.local.demo_data import DEMO
from tools.local.events import login_event


def successful_login(good_login) -> None:
    answer = good_login(DEMO.username)
    assert answer.status == 200, answer.body


def test_a_login_reads_the_user_once_and_queries_channels_once(good_login, aws_calls):
    successful_login(good_login)
    assert aws_calls["GetItem"] == 1
    assert aws_calls["Query"] == 1
    assert aws_calls["BatchGetItem"] == aws_calls["Scan"] == 0
    # The attempt gate (one conditional write) and the reset after success.
    assert aws_calls["UpdateItem"] == 1
    assert aws_calls["DeleteItem"] == 1


def test_secrets_come_from_one_ssm_call_across_many_invocations(good_login, aws_calls):
    for _ in range(10):
        successful_login(good_login)
    assert aws_calls["GetParameters"] == 1
    assert aws_calls["GetParameter"] == 0


def test_a_new_container_reads_ssm_again(good_login, aws_calls):
    # Given: a container that has read the secrets once
    successful_login(good_login)
    # When: a new container logs in
    new_container()
    successful_login(good_login)
    # Then
    assert aws_calls["GetParameters"] == 2


def test_the_secret_cache_expires_so_a_rotated_secret_takes_effect(good_login, aws_calls, monkeypatch):
    monkeypatch.setenv("LIVEKIT_SECRET_MAX_AGE_SECONDS", "0")
    successful_login(good_login)
    successful_login(good_login)
    assert aws_calls["GetParameters"] == 2


def test_a_wrong_password_costs_the_same_reads_and_no_channels_query_nor_ssm(guess, aws_calls):
    answer = guess(DEMO.username)
    assert answer.status == 401
    assert aws_calls["GetItem"] == 1
    assert aws_calls["UpdateItem"] == 1
    assert aws_calls["Query"] == aws_calls["GetParameters"] == aws_calls["DeleteItem"] == 0


def test_bad_input_makes_no_aws_call(invoke, aws_calls):
    assert invoke(login_event(raw="not json")).status == 400
    assert aws_calls.total() == 0


def test_the_side_by_side_calls_are_one_round_trip(good_login):
    """The attempt gate and the user read overlap; so do the channels Query and the attempt reset."""
    in_flight, overlaps, lock = [0], [0], threading.Lock()

    def slow_call(model, **_):
        with lock:
            in_flight[0] += 1
            if in_flight[0] > 1:
                overlaps[0] += 1
        time.sleep(0.05)
        with lock:
            in_flight[0] -= 1

    services.dynamodb.meta.events.register("before-call", slow_call)
    try:
        successful_login(good_login)
    finally:
        services.dynamodb.meta.events.unregister("before-call", slow_call)
    assert overlaps[0] == 2
