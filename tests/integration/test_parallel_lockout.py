"""The lockout under parallel guessing: conditional writes, not luck, decide who reaches bcrypt.

Sixteen threads call the handler at once for one account; a barrier inside the DynamoDB client
holds every thread's first conditional write until all sixteen are ready, so the writes really
race. moto processes one request at a time (as DynamoDB serializes the writes to one item) but
knows nothing of the lockout: the counts come from the conditions the service writes with.
A controllable clock (the LoginService takes one) stands in for waiting out the locks.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.dynamodb.responses import DynamoHandler

import services
from livekit_auth import messages
from livekit_auth.config import Settings
from livekit_authctl.storage.admin import AdminStore
from tests.support.clock import FakeClock
from tests.support.counters import AwsCallCounter, BcryptCounter
from tests.support.handler import Answer
from tests.support.logins import good_login, guess
from tools.local import demo_data

GUESSERS = 16


@pytest.fixture
def one_request_at_a_time_in_the_emulator(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto's DynamoDB is not thread-safe; the real service applies writes to one item in order."""
    lock = threading.Lock()
    real_call_action = DynamoHandler.call_action

    def serialized(self: DynamoHandler) -> Any:
        with lock:
            return real_call_action(self)

    monkeypatch.setattr(DynamoHandler, "call_action", serialized)


@pytest.fixture
def first_writes_race(one_request_at_a_time_in_the_emulator: None) -> Iterator[None]:
    """Hold each thread's first UpdateItem (the attempt claim) until every guesser has sent one."""
    barrier = threading.Barrier(GUESSERS, timeout=30)
    waited = threading.local()

    def hold(**_: Any) -> None:
        if threading.current_thread().name.startswith("guesser") and not getattr(waited, "done", False):
            waited.done = True
            barrier.wait()

    services.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", hold, unique_id="race-first-writes")
    yield
    services.dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", unique_id="race-first-writes")


@pytest.fixture
def locked_by_a_burst(
    demo_users: dict[str, str],
    one_request_at_a_time_in_the_emulator: None,
    handler_clock: FakeClock,
    bcrypt_checks: BcryptCounter,
) -> str:
    """The demo user, locked by one parallel burst of guesses (bcrypt counted from before it)."""
    guess_in_parallel(demo_data.DEMO.username)
    return demo_data.DEMO.username


def guess_in_parallel(username: str) -> list[Answer]:
    """GUESSERS wrong passwords for one account, released together."""
    start = threading.Barrier(GUESSERS, timeout=30)

    def guess_together(_: int) -> Answer:
        start.wait()
        return guess(username)

    with ThreadPoolExecutor(max_workers=GUESSERS, thread_name_prefix="guesser") as pool:
        return list(pool.map(guess_together, range(GUESSERS)))


def bursts_after_locks(
    clock: FakeClock, username: str, locks: tuple[int, ...] = (1, 2, 4)
) -> Iterator[tuple[int, list[Answer]]]:
    """For each lock in turn (a locked account's doubling locks): wait it out, then a parallel burst."""
    for lock_seconds in locks:
        clock.advance(lock_seconds)
        yield lock_seconds, guess_in_parallel(username)


def assert_locked(answer: Answer) -> None:
    assert answer.status == 429
    assert answer.body == {"error": messages.TOO_MANY_ATTEMPTS}
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.headers["Cache-Control"] == "no-store"


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(answer.status for answer in answers)


@pytest.mark.usefixtures("demo_users", "first_writes_race", "handler_clock")
@pytest.mark.parametrize("username", [demo_data.DEMO.username, "nobody@example.com"], ids=["known", "unknown"])
def test_parallel_guesses_reach_bcrypt_at_most_threshold_times(
    bcrypt_checks: BcryptCounter, settings: Settings, username: str
) -> None:
    """Known and unknown usernames alike: the threshold admits, the rest are locked out unchecked."""
    threshold = settings.lockout_threshold
    # When
    answers = guess_in_parallel(username)
    # Then
    assert bcrypt_checks.count == threshold
    assert statuses(answers) == {401: threshold, 429: GUESSERS - threshold}
    for answer in answers:
        if answer.status == 429:
            assert_locked(answer)


