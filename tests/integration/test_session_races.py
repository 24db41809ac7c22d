"""Races the emulator cannot produce by itself: DynamoDB refusing a write because another request's
transaction held the same session item at that moment (two tabs refreshing at once, a logout or a
last-use write meeting a refresh). botocore does not retry these; the session store must, and none may
become a 500 or leave a session unrevoked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import pytest
from botocore.awsrequest import AWSResponse
from moto.dynamodb.models import DynamoDBBackend

import services
from livekit_auth.session_tokens import token_hash
from livekit_auth.sessions import LAST_USE_WRITE_SECONDS, ROTATION_GRACE_SECONDS, IssuedSession
from livekit_auth.storage.sessions import MAX_CONFLICT_RETRIES
from tests.support.clock import FakeClock
from tests.support.sessions import (
    assert_session_refused,
    fetch_token,
    live_token_hashes,
    log_out_session,
    open_session,
    real_time_clock,
    refresh_session,
)
from tests.support.settings import function_settings

DOUBLE_REFRESH_ROUNDS = 50  # issue 18: one token refreshed twice at once, this many times in a row


@pytest.fixture
def clock() -> FakeClock:
    """The handler_clock fixture's clock, at the real time: LiveKit's token checks need it."""
    return real_time_clock()


def conflict(operation: str) -> dict:
    """What DynamoDB answers when a transaction holds the item: for a transaction, its cancellation."""
    if operation == "TransactWriteItems":
        reasons = [{"Code": "None"}, {"Code": "TransactionConflict"}, {"Code": "None"}]
        error = {"Code": "TransactionCanceledException", "Message": "Transaction cancelled"}
        return {"Error": error, "CancellationReasons": reasons}
    return {"Error": {"Code": "TransactionConflictException", "Message": "Transaction is ongoing for the item"}}


@dataclass
class Conflicts:
    """The next `times` calls of `operation` on the function's DynamoDB client are refused as conflicts."""

    operation: str = ""
    times: int = 0
    refused: list[str] = field(default_factory=list)

    def arm(self, operation: str, times: int = 1) -> None:
        self.operation, self.times = operation, times

    def before(self, model, **_):
        if model.name != self.operation or self.times <= 0:
            return None
        self.times -= 1
        self.refused.append(model.name)
        return AWSResponse("https://dynamodb", 400, {}, None), conflict(model.name)


@pytest.fixture
def conflicts(invoke, handler_clock) -> Iterator[Conflicts]:
    armed = Conflicts()
    services.dynamodb.meta.events.register("before-call.dynamodb", armed.before, unique_id="session-conflicts")
    yield armed
    services.dynamodb.meta.events.unregister("before-call.dynamodb", unique_id="session-conflicts")


def test_a_refresh_that_collides_with_another_tabs_refresh_still_succeeds(conflicts):
    # Given: a session, and the other tab's refresh holding its items when this one writes
    token = open_session()
    conflicts.arm("TransactWriteItems")
    # When
    answer = refresh_session(token)
    # Then: the write was tried again: a new token that works, and the old one in its grace window
    assert conflicts.refused == ["TransactWriteItems"]
    assert answer.status == 200, answer.body
    assert fetch_token(answer.body["token"]).status == 201
    assert fetch_token(token).status == 201


def test_a_refresh_that_keeps_colliding_is_the_guides_500_not_a_logout(conflicts):
    token = open_session()
    conflicts.arm("TransactWriteItems", times=MAX_CONFLICT_RETRIES + 1)
    assert refresh_session(token).status == 500
    assert refresh_session(token).status == 200  # nothing was written: the session is intact


def test_a_logout_that_collides_with_a_refresh_still_ends_the_session(conflicts):
    token = open_session()
    conflicts.arm("DeleteItem")
    assert log_out_session(token).status == 204
    assert_session_refused(fetch_token(token))


