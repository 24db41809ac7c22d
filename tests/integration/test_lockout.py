"""Per-account lockout: counted before bcrypt, doubling locks, reset on success, same for unknown users."""

import pytest

from livekit_auth import messages
from livekit_auth.config import Settings
from livekit_auth.errors import AccountLocked
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.attempts import HOLD_SECONDS, QUIET_WINDOW_SECONDS, LoginThrottle
from livekit_authctl.storage.admin import AdminStore
from tests.support.clock import FakeClock
from tests.support.logins import lock_out
from tools.local.demo_data import DEMO

UNKNOWN = "nobody@example.com"


@pytest.fixture
def throttle(store: AdminStore, settings: Settings, dynamodb_client) -> LoginThrottle:
    return LoginThrottle(
        dynamodb_client,
        store.tables.attempts,
        threshold=settings.lockout_threshold,
        max_lock_seconds=settings.lockout_max_seconds,
    )


@pytest.fixture
def threshold(settings: Settings) -> int:
    return settings.lockout_threshold


def fail(throttle: LoginThrottle, username: str, now: float) -> int:
    admission = throttle.admit(username, now)
    throttle.record_failure(username, admission, now)
    return admission.attempt_number


def fail_times(throttle: LoginThrottle, times: int, clock: FakeClock) -> None:
    """`times` failures in a row for the demo user, at the clock's time."""
    for _ in range(times):
        fail(throttle, DEMO.username, clock())


# ---- through the handler ----------------------------------------------------------------------------------


def test_the_attempt_after_threshold_failures_is_a_429_with_retry_after(guess, good_login, handler_clock, threshold):
    # Given: as many wrong passwords as the threshold, each refused as wrong
    assert {answer.status for answer in lock_out(DEMO.username, threshold)} == {401}
    # When: the right password comes next
    locked = good_login(DEMO.username)
    # Then: the account is locked for a second
    assert (locked.status, locked.body) == (429, {"error": messages.TOO_MANY_ATTEMPTS})
    assert locked.headers["Retry-After"] == "1"
    assert locked.headers["Cache-Control"] == "no-store"


def test_a_locked_account_does_not_run_bcrypt(guess, good_login, handler_clock, bcrypt_checks, threshold):
    # Given: a locked account
    lock_out(DEMO.username, threshold)
    # When
    assert good_login(DEMO.username).status == 429
    # Then: bcrypt ran for the failures only
    assert bcrypt_checks.count == threshold, "a locked account must not run bcrypt"


def test_the_first_lock_runs_out_after_its_second(guess, good_login, handler_clock, threshold):
    # Given: a locked account
    lock_out(DEMO.username, threshold)
    assert good_login(DEMO.username).status == 429
    # When: its second has passed
    handler_clock.advance(1)
    # Then
    assert good_login(DEMO.username).status == 200, "the lock runs out after its second"


def test_unknown_usernames_are_locked_exactly_like_real_ones(guess, handler_clock, bcrypt_checks, threshold):
    # Given
    assert {answer.status for answer in lock_out(UNKNOWN, threshold)} == {401}
    # When
    locked = guess(UNKNOWN)
    # Then
    assert locked.status == 429
    assert locked.body == {"error": messages.TOO_MANY_ATTEMPTS}
    assert bcrypt_checks.count == threshold


def test_a_success_clears_the_count(guess, good_login, store, threshold):
    # Given: one failure short of the threshold
    for _ in range(threshold - 1):
        assert guess(DEMO.username).status == 401
    assert store.get_attempts(DEMO.username).attempts == threshold - 1
    # When
    assert good_login(DEMO.username).status == 200
    # Then
    assert store.get_attempts(DEMO.username) is None


def test_after_a_success_the_threshold_starts_again(guess, good_login, threshold):
    # Given: a success after one failure short of the threshold
    for _ in range(threshold - 1):
        guess(DEMO.username)
    assert good_login(DEMO.username).status == 200
    # When: as many failures again
    for _ in range(threshold - 1):
        assert guess(DEMO.username).status == 401
    # Then: still not locked
    assert good_login(DEMO.username).status == 200


def test_the_lock_is_per_account(guess, good_login, handler_clock, threshold):
    # Given: the demo user locked out
    lock_out(DEMO.username, threshold)
    assert good_login(DEMO.username).status == 429
    # When / Then: another account logs in
    assert good_login("viewer@example.com").status == 200


def test_the_count_is_kept_under_the_normalized_username(guess, store):
    # When: two failures under two spellings of one username
    guess("  DEMO@example.com ")
    guess("demo@EXAMPLE.com")
    # Then
    assert store.get_attempts(DEMO.username).attempts == 2


def test_a_failing_user_read_does_not_turn_a_lock_into_a_500(guess, good_login, handler_clock, monkeypatch, threshold):
    # Given: a locked account, and the users table unreachable
    lock_out(DEMO.username, threshold)

    def unavailable(self, username):
        raise ConnectionError("DynamoDB is unreachable")

    monkeypatch.setattr(AccountReader, "get_user", unavailable)  # the function's reader
    # When / Then
    assert good_login(DEMO.username).status == 429


# ---- the policy, with a controlled clock ---------------------------------------------------------------------


