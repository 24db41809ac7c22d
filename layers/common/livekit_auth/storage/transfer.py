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

from botocore.exceptions import ClientError

from livekit_auth.storage import dynamo
from livekit_auth.storage.admin import AdminStore
from livekit_auth.storage.dynamo import Item, number
from livekit_auth.storage.records import Channel, Membership, channel_from_item, membership_from_item
from livekit_auth.storage.records import user_from_item as user_of_item

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
class Put:
    """One item to write, to the users or the channels table."""

    table: str
    item: Item


class TransferStore(AdminStore):
    @classmethod
    def of(cls, store: AdminStore) -> TransferStore:
        return cls(store._db, store.tables)

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
        keys = [{"username": {"S": username}} for username in usernames]
        return {item["username"]["S"]: item for item in self._batch_get(self.tables.users, keys)}

    def channel_items(self, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Item]:
        """Items of the channels table by (pk, sk): profiles, catalog entries and memberships."""
        requested = [{"pk": {"S": pk}, "sk": {"S": sk}} for pk, sk in keys]
        return {(item["pk"]["S"], item["sk"]["S"]): item for item in self._batch_get(self.tables.channels, requested)}

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


# ---- the items (the layouts AdminStore writes; tests/integration/test_transfer_items.py checks they agree) ----


def user_from_item(item: Item, *, channel_record: bool) -> UserRecord:
    """The login's User (records.user_from_item: display_name and all) plus what only a transfer carries."""
    user = user_of_item(item)
    return UserRecord(
        username=user.username,
        user_id=user.user_id,
        password_hash=user.password_hash,
        active=user.active,
        display_name=user.display_name,
        created_at=item.get("created_at", {}).get("S"),
        updated_at=item.get("updated_at", {}).get("S"),
        channel_record=channel_record,
    )


def user_item(user: UserRecord, existing: Item | None = None) -> Item:
    """The users-table item for `user`, over `existing` so attributes this code does not know are kept."""
    created = user.created_at or dynamo.now_iso()
    item = {
        **(existing or {}),
        "username": {"S": user.username},
        "user_id": {"S": user.user_id},
        "password_hash": {"S": user.password_hash},
        "active": {"BOOL": user.active},
        "created_at": {"S": (existing or {}).get("created_at", {}).get("S") or created},
        "updated_at": {"S": user.updated_at or created},
    }
    if user.display_name is not None:
        item["display_name"] = {"S": user.display_name}
    return item


def profile_key(user_id: str) -> tuple[str, str]:
    return dynamo.user_key(user_id), dynamo.PROFILE_SK


def profile_item(user: UserRecord) -> Item:
    return {
        "pk": {"S": dynamo.user_key(user.user_id)},
        "sk": {"S": dynamo.PROFILE_SK},
        "username": {"S": user.username},
        "created_at": {"S": user.created_at or dynamo.now_iso()},
    }


def catalog_key(channel_id: int) -> tuple[str, str]:
    return dynamo.CATALOG_PK, dynamo.channel_sort_key(channel_id)


def catalog_item(channel: Channel) -> Item:
    return {
        "pk": {"S": dynamo.CATALOG_PK},
        "sk": {"S": dynamo.channel_sort_key(channel.channel_id)},
        "channel_id": number(channel.channel_id),
        "channel_name": {"S": channel.name},
    }


def membership_key(user_id: str, channel_id: int) -> tuple[str, str]:
    return dynamo.user_key(user_id), dynamo.channel_sort_key(channel_id)


def membership_item(user_id: str, username: str, membership: Membership) -> Item:
    return {
        "pk": {"S": dynamo.user_key(user_id)},
        "sk": {"S": dynamo.channel_sort_key(membership.channel_id)},
        "member_of": {"S": dynamo.channel_member_key(membership.channel_id)},
        "username": {"S": username},
        "channel_id": number(membership.channel_id),
        "channel_name": {"S": membership.name},
        "can_publish": {"BOOL": membership.can_publish},
        "can_subscribe": {"BOOL": membership.can_subscribe},
        "can_publish_data": {"BOOL": membership.can_publish_data},
    }


def grant_from_item(username: str, item: Item) -> GrantRecord:
    return GrantRecord(username, membership_from_item(item))