def test_late_reuse_that_collides_with_a_refresh_still_revokes_the_family(conflicts, handler_clock):
    # Given: a session refreshed once, past the grace window
    old = open_session()
    new = refresh_session(old).body["token"]
    handler_clock.advance(ROTATION_GRACE_SECONDS + 1)
    # When: the copied token comes back while the revocation's delete collides with a write
    conflicts.arm("DeleteItem")
    # Then: refused, and the family revoked all the same
    assert_session_refused(fetch_token(old))
    assert_session_refused(fetch_token(new))


def test_a_last_use_write_that_collides_with_a_refresh_does_not_fail_the_token(conflicts, handler_clock):
    # Given: a session whose last use is due to be recorded, and a refresh writing it at that moment
    token = open_session()
    handler_clock.advance(LAST_USE_WRITE_SECONDS)
    conflicts.arm("UpdateItem")
    # When / Then: the token is given (the refresh records the use itself)
    assert fetch_token(token).status == 201
    assert conflicts.refused == ["UpdateItem"]


# ---- two requests refreshing one token at the same moment (issue 18, M1) ----------------------------------

ATOMIC_BACKEND_CALLS = ("transact_write_items", "update_item", "put_item", "delete_item", "get_item", "batch_get_item")


@pytest.fixture
def atomic_dynamodb(monkeypatch) -> None:
    """DynamoDB applies each item write, and each transaction, atomically (transactions are serializable);
    moto lets two threads' calls interleave inside its backend. One lock around the backend's calls gives
    moto DynamoDB's isolation; the requests themselves still run side by side."""
    lock = threading.RLock()
    for name in ATOMIC_BACKEND_CALLS:
        original = getattr(DynamoDBBackend, name)

        def atomic(self, *args, _original=original, **kwargs):
            with lock:
                return _original(self, *args, **kwargs)

        monkeypatch.setattr(DynamoDBBackend, name, atomic)


@dataclass
class SimultaneousRotations:
    """Holds the first two rotation transactions of each round until both requests have sent theirs: each has
    read the token as not rotated yet, so only the write's condition can keep a second successor out."""

    barrier: threading.Barrier = field(default_factory=lambda: threading.Barrier(2, timeout=10))
    held: int = 2  # nothing is held until the first round
    guard: threading.Lock = field(default_factory=threading.Lock)

    def next_round(self) -> None:
        self.barrier.reset()
        self.held = 0

    def before(self, model, **_):
        if model.name != "TransactWriteItems":
            return
        with self.guard:
            self.held += 1
            wait = self.held <= 2
        if wait:
            self.barrier.wait()


@pytest.fixture
def simultaneous_rotations(invoke, handler_clock, atomic_dynamodb) -> Iterator[SimultaneousRotations]:
    rotations = SimultaneousRotations()
    services.dynamodb.meta.events.register("before-call.dynamodb", rotations.before, unique_id="simultaneous")
    yield rotations
    services.dynamodb.meta.events.unregister("before-call.dynamodb", unique_id="simultaneous")


def test_a_token_refreshed_twice_at_once_yields_one_live_chain_every_time(simultaneous_rotations, store):
    """Done-when of issue 18: a concurrent double refresh of one token, DOUBLE_REFRESH_ROUNDS times in a row,
    leaves exactly one live token (one chain), and both requests are answered with it."""
    # Given: a session, and the function's session service as two concurrent requests share it
    token = open_session()
    sessions = services.build_session_service(function_settings())

    def refresh(presented: str) -> IssuedSession:
        return sessions.refresh(sessions.authenticate(presented))

    with ThreadPoolExecutor(max_workers=2) as pool:
        for round_number in range(DOUBLE_REFRESH_ROUNDS):
            simultaneous_rotations.next_round()
            # When: two requests refresh the same token at the same moment
            first, second = pool.map(refresh, [token, token])
            # Then: one successor, given to both, and it is the session's only live token
            assert first == second, f"round {round_number}: two successors minted"
            assert live_token_hashes(store, token) == [token_hash(first.token)], f"round {round_number}"
            token = first.token
    assert fetch_token(token).status == 201
