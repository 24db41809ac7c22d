"""The sessions table: the only code that knows its layout (docs/design.md, "Sessions").

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

The function reads and writes single items (BatchGetItem, PutItem, UpdateItem, DeleteItem); the
ByUser Query and the revocation of all of a user's sessions are authctl's (SessionAdmin).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from livekit_auth.config import TableNames
from livekit_auth.storage.dynamo import ConditionFailed, Item, call, is_write_conflict, number, pages

SESSION_SK = "SESSION"
TOKEN_SK_PREFIX = "TOKEN#"  # noqa: S105 - a key prefix, not a secret
USER_INDEX = "ByUser"
MAX_BATCH_RETRIES = 3  # UnprocessedKeys only appear under throttling
MAX_CONFLICT_RETRIES = 3  # two tabs refreshing at once: their transactions on one session can collide


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    user_id: str
    username: str
    generation: int  # the user's session_generation when the session was opened
    device: str | None
    server_url: str | None  # the login's server_url; None: the deployment's default
    created_at: int
    last_used_at: int
    expires_at: int  # absolute; the same for every token of the session


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
            {"Put": self._put(_session_item(session), "attribute_not_exists(pk)")},
            {"Put": self._put(_token_item(session.session_id, token_hash, session), "attribute_not_exists(pk)")},
        )

    def get(self, session_id: str, token_hash: str) -> tuple[SessionRecord | None, TokenRecord | None]:
        """The session and the presented token's item, in one strongly consistent round trip."""
        keys = [_key(session_id, SESSION_SK), _key(session_id, TOKEN_SK_PREFIX + token_hash)]
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
                        "Key": _key(session.session_id, SESSION_SK),
                        "UpdateExpression": "SET last_used_at = :now",
                        "ConditionExpression": "attribute_exists(pk)",
                        "ExpressionAttributeValues": {":now": number(now)},
                    }
                },
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": _key(session.session_id, TOKEN_SK_PREFIX + old_hash),
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
                Key=_key(session_id, SESSION_SK),
                UpdateExpression="SET last_used_at = :now",
                ConditionExpression="attribute_exists(pk) AND last_used_at <= :due",
                ExpressionAttributeValues={":now": number(now), ":due": number(due_before)},
            )

    def delete(self, session_id: str) -> None:
        """End the session: its tokens no longer find it (their items expire through TTL)."""
        _retry_conflicts(lambda: call(self._db.delete_item, TableName=self._table, Key=_key(session_id, SESSION_SK)))

    def _db_transact(self, *items: Item) -> None:
        call(self._db.transact_write_items, TransactItems=list(items))

    def _db_transact_retrying(self, *items: Item) -> None:
        _retry_conflicts(lambda: self._db_transact(*items))

    def _put(self, item: Item, condition: str) -> Item:
        return {"TableName": self._table, "Item": item, "ConditionExpression": condition}


class SessionAdmin:
    """What authctl does with sessions: list a user's, and revoke them all (IAM keeps the function out)."""

    def __init__(self, client: Any, tables: TableNames) -> None:
        self._db = client
        self._tables = tables

    def sessions_of(self, user_id: str) -> Iterator[SessionRecord]:
        """Every session item of the user, oldest first (the index is eventually consistent)."""
        for item in pages(
            self._db.query,
            TableName=self._tables.sessions,
            IndexName=USER_INDEX,
            KeyConditionExpression="user_id = :user_id",
            ExpressionAttributeValues={":user_id": {"S": user_id}},
        ):
            yield session_from_item(item)

    def revoke_all(self, username: str, user_id: str) -> int:
        """Revoke every session of the user; return how many session items were deleted.

        First the user's session_generation goes up: one conditional write on the item every token
        request reads anyway, so every session opened before it is refused at once, including one being
        opened right now or one the index does not show yet. Then the session items are deleted, so
        listings and storage forget them.
        """
        call(
            self._db.update_item,
            TableName=self._tables.users,
            Key={"username": {"S": username}},
            UpdateExpression="ADD session_generation :one",
            ConditionExpression="user_id = :user_id",
            ExpressionAttributeValues={":one": number(1), ":user_id": {"S": user_id}},
        )
        return self.forget_sessions(user_id)

    def forget_sessions(self, user_id: str) -> int:
        """Delete the user's session items once their generation is revoked; return how many there were."""
        deleted = 0
        for session in list(self.sessions_of(user_id)):
            call(self._db.delete_item, TableName=self._tables.sessions, Key=_key(session.session_id, SESSION_SK))
            deleted += 1
        return deleted


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


def session_from_item(item: Item) -> SessionRecord:
    return SessionRecord(
        session_id=item["pk"]["S"],
        user_id=item["user_id"]["S"],
        username=item["username"]["S"],
        generation=int(item.get("generation", {"N": "0"})["N"]),
        device=item["device"]["S"] if "device" in item else None,
        server_url=item["server_url"]["S"] if "server_url" in item else None,
        created_at=int(item["created_at"]["N"]),
        last_used_at=int(item["last_used_at"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def _session_item(session: SessionRecord) -> Item:
    item = {
        **_key(session.session_id, SESSION_SK),
        "user_id": {"S": session.user_id},
        "username": {"S": session.username},
        "generation": number(session.generation),
        "created_at": number(session.created_at),
        "last_used_at": number(session.last_used_at),
        "expires_at": number(session.expires_at),
    }
    if session.device:
        item["device"] = {"S": session.device}
    if session.server_url:
        item["server_url"] = {"S": session.server_url}
    return item


def _token_item(session_id: str, token_hash: str, session: SessionRecord, created_at: int | None = None) -> Item:
    return {
        **_key(session_id, TOKEN_SK_PREFIX + token_hash),
        "created_at": number(session.created_at if created_at is None else created_at),
        "expires_at": number(session.expires_at),
    }


def _key(session_id: str, sort_key: str) -> Item:
    return {"pk": {"S": session_id}, "sk": {"S": sort_key}}


def _token_from_item(item: Item) -> TokenRecord:
    return TokenRecord(
        rotated_at=int(item["rotated_at"]["N"]) if "rotated_at" in item else None,
        successor_hash=item["successor"]["S"] if "successor" in item else None,
        successor_sealed=item["successor_sealed"]["S"] if "successor_sealed" in item else None,
    )
