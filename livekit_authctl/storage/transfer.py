"""Bulk reads and writes for `authctl export` and `authctl import`: whole tables out, batches in.

Records here are the tables' content as an operator moves it between stacks: users (with their
channel record's existence), channels and grants. Sessions and attempt counters are not moved.
Writes go out as BatchWriteItem puts of up to 25 items, retried with backoff while DynamoDB throttles
or leaves items unprocessed; reads of given keys as BatchGetItem of up to 100 keys.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from livekit_auth.config import TableNames
from livekit_auth.storage import dynamo, records
from livekit_auth.storage.dynamo import Item
from livekit_auth.storage.records import Channel, Membership, channel_from_item

BATCH_WRITE_LIMIT = 25  # items in one BatchWriteItem
BATCH_GET_LIMIT = 100  # keys in one BatchGetItem
MAX_BATCH_ATTEMPTS = 8  # per batch, counting the first; backoff doubles from BACKOFF_SECONDS
BACKOFF_SECONDS = 0.05
THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"}
)
sleep: Callable[[float], None] = time.sleep  # tests replace it


class BatchNotDone(Exception):
    """A batch still had unprocessed items after every retry; running the import again completes it."""


@dataclass(frozen=True)
class UserRecord:
    username: str
    user_id: str
    password_hash: str
    active: bool = True
    display_name: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    channel_record: bool = True  # the user's PROFILE item exists (without it, logins get the guide's 404)
    password_changed_at: str | None = None  # records.user_item: an import older than this keeps the hash here
    source_id: str | None = None  # records.user_item: "django:<pk>", the source row that may update this user


@dataclass(frozen=True)
class GrantRecord:
    """A user's membership as a transfer moves it: the flags travel; the channel's name is the catalog's."""

    username: str
    membership: Membership  # from a file, `name` is "" until the import finds the channel's name

    @property
    def channel_id(self) -> int:
        return self.membership.channel_id


@dataclass
class Snapshot:
    users: list[UserRecord]
    channels: list[Channel]
    grants: list[GrantRecord]
    orphans: int  # channel-table items of no user in the users table (not exported)


@dataclass(frozen=True)
class UserUpdate:
    """A change to an existing user, written only if the item is still as the import read it."""

    where: str  # the row, for its error
    username: str
    user_id: str
    read: Item  # the item as read: its version (VERSION_ATTRIBUTES)
    sets: Item  # attribute -> new value
    removes: tuple[str, ...] = ()
    ends_sessions: bool = False  # the hash or `active` changed: session_generation + 1, lockout counters cleared


# What the import's UpdateItem requires unchanged since it read the user: every attribute a concurrent
# `user passwd`, `disable`/`enable`, `logout`, `rename` or the login's hash upgrade changes.
VERSION_ATTRIBUTES = ("user_id", "password_hash", "active", "updated_at", "session_generation", "password_changed_at")


@dataclass(frozen=True)
class Put:
    """One item to write, to the users or the channels table."""

    table: str
    item: Item


