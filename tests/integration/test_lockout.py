"""Per-account lockout: counted before bcrypt, doubling locks, reset on success, same for unknown users."""

import bcrypt
import pytest

import app
from livekit_auth import messages, passwords
from livekit_auth.config import load_settings, require_function_settings
from livekit_auth.errors import AccountLocked
from livekit_auth.lockout import HOLD_SECONDS, QUIET_WINDOW_SECONDS, LoginThrottle
from livekit_auth.storage import AuthStore
from tools.local.demo_data import DEMO, DEMO_PASSWORD

THRESHOLD = 5
T0 = 1_800_000_000.0


@pytest.fixture
def bcrypt_checks(monkeypatch) -> list[bytes]:
    """Every hash bcrypt checks a password against, in order."""
    checked: list[bytes] = []
    real_checkpw = bcrypt.checkpw

    def counting_checkpw(password: bytes, hashed: bytes) -> bool:
        checked.append(hashed)
        return real_checkpw(password, hashed)

    monkeypatch.setattr(passwords.bcrypt, "checkpw", counting_checkpw)
    return checked


@pytest.fixture
def clock(monkeypatch, function_env) -> list[float]:
    """The handler with a clock the test sets (clock[0]), so a 1 s lock cannot run out mid-test."""
    now = [T0]
    settings = require_function_settings(load_settings())
    service = app.build_service(settings, clock=lambda: now[0])
    monkeypatch.setattr(app, "configured", lambda: (settings, service))
    return now


@pytest.fixture
def throttle(store) -> LoginThrottle:
    return LoginThrottle(store, threshold=THRESHOLD, max_lock_seconds=900)


def fail(throttle: LoginThrottle, username: str, now: float) -> int:
    admission = throttle.admit(username, now)
    throttle.record_failure(username, admission, now)
    return admission.attempt_number


# ---- through the handler ----------------------------------------------------------------------------------


def test_the_sixth_attempt_after_five_failures_is_a_429_with_retry_after(log_in, clock, bcrypt_checks):
    for _ in range(THRESHOLD):
        assert log_in(DEMO.username, "wrong").status == 401
    locked = log_in(DEMO.username, DEMO_PASSWORD)
    assert (locked.status, locked.body) == (429, {"error": messages.TOO_MANY_ATTEMPTS})
    assert locked.headers["Retry-After"] == "1"
    assert locked.headers["Cache-Control"] == "no-store"
    assert len(bcrypt_checks) == THRESHOLD, "a locked account must not run bcrypt"
    clock[0] += 1
    assert log_in(DEMO.username, DEMO_PASSWORD).status == 200, "the lock runs out after its second"


def test_unknown_usernames_are_locked_exactly_like_real_ones(log_in, clock, bcrypt_checks):
    for _ in range(THRESHOLD):
        assert log_in("nobody@example.com", "wrong").status == 401
    locked = log_in("nobody@example.com", "wrong")
    assert locked.status == 429
    assert locked.body == {"error": messages.TOO_MANY_ATTEMPTS}
    assert len(bcrypt_checks) == THRESHOLD


def test_a_success_resets_the_count(log_in, store):
    for _ in range(THRESHOLD - 1):
        assert log_in(DEMO.username, "wrong").status == 401
    assert store.get_attempts(DEMO.username).attempts == THRESHOLD - 1
    assert log_in(DEMO.username).status == 200
    assert store.get_attempts(DEMO.username) is None
    for _ in range(THRESHOLD - 1):
        assert log_in(DEMO.username, "wrong").status == 401
    assert log_in(DEMO.username).status == 200


def test_the_lock_is_per_account(log_in, clock):
    for _ in range(THRESHOLD):
        log_in(DEMO.username, "wrong")
    assert log_in(DEMO.username).status == 429
    assert log_in("viewer@example.com").status == 200


def test_the_count_is_kept_under_the_normalized_username(log_in, store):
    log_in("  DEMO@example.com ", "wrong")
    log_in("demo@EXAMPLE.com", "wrong")
    assert store.get_attempts(DEMO.username).attempts == 2


