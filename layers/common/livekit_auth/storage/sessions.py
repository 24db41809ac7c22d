"""The sessions table as the function uses it (docs/design.md, "Sessions").

Sessions table   pk (session id), sk
    <session id>   SESSION           the session: user_id, username, generation, device?, server_url?,
                                     created_at, last_used_at, expires_at (TTL, also checked in code)
    <session id>   TOKEN#<sha256>    one token issued for it: created_at, expires_at (TTL); once a refresh
                                     replaced it: rotated_at, successor (the new token's sha256) and
                                     successor_sealed (the new token's secret, sealed under this token:
                                     sessions.seal_successor), so a replay gets the same successor
    index ByUser   user_id (PK), created_at (SK): a user's sessions, for authctl; only SESSION items
                   carry user_id, so tokens stay out of it

The session id travels inside the token (`<session id>.<secret>`), so one BatchGetItem reads the
session and the presented token's item together. Only the token's hash is stored.

The function reads and writes single items (BatchGetItem, PutItem, UpdateItem, DeleteItem), and queries
ByUser for one device's sessions (the LiveKit webhook's check); listing a user's sessions and revoking them
all are authctl's (livekit_authctl.storage.sessions).
The session item's codec is records.py's; the token item's, which only the function writes, is here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from livekit_auth.storage.dynamo import ConditionFailed, Item, call, is_write_conflict, number, pages
from livekit_auth.storage.records import SESSION_SK, SessionRecord, session_from_item, session_item, session_key

USER_INDEX = "ByUser"  # the sessions table's index of a user's sessions (template.yaml)
TOKEN_SK_PREFIX = "TOKEN#"  # noqa: S105 - a key prefix, not a secret
MAX_BATCH_RETRIES = 3  # UnprocessedKeys only appear under throttling
MAX_CONFLICT_RETRIES = 3  # two tabs refreshing at once: their transactions on one session can collide


@dataclass(frozen=True)
class TokenRecord:
    rotated_at: int | None = None  # when a refresh replaced it; it works for a grace window after that
    successor_hash: str | None = None  # the token that refresh issued: its hash ...
    successor_sealed: str | None = None  # ... and its secret, which only this token opens


class SessionStore:
    """The function's view of the sessions table. `client` is a low-level boto3 DynamoDB client."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def create(self, session: SessionRecord, token_hash: str) -> None:
        """The session and its first token, together or not at all."""
        self._db_transact(
            {"Put": self._put(session_item(session), "attribute_not_exists(pk)")},
            {"Put": self._put(_token_item(session.session_id, token_hash, session), "attribute_not_exists(pk)")},
        )

    def get(self, session_id: str, token_hash: str) -> tuple[SessionRecord | None, TokenRecord | None]:
        """The session and the presented token's item, in one strongly consistent round trip."""
        keys = [session_key(session_id), session_key(session_id, TOKEN_SK_PREFIX + token_hash)]
        items: list[Item] = []
        for _ in range(MAX_BATCH_RETRIES + 1):
            response = call(self._db.batch_get_item, RequestItems={self._table: {"Keys": keys, "ConsistentRead": True}})
            items += response.get("Responses", {}).get(self._table, [])
            keys = response.get("UnprocessedKeys", {}).get(self._table, {}).get("Keys", [])
            if not keys:
                break
        else:
            raise RuntimeError("DynamoDB left the session read unprocessed")
        session = next((item for item in items if item["sk"]["S"] == SESSION_SK), None)
        token = next((item for item in items if item["sk"]["S"] != SESSION_SK), None)
        return (session_from_item(session) if session else None, _token_from_item(token) if token else None)

    def rotate(self, session: SessionRecord, old_hash: str, new_hash: str, sealed: str, now: int) -> bool:
        """Issue a new token and mark the old one rotated, with its successor; False if the session or the old
        token is gone, or the old token was already rotated: a token has at most one successor, whatever
        runs at the same moment (the condition and the writes are one transaction)."""
        try:
            self._db_transact_retrying(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": session_key(session.session_id),
                        "UpdateExpression": "SET last_used_at = :now",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":now": number(now)},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": session_key(session.session_id, TOKEN_SK_PREFIX + old_hash),
                        "UpdateExpression": "SET rotated_at = :now, successor = :new, successor_sealed = :sealed",
                        "ConditionExpression": "attribute_exists(pk) AND attribute_not_exists(rotated_at)",
                        "ExpressionAttributeValues": {
                            ":now": number(now),
                            ":new": {"S": new_hash},
                            ":sealed": {"S": sealed},
                        },
                    }
                },
                {"Put": self._put(_token_item(session.session_id, new_hash, session, now), "attribute_not_exists(pk)")},
            )
        except ConditionFailed:
            return False
        return True

    def touch(self, session_id: str, now: int, due_before: int) -> None:
        """Record a use, unless another container already did since `due_before`, or the session is gone, or
        a refresh is writing the session right now (it records the use itself)."""
        with contextlib.suppress(ConditionFailed), _unless_conflict():
            call(
                self._db.update_item,
                TableName=self._table,
                Key=session_key(session_id),
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(pk) AND last_used_at <= :due",
                ExpressionAttributeValues={":now": number(now), ":due": number(due_before)},
            )

    def delete(self, session_id: str) -> None:
        """End the session: its tokens no longer find it (their items expire through TTL)."""
        _retry_conflicts(lambda: call(self._db.delete_item, TableName=self._table, Key=session_key(session_id)))

    def sessions_of_device(self, user_id: str, device: str) -> list[SessionRecord]:
        """The user's session items with this device (the ByUser index; a LiveKit webhook's check)."""
        return [
            session_from_item(item)
            for item in pages(
                self._db.query,
                TableName=self._table,
                IndexName=USER_INDEX,
                KeyConditionExpression="user_id = :user_id",
                FilterExpression="device = :device",
                ExpressionAttributeValues={":user_id": {"S": user_id}, ":device": {"S": device}},
            )
        ]

    def _db_transact(self, *items: Item) -> None:
        call(self._db.transact_write_items, TransactItems=list(items))

    def _db_transact_retrying(self, *items: Item) -> None:
        _retry_conflicts(lambda: self._db_transact(*items))

    def _put(self, item: Item, condition: str) -> Item:
        return {"TableName": self._table, "Item": item, "ConditionExpression": condition}


def _retry_conflicts(write: Callable[[], object]) -> None:
    """Run `write`, again (up to MAX_CONFLICT_RETRIES times) while a concurrent transaction held its items."""
    for attempt in range(MAX_CONFLICT_RETRIES + 1):
        try:
            write()
            return
        except ClientError as error:
            if not is_write_conflict(error) or attempt == MAX_CONFLICT_RETRIES:
                raise


@contextlib.contextmanager
def _unless_conflict() -> Iterator[None]:
    try:
        yield
    except ClientError as error:
        if not is_write_conflict(error):
            raise


# ---- item codecs ----------------------------------------------------------------------------------


def _token_item(session_id: str, token_hash: str, session: SessionRecord, created_at: int | None = None) -> Item:
    return {
        **session_key(session_id, TOKEN_SK_PREFIX + token_hash),
        "created_at": number(session.created_at if created_at is None else created_at),
        "expires_at": number(session.expires_at),
    }


def _token_from_item(item: Item) -> TokenRecord:
    return TokenRecord(
        rotated_at=int(item["rotated_at"]["N"]) if "rotated_at" in item else None,
        successor_hash=item["successor"]["S"] if "successor" in item else None,
        successor_sealed=item["successor_sealed"]["S"] if "successor_sealed" in item else None,
    )