class TransferStore:
    """Whole tables out, batches in. `client` is a low-level boto3 DynamoDB client."""

    def __init__(self, client: Any, tables: TableNames) -> None:
        self._db = client
        self.tables = tables

    # ---- export ---------------------------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """Every user, channel and grant, from one Scan of each table (sorted, so exports diff cleanly)."""
        user_items = list(dynamo.pages(self._db.scan, TableName=self.tables.users, ConsistentRead=True))
        usernames = {item["user_id"]["S"]: item["username"]["S"] for item in user_items}
        profiles: set[str] = set()
        channels: list[Channel] = []
        grants: list[GrantRecord] = []
        orphans = 0
        for item in dynamo.pages(self._db.scan, TableName=self.tables.channels, ConsistentRead=True):
            pk, sk = item["pk"]["S"], item["sk"]["S"]
            if pk == dynamo.CATALOG_PK:
                channels.append(channel_from_item(item))
                continue
            user_id = pk.removeprefix("USER#")
            if user_id not in usernames:
                orphans += 1
            elif sk == dynamo.PROFILE_SK:
                profiles.add(user_id)
            else:
                grants.append(grant_from_item(usernames[user_id], item))
        users = [user_from_item(item, channel_record=item["user_id"]["S"] in profiles) for item in user_items]
        return Snapshot(
            sorted(users, key=lambda user: user.username),
            sorted(channels, key=lambda channel: channel.channel_id),
            sorted(grants, key=lambda grant: (grant.username, grant.channel_id)),
            orphans,
        )

    # ---- import: what is there --------------------------------------------------------------------------

    def user_items(self, usernames: Iterable[str]) -> dict[str, Item]:
        keys = [records.username_key(username) for username in usernames]
        return {item["username"]["S"]: item for item in self._batch_get(self.tables.users, keys)}

    def usernames_by_user_id(self) -> dict[str, str]:
        """{user_id: username} of every user (one projected Scan): the users table has no user_id index."""
        items = dynamo.pages(
            self._db.scan, TableName=self.tables.users, ProjectionExpression="username, user_id", ConsistentRead=True
        )
        return {item["user_id"]["S"]: item["username"]["S"] for item in items}

    def channel_items(self, keys: Iterable[Item]) -> dict[tuple[str, str], Item]:
        """Items of the channels table by pair(key): profiles, catalog entries and memberships."""
        return {pair(item): item for item in self._batch_get(self.tables.channels, list(keys))}

    def _batch_get(self, table: str, keys: list[Item]) -> Iterator[Item]:
        for start in range(0, len(keys), BATCH_GET_LIMIT):
            pending: list[Item] = keys[start : start + BATCH_GET_LIMIT]
            for attempt in range(MAX_BATCH_ATTEMPTS):
                response = self._retrying(
                    self._db.batch_get_item,
                    attempt,
                    RequestItems={table: {"Keys": pending, "ConsistentRead": True}},
                )
                if response is None:
                    continue
                yield from response.get("Responses", {}).get(table, [])
                pending = response.get("UnprocessedKeys", {}).get(table, {}).get("Keys", [])
                if not pending:
                    break
                _back_off(attempt)
            else:
                raise BatchNotDone(f"{len(pending)} key(s) of {table} still unread after {MAX_BATCH_ATTEMPTS} tries")

    # ---- import: writes ---------------------------------------------------------------------------------

    def write(self, puts: list[Put], progress: Callable[[int], None] = lambda written: None) -> None:
        """Put every item, in order, BATCH_WRITE_LIMIT at a time (one table per batch); report each batch."""
        for start in range(0, len(puts), BATCH_WRITE_LIMIT):
            batch = puts[start : start + BATCH_WRITE_LIMIT]
            by_table: dict[str, list[Item]] = {}
            for put in batch:
                by_table.setdefault(put.table, []).append({"PutRequest": {"Item": put.item}})
            self._batch_write(by_table)
            progress(len(batch))

    def update_user(self, update: UserUpdate) -> bool:
        """Apply `update` if the user is still as read (False when not: a concurrent change won); when it ends
        the sessions, in one transaction with the lockout counters' deletion, as `user passwd` does."""
        names = {f"#a{n}": name for n, name in enumerate(VERSION_ATTRIBUTES)}
        values: Item = {f":v{n}": update.read[name] for n, name in enumerate(VERSION_ATTRIBUTES) if name in update.read}
        condition = " AND ".join(
            f"#a{n} = :v{n}" if name in update.read else f"attribute_not_exists(#a{n})"
            for n, name in enumerate(VERSION_ATTRIBUTES)
        )
        sets = [f"#s{n} = :s{n}" for n in range(len(update.sets))]
        names |= {f"#s{n}": name for n, name in enumerate(update.sets)}
        values |= {f":s{n}": value for n, value in enumerate(update.sets.values())}
        expression = "SET " + ", ".join(sets)
        if update.removes:
            names |= {f"#r{n}": name for n, name in enumerate(update.removes)}
            expression += " REMOVE " + ", ".join(f"#r{n}" for n in range(len(update.removes)))
        if update.ends_sessions:
            expression += " ADD #generation :one"
            names["#generation"], values[":one"] = "session_generation", dynamo.number(1)
        write = {
            "TableName": self.tables.users,
            "Key": records.username_key(update.username),
            "UpdateExpression": expression,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
        }
        failures = {"TableName": self.tables.attempts, "Key": records.username_key(update.username)}
        try:
            if update.ends_sessions:
                dynamo.call(self._db.transact_write_items, TransactItems=[{"Update": write}, {"Delete": failures}])
            else:
                dynamo.call(self._db.update_item, **write)
        except dynamo.ConditionFailed:
            return False
        return True

    def _batch_write(self, requests: dict[str, list[Item]]) -> None:
        pending = requests
        for attempt in range(MAX_BATCH_ATTEMPTS):
            response = self._retrying(self._db.batch_write_item, attempt, RequestItems=pending)
            if response is None:
                continue
            pending = response.get("UnprocessedItems") or {}
            if not pending:
                return
            _back_off(attempt)
        left = sum(len(items) for items in pending.values())
        raise BatchNotDone(f"{left} item(s) still unwritten after {MAX_BATCH_ATTEMPTS} tries")

    def _retrying(self, operation: Callable[..., Item], attempt: int, **request: object) -> Item | None:
        """One batch call; None (after a backoff) when DynamoDB throttled it and tries remain."""
        try:
            return dynamo.call(operation, **request)
        except ClientError as error:
            if error.response["Error"]["Code"] not in THROTTLING_CODES or attempt == MAX_BATCH_ATTEMPTS - 1:
                raise
        _back_off(attempt)
        return None