# ---- the policy, with a controlled clock ---------------------------------------------------------------------


def test_locks_double_from_one_second_up_to_the_cap(throttle):
    assert [throttle.lock_seconds(n) for n in range(5, 16)] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900]
    assert throttle.lock_seconds(10_000) == 900


def test_each_failure_past_the_threshold_doubles_the_lock(throttle, store):
    now = T0
    for _ in range(THRESHOLD):
        fail(throttle, DEMO.username, now)
    for expected_lock in (1, 2, 4, 8):
        state = store.get_attempts(DEMO.username)
        assert state.locked_until == pytest.approx(now + expected_lock)
        with pytest.raises(AccountLocked) as locked:
            throttle.admit(DEMO.username, now + expected_lock - 0.5)
        assert locked.value.retry_after_seconds == 1
        now += expected_lock
        fail(throttle, DEMO.username, now)


def test_past_the_threshold_one_attempt_at_a_time_is_admitted(throttle, store):
    for _ in range(THRESHOLD):
        fail(throttle, DEMO.username, T0)
    admitted = throttle.admit(DEMO.username, T0 + 1)
    assert admitted.attempt_number == THRESHOLD + 1
    with pytest.raises(AccountLocked) as second:
        throttle.admit(DEMO.username, T0 + 1.1)
    assert second.value.retry_after_seconds == 1, "held, not locked: the check takes well under a second"
    assert store.get_attempts(DEMO.username).held_until == pytest.approx(T0 + 1 + HOLD_SECONDS)
    throttle.record_failure(DEMO.username, admitted, T0 + 1.2)
    state = store.get_attempts(DEMO.username)
    assert state.held_until is None
    assert state.locked_until == pytest.approx(T0 + 1.2 + 2)


def test_the_threshold_th_attempt_holds_but_does_not_lock_a_correct_password_for_long(throttle, store):
    for _ in range(THRESHOLD - 1):
        fail(throttle, DEMO.username, T0)
    in_flight = throttle.admit(DEMO.username, T0)
    assert in_flight.attempt_number == THRESHOLD
    with pytest.raises(AccountLocked) as meanwhile:
        throttle.admit(DEMO.username, T0 + 0.1)
    assert meanwhile.value.retry_after_seconds == 1
    throttle.record_success(DEMO.username)
    assert throttle.admit(DEMO.username, T0 + 0.2).attempt_number == 1


def test_a_failure_recorded_after_a_success_cleared_the_count_writes_nothing(throttle, store):
    for _ in range(THRESHOLD - 1):
        fail(throttle, DEMO.username, T0)
    late = throttle.admit(DEMO.username, T0)
    throttle.record_success(DEMO.username)
    throttle.record_failure(DEMO.username, late, T0)
    assert store.get_attempts(DEMO.username) is None


def test_a_count_left_quiet_for_the_window_is_forgotten(throttle, store):
    for _ in range(THRESHOLD - 1):
        fail(throttle, DEMO.username, T0)
    later = T0 + QUIET_WINDOW_SECONDS + 1
    assert throttle.admit(DEMO.username, later).attempt_number == 1
    assert store.get_attempts(DEMO.username).locked_until is None


def test_an_expired_lock_item_is_ignored_even_before_ttl_deletes_it(throttle):
    for _ in range(THRESHOLD + 3):
        try:
            fail(throttle, DEMO.username, T0)
        except AccountLocked:
            break
    far_later = T0 + 900 + QUIET_WINDOW_SECONDS + 10
    assert throttle.admit(DEMO.username, far_later).attempt_number == 1


def test_a_failing_user_read_does_not_turn_a_lock_into_a_500(log_in, clock, monkeypatch):
    for _ in range(THRESHOLD):
        log_in(DEMO.username, "wrong")

    def unavailable(self, username):
        raise ConnectionError("DynamoDB is unreachable")

    monkeypatch.setattr(AuthStore, "get_user", unavailable)
    assert log_in(DEMO.username).status == 429