def test_after_each_lock_one_parallel_guess_is_admitted_and_the_lock_doubles(
    locked_by_a_burst: str, handler_clock: FakeClock, bcrypt_checks: BcryptCounter, settings: Settings
) -> None:
    threshold = settings.lockout_threshold
    username = locked_by_a_burst
    assert bcrypt_checks.count == threshold
    # When: each lock runs out and another burst arrives (each failure doubles the lock)
    for past_threshold, (lock_seconds, answers) in enumerate(bursts_after_locks(handler_clock, username), start=1):
        # Then: one guess reaches bcrypt, and the next lock is twice as long
        assert statuses(answers) == {401: 1, 429: GUESSERS - 1}
        assert bcrypt_checks.count == threshold + past_threshold
        locked = guess(username)
        assert_locked(locked)
        assert int(locked.headers["Retry-After"]) == 2 * lock_seconds


def test_a_success_after_the_locks_resets_the_count_for_parallel_guessers(
    locked_by_a_burst: str, handler_clock: FakeClock, store: AdminStore, settings: Settings
) -> None:
    threshold = settings.lockout_threshold
    username = locked_by_a_burst
    # Given: three more admitted failures after the burst's lock (locks of 1, 2 and 4 s, then 8 s)
    list(bursts_after_locks(handler_clock, username))
    # When: the last lock runs out and the right password comes
    handler_clock.advance(8)
    assert good_login(username).status == 200
    # Then: the count is gone, and a new burst again gets the whole threshold
    assert store.get_attempts(username) is None
    answers = guess_in_parallel(username)
    assert statuses(answers) == {401: threshold, 429: GUESSERS - threshold}


def lock_step_budgets(aws_calls: AwsCallCounter, username: str, attempts: int) -> list[tuple[int, dict[str, int]]]:
    """(status, DynamoDB calls) of each of `attempts` guesses in a row."""
    budgets = []
    for _ in range(attempts):
        aws_calls.clear()
        answer = guess(username)
        budgets.append((answer.status, aws_calls.on("dynamodb")))
    return budgets


@pytest.mark.usefixtures("demo_users", "handler_clock")
def test_a_locked_account_costs_two_dynamodb_calls_and_no_bcrypt(
    bcrypt_checks: BcryptCounter, aws_calls: AwsCallCounter, settings: Settings
) -> None:
    """The per-login AWS budget on each step of the way to a lock."""
    threshold = settings.lockout_threshold
    # When: guesses up to the threshold and one more
    budgets = lock_step_budgets(aws_calls, demo_data.DEMO.username, threshold + 1)
    # Then
    below_threshold = (401, {"GetItem": 1, "UpdateItem": 1})  # the read beside one conditional count
    at_threshold = (401, {"GetItem": 1, "UpdateItem": 3})  # count refused, gated count, lock
    locked = (429, {"GetItem": 1, "UpdateItem": 1})  # count refused: nothing else, no bcrypt
    assert budgets == [below_threshold] * (threshold - 1) + [at_threshold, locked]
    assert bcrypt_checks.count == threshold


@pytest.mark.usefixtures("demo_users")
def test_a_success_after_a_lock_costs_the_reset_besides_the_login(
    handler_clock: FakeClock, aws_calls: AwsCallCounter, settings: Settings
) -> None:
    # Given: a lock that has run out
    lock_step_budgets(aws_calls, demo_data.DEMO.username, settings.lockout_threshold + 1)
    handler_clock.advance(1)
    aws_calls.clear()
    # When
    assert good_login(demo_data.DEMO.username).status == 200
    # Then
    assert aws_calls.on("dynamodb") == {"GetItem": 1, "UpdateItem": 2, "Query": 1, "DeleteItem": 1}