def _back_off(attempt: int) -> None:
    """Full jitter: a random wait up to BACKOFF_SECONDS * 2**attempt."""
    sleep(random.uniform(0, BACKOFF_SECONDS * 2**attempt))  # noqa: S311 - jitter, not a secret


# ---- the items: records.py's codecs, with what only a transfer carries ------------------------------------


def user_from_item(item: Item, *, channel_record: bool) -> UserRecord:
    """The login's User (records.user_from_item: display_name and all) plus what only a transfer carries."""
    user = records.user_from_item(item)
    return UserRecord(
        username=user.username,
        user_id=user.user_id,
        password_hash=user.password_hash,
        active=user.active,
        display_name=user.display_name,
        created_at=records.optional_text(item, "created_at"),
        updated_at=records.optional_text(item, "updated_at"),
        channel_record=channel_record,
        password_changed_at=records.optional_text(item, records.PASSWORD_CHANGED_AT),
        source_id=records.optional_text(item, records.SOURCE_ID),
    )


def user_item(user: UserRecord, existing: Item | None = None) -> Item:
    """The users-table item for `user`, over `existing` so attributes this code does not know are kept."""
    kept = existing or {}
    created = user.created_at or dynamo.now_iso()
    login_user = records.User(user.username, user.user_id, user.password_hash, user.active, user.display_name)
    first_created = kept.get("created_at", {}).get("S") or created
    item = records.user_item(
        login_user,
        created_at=first_created,
        updated_at=user.updated_at or created,
        password_changed_at=user.password_changed_at,
        source_id=user.source_id,
    )
    return {**kept, **item}


def profile_item(user: UserRecord) -> Item:
    return records.profile_item(user.user_id, user.username, user.created_at or dynamo.now_iso())


def grant_from_item(username: str, item: Item) -> GrantRecord:
    return GrantRecord(username, records.membership_from_item(item))


def pair(key: Item) -> tuple[str, str]:
    """A channels-table key (records.profile_key, catalog_key, membership_key) as (pk, sk), to look items up by."""
    return key["pk"]["S"], key["sk"]["S"]