def test_locks_double_from_one_second_up_to_the_cap(throttle, threshold, settings):
    cap = settings.lockout_max_seconds
    doubling = [throttle.lock_seconds(n) for n in range(threshold, threshold + 11)]
    assert doubling == [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, cap]
    assert throttle.lock_seconds(10_000) == cap


def test_each_failure_past_the_threshold_doubles_the_lock(throttle, store, clock: FakeClock, threshold):
    # Given: the threshold of failures
    fail_times(throttle, threshold, clock)
    for expected_lock in (1, 2, 4, 8):
        # Then: locked for the expected time, refused half a second before it ends
        state = store.get_attempts(DEMO.username)
        assert state.locked_until == pytest.approx(clock() + expected_lock)
        with pytest.raises(AccountLocked) as locked:
            throttle.admit(DEMO.username, clock() + expected_lock - 0.5)
        assert locked.value.retry_after_seconds == 1
        # When: the lock runs out and the next attempt fails too
        clock.advance(expected_lock)
        fail(throttle, DEMO.username, clock())


def test_past_the_threshold_the_attempt_after_a_lock_is_admitted(throttle, clock: FakeClock, threshold):
    # Given: a lock that has run out
    fail_times(throttle, threshold, clock)
    # When
    admitted = throttle.admit(DEMO.username, clock.advance(1))
    # Then
    assert admitted.attempt_number == threshold + 1


def test_past_the_threshold_a_second_attempt_meanwhile_is_held(throttle, store, clock: FakeClock, threshold):
    # Given: an admitted attempt past the threshold, its check under way
    fail_times(throttle, threshold, clock)
    admitted_at = clock.advance(1)
    throttle.admit(DEMO.username, admitted_at)
    # When: another attempt arrives meanwhile
    with pytest.raises(AccountLocked) as second:
        throttle.admit(DEMO.username, clock.advance(0.1))
    # Then: it is refused for a second, and the hold is stored
    assert second.value.retry_after_seconds == 1, "held, not locked: the check takes well under a second"
    assert store.get_attempts(DEMO.username).held_until == pytest.approx(admitted_at + HOLD_SECONDS)


def test_past_the_threshold_a_recorded_failure_ends_the_hold_with_a_doubled_lock(
    throttle, store, clock: FakeClock, threshold
):
    # Given: an admitted attempt past the threshold, holding the account
    fail_times(throttle, threshold, clock)
    admitted = throttle.admit(DEMO.username, clock.advance(1))
    # When: it fails
    failed_at = clock.advance(0.2)
    throttle.record_failure(DEMO.username, admitted, failed_at)
    # Then
    state = store.get_attempts(DEMO.username)
    assert state.held_until is None
    assert state.locked_until == pytest.approx(failed_at + 2)


def test_the_threshold_th_attempt_holds_the_account_while_it_is_checked(throttle, clock: FakeClock, threshold):
    # Given: the threshold-th attempt admitted, its check under way
    fail_times(throttle, threshold - 1, clock)
    in_flight = throttle.admit(DEMO.username, clock())
    assert in_flight.attempt_number == threshold
    # When: another attempt arrives meanwhile
    with pytest.raises(AccountLocked) as meanwhile:
        throttle.admit(DEMO.username, clock.advance(0.1))
    # Then
    assert meanwhile.value.retry_after_seconds == 1


def test_the_threshold_th_attempt_does_not_lock_a_correct_password_for_long(throttle, clock: FakeClock, threshold):
    # Given: the threshold-th attempt admitted
    fail_times(throttle, threshold - 1, clock)
    throttle.admit(DEMO.username, clock())
    # When: its password was right
    throttle.record_success(DEMO.username)
    # Then: the next attempt is the first again
    assert throttle.admit(DEMO.username, clock.advance(0.2)).attempt_number == 1


def test_a_failure_recorded_after_a_success_cleared_the_count_writes_nothing(
    throttle, store, clock: FakeClock, threshold
):
    # Given: an attempt admitted, then a success clearing the count
    fail_times(throttle, threshold - 1, clock)
    late = throttle.admit(DEMO.username, clock())
    throttle.record_success(DEMO.username)
    # When: the admitted attempt's failure is recorded late
    throttle.record_failure(DEMO.username, late, clock())
    # Then
    assert store.get_attempts(DEMO.username) is None


def test_a_count_left_quiet_for_the_window_is_forgotten(throttle, store, clock: FakeClock, threshold):
    # Given
    fail_times(throttle, threshold - 1, clock)
    # When: nothing happens for the quiet window
    later = clock.advance(QUIET_WINDOW_SECONDS + 1)
    # Then
    assert throttle.admit(DEMO.username, later).attempt_number == 1
    assert store.get_attempts(DEMO.username).locked_until is None


def test_an_expired_lock_item_is_ignored_even_before_ttl_deletes_it(throttle, clock: FakeClock, settings, threshold):
    # Given: a locked account
    for _ in range(threshold + 3):
        try:
            fail(throttle, DEMO.username, clock())
        except AccountLocked:
            break
    # When: long after the longest lock and the quiet window
    far_later = clock.advance(settings.lockout_max_seconds + QUIET_WINDOW_SECONDS + 10)
    # Then
    assert throttle.admit(DEMO.username, far_later).attempt_number == 1
