"""Per-account brute-force protection (OWASP ASVS 5.0 6.3.1; Cognito's lockout as the reference).

Every attempt is counted per normalized username *before* the password is checked, with a
conditional write, so parallel guesses cannot all slip through: at most `threshold` attempts
reach bcrypt. The first `threshold - 1` are counted freely; from the threshold-th on, one attempt
at a time is admitted (the account is *held* while it is checked, a second or so) and only once
the lock has run out. Each failure from the threshold-th on locks the account, for 1 s, then 2 s,
4 s ... up to `max_lock_seconds`. A success clears the count. Unknown usernames are counted alike,
so the lock reveals nothing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from livekit_auth.errors import AccountLocked
from livekit_auth.storage import AttemptRefused, AttemptState, AuthStore

# While an attempt past the free ones is being checked the account is held, at most this long
# (longer than the function's timeout, so a crashed attempt cannot hold it forever).
HOLD_SECONDS = 30
# A count with no new attempt for this long (after any lock) is forgotten.
QUIET_WINDOW_SECONDS = 15 * 60


@dataclass(frozen=True)
class Admission:
    """An admitted attempt; its number decides the lock if it fails."""

    attempt_number: int


class LoginThrottle:
    def __init__(self, store: AuthStore, *, threshold: int, max_lock_seconds: int) -> None:
        self._store = store
        self.threshold = threshold
        self.max_lock_seconds = max_lock_seconds

    def admit(self, username: str, now: float) -> Admission:
        """Count this attempt, or raise AccountLocked without counting it; at most two conditional writes."""
        expires_at = math.ceil(now) + QUIET_WINDOW_SECONDS
        try:
            number = self._store.claim_attempt(
                username, free_attempts=self.threshold - 1, now=now, expires_at=expires_at
            )
            return Admission(number)
        except AttemptRefused as refused:
            state = refused.state
        if state is None or state.expires_at <= now:
            try:
                return Admission(self._store.restart_attempts(username, now=now, expires_at=expires_at))
            except AttemptRefused as refused:  # a parallel attempt restarted the count first: rare, retry soon
                raise AccountLocked(self._retry_after(refused.state, now)) from None
        if _refusing(state, now):
            raise AccountLocked(self._retry_after(state, now))
        try:
            number = self._store.claim_held_attempt(
                username,
                seen_attempts=state.attempts,
                now=now,
                hold_until=now + HOLD_SECONDS,
                expires_at=expires_at + HOLD_SECONDS,
            )
        except AttemptRefused as refused:
            raise AccountLocked(self._retry_after(refused.state, now)) from None
        return Admission(number)

    def record_failure(self, username: str, admission: Admission, now: float) -> None:
        """Lock the account once the threshold is reached; below it the count is already written."""
        if admission.attempt_number < self.threshold:
            return
        until = now + self.lock_seconds(admission.attempt_number)
        self._store.lock_attempts(username, until=until, expires_at=math.ceil(until) + QUIET_WINDOW_SECONDS)

    def record_success(self, username: str) -> None:
        self._store.clear_attempts(username)

    def lock_seconds(self, attempt_number: int) -> int:
        """1 s after the threshold-th failure, doubling with each further one, up to the cap."""
        exponent = attempt_number - self.threshold
        if exponent >= 32:
            return self.max_lock_seconds
        return min(self.max_lock_seconds, 2**exponent)

    @staticmethod
    def _retry_after(state: AttemptState | None, now: float) -> int:
        """Seconds until the lock runs out; 1 while the account is only held by an attempt in flight."""
        if state is None or state.locked_until is None or state.locked_until <= now:
            return 1
        return max(1, math.ceil(state.locked_until - now))


def _refusing(state: AttemptState, now: float) -> bool:
    """Locked after a failure, or held by an attempt being checked."""
    return any(until is not None and until > now for until in (state.locked_until, state.held_until))
