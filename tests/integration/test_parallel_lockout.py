"""The lockout under parallel guessing: conditional writes, not luck, decide who reaches bcrypt.

Sixteen threads call the handler at once for one account; a barrier inside the DynamoDB client
holds every thread's first conditional write until all sixteen are ready, so the writes really
race. moto processes one request at a time (as DynamoDB serializes the writes to one item) but
knows nothing of the lockout: the counts come from the conditions the service writes with.
A controllable clock (the LoginService takes one) stands in for waiting out the locks.
"""

from __future__ import annotations

import functools
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from moto.dynamodb.responses import DynamoHandler

import app
from livekit_auth import messages, passwords
from livekit_auth.config import load_settings, require_function_settings
from livekit_auth.login import LoginService
from livekit_auth.storage import AuthStore
from tests.conftest import Answer, call_handler, login_event
from tools.local import demo_data

GUESSERS = 16
THRESHOLD = 5  # function_env's LOCKOUT_THRESHOLD
START = 1_800_000_000.0
WRONG_PASSWORD = "not-the-password"


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The handler's own LoginService (app.build_service), on a clock the test moves."""
    clock = Clock(START)
    settings = require_function_settings(load_settings())
    service = app.build_service(settings, clock=clock)

    @functools.cache
    def configured_on_clock() -> tuple[Any, LoginService]:
        return settings, service

    monkeypatch.setattr(app, "configured", configured_on_clock)
    return clock


@pytest.fixture
def bcrypt_runs(monkeypatch: pytest.MonkeyPatch) -> Callable[[], int]:
    """How many password checks reached bcrypt so far (thread-safe)."""
    lock, runs = threading.Lock(), [0]
    real_checkpw = passwords.bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        with lock:
            runs[0] += 1
        return real_checkpw(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting_checkpw)
    return lambda: runs[0]


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

    app.dynamodb.meta.events.register("before-call.dynamodb.UpdateItem", hold, unique_id="race-first-writes")
    yield
    app.dynamodb.meta.events.unregister("before-call.dynamodb.UpdateItem", unique_id="race-first-writes")


@pytest.fixture
def dynamodb_calls() -> Iterator[Counter[str]]:
    """DynamoDB operations the handler's client makes, by name."""
    calls: Counter[str] = Counter()

    def count(model: Any, **_: Any) -> None:
        calls[model.name] += 1

    app.dynamodb.meta.events.register("before-call.dynamodb", count, unique_id="count-dynamodb-calls")
    yield calls
    app.dynamodb.meta.events.unregister("before-call.dynamodb", unique_id="count-dynamodb-calls")


def log_in(username: str, password: str = WRONG_PASSWORD) -> Answer:
    return call_handler(login_event({"username": username, "password": password}))


def guess_in_parallel(username: str) -> list[Answer]:
    """GUESSERS wrong passwords for one account, released together."""
    start = threading.Barrier(GUESSERS, timeout=30)

    def guess(_: int) -> Answer:
        start.wait()
        return log_in(username)

    with ThreadPoolExecutor(max_workers=GUESSERS, thread_name_prefix="guesser") as pool:
        return list(pool.map(guess, range(GUESSERS)))


def assert_locked(answer: Answer) -> None:
    assert answer.status == 429
    assert answer.body == {"error": messages.TOO_MANY_ATTEMPTS}
    assert int(answer.headers["Retry-After"]) >= 1
    assert answer.headers["Cache-Control"] == "no-store"


def statuses(answers: list[Answer]) -> Counter[int]:
    return Counter(answer.status for answer in answers)


@pytest.mark.usefixtures("demo_users", "first_writes_race")
@pytest.mark.parametrize("username", [demo_data.DEMO.username, "nobody@example.com"], ids=["known", "unknown"])
def test_parallel_guesses_reach_bcrypt_at_most_threshold_times(
    clock: Clock, bcrypt_runs: Callable[[], int], username: str
) -> None:
    """Known and unknown usernames alike: the threshold admits, the rest are locked out unchecked."""
    answers = guess_in_parallel(username)

    assert bcrypt_runs() == THRESHOLD
    assert statuses(answers) == {401: THRESHOLD, 429: GUESSERS - THRESHOLD}
    for answer in answers:
        if answer.status == 429:
            assert_locked(answer)


@pytest.mark.usefixtures("demo_users", "one_request_at_a_time_in_the_emulator")
def test_after_the_lock_one_attempt_at_a_time_and_a_success_resets(
    clock: Clock, bcrypt_runs: Callable[[], int], store: AuthStore
) -> None:
    username = demo_data.DEMO.username
    guess_in_parallel(username)
    assert bcrypt_runs() == THRESHOLD

    for past_threshold, lock_seconds in enumerate((1, 2, 4), start=1):  # each failure doubles the lock
        clock.advance(lock_seconds)
        answers = guess_in_parallel(username)
        assert statuses(answers) == {401: 1, 429: GUESSERS - 1}
        assert bcrypt_runs() == THRESHOLD + past_threshold
        locked = log_in(username)
        assert_locked(locked)
        assert int(locked.headers["Retry-After"]) == 2 * lock_seconds

    clock.advance(8)
    assert log_in(username, demo_data.DEMO_PASSWORD).status == 200
    assert store.get_attempts(username) is None
    answers = guess_in_parallel(username)
    assert statuses(answers) == {401: THRESHOLD, 429: GUESSERS - THRESHOLD}


@pytest.mark.usefixtures("demo_users")
def test_a_locked_account_costs_two_dynamodb_calls_and_no_bcrypt(
    clock: Clock, bcrypt_runs: Callable[[], int], dynamodb_calls: Counter[str]
) -> None:
    """The per-login AWS budget on each step of the way to a lock."""
    username = demo_data.DEMO.username
    budgets = []
    for _ in range(THRESHOLD + 1):
        dynamodb_calls.clear()
        answer = log_in(username)
        budgets.append((answer.status, dict(dynamodb_calls)))

    below_threshold = (401, {"GetItem": 1, "UpdateItem": 1})  # the read beside one conditional count
    at_threshold = (401, {"GetItem": 1, "UpdateItem": 3})  # count refused, gated count, lock
    locked = (429, {"GetItem": 1, "UpdateItem": 1})  # count refused: nothing else, no bcrypt
    assert budgets == [below_threshold] * (THRESHOLD - 1) + [at_threshold, locked]
    assert bcrypt_runs() == THRESHOLD

    clock.advance(1)
    dynamodb_calls.clear()
    assert log_in(username, demo_data.DEMO_PASSWORD).status == 200
    assert dict(dynamodb_calls) == {"GetItem": 1, "UpdateItem": 2, "Query": 1, "DeleteItem": 1}
