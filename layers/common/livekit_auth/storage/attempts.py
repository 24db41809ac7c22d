"""Per-account brute-force protection (OWASP ASVS 5.0 6.3.1; Cognito's lockout as the reference).

The rule and the condition expressions that enforce it live together here. Every attempt is counted
per normalized username *before* the password is checked, with a conditional write, so parallel
guesses cannot all slip through: at most `threshold` attempts reach bcrypt. The first
`threshold - 1` are counted freely; from the threshold-th on, one attempt at a time is admitted (the
account is *held* while its password is checked, as long as one bcrypt check takes, at most
HOLD_SECONDS) and only once the lock has run out. Each failure from the threshold-th on locks the
account, for 1 s, then 2 s, 4 s ... up to `max_lock_seconds`. A success clears the count. Unknown
usernames are counted alike, so the lock reveals nothing.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

from livekit_auth.errors import AccountLocked
from livekit_auth.storage.dynamo import ConditionFailed, Item, call, number
from livekit_auth.storage.records import AttemptState, attempt_state_from_item

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
    """The attempts table (`client` is a low-level boto3 DynamoDB client) and the rule it enforces."""

    def __init__(self, client: Any, table: str, *, threshold: int, max_lock_seconds: int) -> None:
        self._db = client
        self._table = table
        self.threshold = threshold
        self.max_lock_seconds = max_lock_seconds

    # ---- the rule ------------------------------------------------------------------------------

    def admit(self, username: str, now: float) -> Admission:
        """Count this attempt, or raise AccountLocked without counting it; at most two conditional writes."""
        expires_at = math.ceil(now) + QUIET_WINDOW_SECONDS
        try:
            return Admission(self._count_free_attempt(username, now=now, expires_at=expires_at))
        except ConditionFailed as failed:
            state = attempt_state_from_item(failed.item)
        if state is None or state.expires_at <= now:
            try:
                return Admission(self._restart_count(username, now=now, expires_at=expires_at))
            except ConditionFailed as failed:  # a parallel attempt restarted the count first: rare, retry soon
                raise AccountLocked(_retry_after(attempt_state_from_item(failed.item), now)) from None
        if _refusing(state, now):
            raise AccountLocked(_retry_after(state, now))
        try:
            admitted = self._count_held_attempt(
                username,
                seen_attempts=state.attempts,
                now=now,
                hold_until=now + HOLD_SECONDS,
                expires_at=expires_at + HOLD_SECONDS,
            )
        except ConditionFailed as failed:
            raise AccountLocked(_retry_after(attempt_state_from_item(failed.item), now)) from None
        return Admission(admitted)

    def record_failure(self, username: str, admission: Admission, now: float) -> None:
        """Lock the account once the threshold is reached; below it the count is already written."""
        if admission.attempt_number < self.threshold:
            return
        until = now + self.lock_seconds(admission.attempt_number)
        self._lock(username, until=until, expires_at=math.ceil(until) + QUIET_WINDOW_SECONDS)

    def record_success(self, username: str) -> None:
        call(self._db.delete_item, TableName=self._table, Key={"username": {"S": username}})

    def lock_seconds(self, attempt_number: int) -> int:
        """1 s after the threshold-th failure, doubling with each further one, up to the cap."""
        exponent = attempt_number - self.threshold
        if exponent >= 32:
            return self.max_lock_seconds
        return min(self.max_lock_seconds, 2**exponent)

    # ---- its condition expressions -------------------------------------------------------------

    def _count_free_attempt(self, username: str, *, now: float, expires_at: int) -> int:
        """Count one attempt while fewer than `threshold - 1` are counted; return the new count."""
        return self._update(
            username,
            update="SET attempts = if_not_exists(attempts, :zero) + :one, expires_at = :expires",
            condition="attribute_not_exists(attempts) OR (attempts < :free AND expires_at > :now)",
            values={
                ":zero": number(0),
                ":one": number(1),
                ":free": number(self.threshold - 1),
                ":now": number(now),
                ":expires": number(expires_at),
            },
        )

    def _restart_count(self, username: str, *, now: float, expires_at: int) -> int:
        """Start counting afresh over an expired item (TTL deletion is lazy)."""
        return self._update(
            username,
            update="SET attempts = :one, expires_at = :expires REMOVE locked_until, held_until",
            condition="expires_at <= :now",
            values={":one": number(1), ":now": number(now), ":expires": number(expires_at)},
        )

    def _count_held_attempt(
        self, username: str, *, seen_attempts: int, now: float, hold_until: float, expires_at: int
    ) -> int:
        """Past the free attempts: admit one attempt when neither locked nor held, and hold the account."""
        return self._update(
            username,
            update="SET attempts = attempts + :one, held_until = :hold, expires_at = :expires",
            condition=(
                "attempts = :seen"
                " AND (attribute_not_exists(locked_until) OR locked_until <= :now)"
                " AND (attribute_not_exists(held_until) OR held_until <= :now)"
            ),
            values={
                ":one": number(1),
                ":seen": number(seen_attempts),
                ":now": number(now),
                ":hold": number(hold_until),
                ":expires": number(expires_at),
            },
        )

    def _lock(self, username: str, *, until: float, expires_at: int) -> None:
        """Lock after a failed held attempt; a count a success has just cleared stays cleared."""
        with contextlib.suppress(ConditionFailed):
            call(
                self._db.update_item,
                TableName=self._table,
                Key={"username": {"S": username}},
                UpdateExpression="SET locked_until = :until, expires_at = :expires REMOVE held_until",
                ConditionExpression="attribute_exists(attempts)",
                ExpressionAttributeValues={":until": number(until), ":expires": number(expires_at)},
            )

    def _update(self, username: str, *, update: str, condition: str, values: Item) -> int:
        response = call(
            self._db.update_item,
            TableName=self._table,
            Key={"username": {"S": username}},
            UpdateExpression=update,
            ConditionExpression=condition,
            ExpressionAttributeValues=values,
            ReturnValues="UPDATED_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return int(response["Attributes"]["attempts"]["N"])


def _retry_after(state: AttemptState | None, now: float) -> int:
    """Seconds until the lock runs out; 1 while the account is only held by an attempt in flight."""
    if state is None or state.locked_until is None or state.locked_until <= now:
        return 1
    return max(1, math.ceil(state.locked_until - now))


def _refusing(state: AttemptState, now: float) -> bool:
    """Locked after a failure, or held by an attempt being checked."""
    return any(until is not None and until > now for until in (state.locked_until, state.held_until))
