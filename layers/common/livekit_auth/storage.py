"""DynamoDB access: the only module that knows the table layouts (see README, "Data model").

Users table      username (PK) -> user_id, password_hash, active
Channels table   pk, sk (single-table design)
    USER#<user_id>   PROFILE                the user's channel record: exists even with no channel
    USER#<user_id>   CHANNEL#<padded id>    a membership: channel name and grants; member_of = CHANNEL#<id>
    CATALOG          CHANNEL#<padded id>    a channel: its id and name
    index ByChannel  member_of (PK), pk (SK): the members of one channel, for renames
Attempts table   username (PK) -> attempts, locked_until, held_until, expires_at (TTL, also checked in code)
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from livekit_auth.config import TableNames
from livekit_auth.errors import (
    ChannelExists,
    MembersChanged,
    MissingTable,
    NotGranted,
    UnknownChannel,
    UnknownUser,
    UserExists,
)

PROFILE_SK = "PROFILE"
CATALOG_PK = "CATALOG"
MEMBERS_INDEX = "ByChannel"
MAX_CHANNEL_ID = 2**63 - 1
_CHANNEL_ID_DIGITS = len(str(MAX_CHANNEL_ID))
_TRANSACTION_LIMIT = 100

Item = dict[str, Any]


@dataclass(frozen=True)
class User:
    username: str
    user_id: str
    password_hash: str
    active: bool


@dataclass(frozen=True)
class Membership:
    channel_id: int
    name: str
    can_publish: bool = True
    can_subscribe: bool = True
    can_publish_data: bool = True


@dataclass(frozen=True)
class Channel:
    channel_id: int
    name: str


@dataclass(frozen=True)
class AttemptState:
    attempts: int
    locked_until: float | None  # refused until then after a failure past the threshold
    held_until: float | None  # an attempt past the threshold is being checked: others wait
    expires_at: float


class AttemptRefused(Exception):
    """A conditional attempt write did not apply; `state` is the item as it stood (None: no item)."""

    def __init__(self, state: AttemptState | None) -> None:
        super().__init__("attempt refused")
        self.state = state


def user_key(user_id: str) -> str:
    return f"USER#{user_id}"


def channel_sort_key(channel_id: int) -> str:
    return f"CHANNEL#{channel_id:0{_CHANNEL_ID_DIGITS}d}"


def channel_member_key(channel_id: int) -> str:
    return f"CHANNEL#{channel_id}"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class AuthStore:
    """The three tables behind one object; `client` is a low-level boto3 DynamoDB client."""

    def __init__(self, client: Any, tables: TableNames) -> None:
        self._db = client
        self.tables = tables

    # ---- login path ---------------------------------------------------------------------------

    def get_user(self, username: str) -> User | None:
        """One strongly consistent read: a changed password or a disabled account applies at once."""
        item = self._call(
            self._db.get_item,
            TableName=self.tables.users,
            Key={"username": {"S": username}},
            ConsistentRead=True,
        ).get("Item")
        return _user(item) if item else None

    def get_memberships(self, user_id: str) -> list[Membership] | None:
        """The user's channels, from one (paginated) Query; None when the user has no record at all."""
        found_profile = False
        memberships: list[Membership] = []
        for item in self._query(
            TableName=self.tables.channels,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": user_key(user_id)}},
        ):
            if item["sk"]["S"] == PROFILE_SK:
                found_profile = True
            else:
                memberships.append(_membership(item))
        if not found_profile and not memberships:
            return None
        return memberships

    # ---- failed-attempt counters (policy lives in lockout.py) ------------------------------------

    def claim_attempt(self, username: str, *, free_attempts: int, now: float, expires_at: int) -> int:
        """Count one attempt while fewer than `free_attempts` are counted; return the new count."""
        return self._attempt_update(
            username,
            update="SET attempts = if_not_exists(attempts, :zero) + :one, expires_at = :expires",
            condition="attribute_not_exists(attempts) OR (attempts < :free AND expires_at > :now)",
            values={
                ":zero": _n(0),
                ":one": _n(1),
                ":free": _n(free_attempts),
                ":now": _n(now),
                ":expires": _n(expires_at),
            },
        )

    def restart_attempts(self, username: str, *, now: float, expires_at: int) -> int:
        """Start counting afresh over an expired item (TTL deletion is lazy)."""
        return self._attempt_update(
            username,
            update="SET attempts = :one, expires_at = :expires REMOVE locked_until, held_until",
            condition="expires_at <= :now",
            values={":one": _n(1), ":now": _n(now), ":expires": _n(expires_at)},
        )

    def claim_held_attempt(
        self, username: str, *, seen_attempts: int, now: float, hold_until: float, expires_at: int
    ) -> int:
        """Past the free attempts: admit one attempt when neither locked nor held, and hold the account."""
        return self._attempt_update(
            username,
            update="SET attempts = attempts + :one, held_until = :hold, expires_at = :expires",
            condition=(
                "attempts = :seen"
                " AND (attribute_not_exists(locked_until) OR locked_until <= :now)"
                " AND (attribute_not_exists(held_until) OR held_until <= :now)"
            ),
            values={
                ":one": _n(1),
                ":seen": _n(seen_attempts),
                ":now": _n(now),
                ":hold": _n(hold_until),
                ":expires": _n(expires_at),
            },
        )

    def lock_attempts(self, username: str, *, until: float, expires_at: int) -> None:
        """Lock after a failed held attempt; a count a success has just cleared stays cleared."""
        try:
            self._call(
                self._db.update_item,
                TableName=self.tables.attempts,
                Key={"username": {"S": username}},
                UpdateExpression="SET locked_until = :until, expires_at = :expires REMOVE held_until",
                ConditionExpression="attribute_exists(attempts)",
                ExpressionAttributeValues={":until": _n(until), ":expires": _n(expires_at)},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise

    def clear_attempts(self, username: str) -> None:
        self._call(self._db.delete_item, TableName=self.tables.attempts, Key={"username": {"S": username}})

    def get_attempts(self, username: str) -> AttemptState | None:
        item = self._call(
            self._db.get_item, TableName=self.tables.attempts, Key={"username": {"S": username}}, ConsistentRead=True
        ).get("Item")
        return _attempt_state(item)

    def _attempt_update(self, username: str, *, update: str, condition: str, values: Item) -> int:
        try:
            response = self._call(
                self._db.update_item,
                TableName=self.tables.attempts,
                Key={"username": {"S": username}},
                UpdateExpression=update,
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
                ReturnValues="UPDATED_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            raise AttemptRefused(_attempt_state(error.response.get("Item"))) from None
        return int(response["Attributes"]["attempts"]["N"])

    # ---- administration (authctl) ---------------------------------------------------------------

    def create_user(self, username: str, password_hash: str, *, active: bool = True) -> str:
        """The user and their empty channel record, together or not at all."""
        user_id = str(uuid.uuid4())
        created = now_iso()
        try:
            self._call(
                self._db.transact_write_items,
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.tables.users,
                            "Item": {
                                "username": {"S": username},
                                "user_id": {"S": user_id},
                                "password_hash": {"S": password_hash},
                                "active": {"BOOL": active},
                                "created_at": {"S": created},
                                "updated_at": {"S": created},
                            },
                            "ConditionExpression": "attribute_not_exists(username)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.tables.channels,
                            "Item": {
                                "pk": {"S": user_key(user_id)},
                                "sk": {"S": PROFILE_SK},
                                "username": {"S": username},
                                "created_at": {"S": created},
                            },
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                ],
            )
        except ClientError as error:
            if _cancellation_codes(error)[:1] == ["ConditionalCheckFailed"]:
                raise UserExists(f"user {username} already exists") from None
            raise
        return user_id

    def delete_channel_record(self, user_id: str) -> None:
        """Remove a user's profile item: what legacy users imported without one look like (the guide's 404)."""
        self._call(
            self._db.delete_item,
            TableName=self.tables.channels,
            Key={"pk": {"S": user_key(user_id)}, "sk": {"S": PROFILE_SK}},
        )

    def set_active(self, username: str, active: bool) -> None:
        self._update_user(username, "SET active = :value, updated_at = :now", {":value": {"BOOL": active}})

    def set_password_hash(self, username: str, password_hash: str) -> None:
        self._update_user(username, "SET password_hash = :value, updated_at = :now", {":value": {"S": password_hash}})

    def require_user(self, username: str) -> User:
        user = self.get_user(username)
        if user is None:
            raise UnknownUser(f"no user {username}")
        return user

    def list_users(self) -> Iterator[User]:
        for item in self._scan(TableName=self.tables.users):
            yield _user(item)

    def add_channel(self, channel_id: int, name: str) -> None:
        try:
            self._call(
                self._db.put_item,
                TableName=self.tables.channels,
                Item={
                    "pk": {"S": CATALOG_PK},
                    "sk": {"S": channel_sort_key(channel_id)},
                    "channel_id": _n(channel_id),
                    "channel_name": {"S": name},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise ChannelExists(f"channel {channel_id} already exists") from None
            raise

    def get_channel(self, channel_id: int) -> Channel | None:
        item = self._call(
            self._db.get_item,
            TableName=self.tables.channels,
            Key={"pk": {"S": CATALOG_PK}, "sk": {"S": channel_sort_key(channel_id)}},
            ConsistentRead=True,
        ).get("Item")
        return _channel(item) if item else None

    def list_channels(self) -> list[Channel]:
        items = self._query(
            TableName=self.tables.channels,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": CATALOG_PK}},
        )
        return [_channel(item) for item in items]

    def channel_members(self, channel_id: int) -> list[str]:
        """User ids of the channel's members, via the ByChannel index."""
        items = self._query(
            TableName=self.tables.channels,
            IndexName=MEMBERS_INDEX,
            KeyConditionExpression="member_of = :channel",
            ExpressionAttributeValues={":channel": {"S": channel_member_key(channel_id)}},
        )
        return [item["pk"]["S"].removeprefix("USER#") for item in items]

    def rename_channel(self, channel_id: int, name: str) -> int:
        """Rename the channel and every membership that shows its name; return how many memberships.

        Up to 99 members change in the catalog's own transaction; larger channels continue in
        further transactions. Running the rename again completes an interrupted one.
        """
        member_ids = self.channel_members(channel_id)
        writes = [
            {
                "Update": {
                    "TableName": self.tables.channels,
                    "Key": {"pk": {"S": CATALOG_PK}, "sk": {"S": channel_sort_key(channel_id)}},
                    "UpdateExpression": "SET channel_name = :name",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":name": {"S": name}},
                }
            }
        ]
        writes += [
            {
                "Update": {
                    "TableName": self.tables.channels,
                    "Key": {"pk": {"S": user_key(user_id)}, "sk": {"S": channel_sort_key(channel_id)}},
                    "UpdateExpression": "SET channel_name = :name",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":name": {"S": name}},
                }
            }
            for user_id in member_ids
        ]
        for start in range(0, len(writes), _TRANSACTION_LIMIT):
            try:
                self._call(self._db.transact_write_items, TransactItems=writes[start : start + _TRANSACTION_LIMIT])
            except ClientError as error:
                codes = _cancellation_codes(error)
                if start == 0 and codes[:1] == ["ConditionalCheckFailed"]:
                    raise UnknownChannel(f"no channel {channel_id}") from None
                if "ConditionalCheckFailed" in codes:
                    raise MembersChanged(
                        f"channel {channel_id} lost a member during the rename: run it again"
                    ) from None
                raise
        return len(member_ids)

    def grant(self, user: User, channel: Channel, membership: Membership) -> None:
        """Add or update a membership, provided the channel and the user (same user_id) still exist."""
        try:
            self._call(
                self._db.transact_write_items,
                TransactItems=[
                    {
                        "ConditionCheck": {
                            "TableName": self.tables.channels,
                            "Key": {"pk": {"S": CATALOG_PK}, "sk": {"S": channel_sort_key(channel.channel_id)}},
                            "ConditionExpression": "attribute_exists(pk)",
                        }
                    },
                    {
                        "ConditionCheck": {
                            "TableName": self.tables.users,
                            "Key": {"username": {"S": user.username}},
                            "ConditionExpression": "user_id = :user_id",
                            "ExpressionAttributeValues": {":user_id": {"S": user.user_id}},
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.tables.channels,
                            "Item": {
                                "pk": {"S": user_key(user.user_id)},
                                "sk": {"S": channel_sort_key(channel.channel_id)},
                                "member_of": {"S": channel_member_key(channel.channel_id)},
                                "username": {"S": user.username},
                                "channel_id": _n(channel.channel_id),
                                "channel_name": {"S": channel.name},
                                "can_publish": {"BOOL": membership.can_publish},
                                "can_subscribe": {"BOOL": membership.can_subscribe},
                                "can_publish_data": {"BOOL": membership.can_publish_data},
                            },
                        }
                    },
                ],
            )
        except ClientError as error:
            codes = _cancellation_codes(error)
            if codes[:1] == ["ConditionalCheckFailed"]:
                raise UnknownChannel(f"no channel {channel.channel_id}") from None
            if codes[1:2] == ["ConditionalCheckFailed"]:
                raise UnknownUser(f"no user {user.username}") from None
            raise

    def revoke(self, user: User, channel_id: int) -> None:
        try:
            self._call(
                self._db.delete_item,
                TableName=self.tables.channels,
                Key={"pk": {"S": user_key(user.user_id)}, "sk": {"S": channel_sort_key(channel_id)}},
                ConditionExpression="attribute_exists(pk)",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise NotGranted(f"{user.username} has no grant on channel {channel_id}") from None
            raise

    # ---- plumbing ---------------------------------------------------------------------------------

    def _update_user(self, username: str, update: str, values: Item) -> None:
        try:
            self._call(
                self._db.update_item,
                TableName=self.tables.users,
                Key={"username": {"S": username}},
                UpdateExpression=update,
                ConditionExpression="attribute_exists(username)",
                ExpressionAttributeValues={**values, ":now": {"S": now_iso()}},
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise UnknownUser(f"no user {username}") from None
            raise

    def _query(self, **request: Any) -> Iterator[Item]:
        return self._pages(self._db.query, request)

    def _scan(self, **request: Any) -> Iterator[Item]:
        return self._pages(self._db.scan, request)

    def _pages(self, operation: Any, request: dict[str, Any]) -> Iterator[Item]:
        """Every item of a Query or Scan, following LastEvaluatedKey."""
        while True:
            page = self._call(operation, **request)
            yield from page.get("Items", [])
            if "LastEvaluatedKey" not in page:
                return
            request = {**request, "ExclusiveStartKey": page["LastEvaluatedKey"]}

    @staticmethod
    def _call(operation: Any, **request: Any) -> Any:
        try:
            return operation(**request)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ResourceNotFoundException":
                raise MissingTable(error.response["Error"].get("Message", "a table does not exist")) from None
            raise


def _cancellation_codes(error: ClientError) -> list[str]:
    """Why each item of a cancelled transaction failed ("None" where it did not), in request order."""
    if error.response["Error"]["Code"] != "TransactionCanceledException":
        return []
    return [reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])]


def _n(value: float) -> dict[str, str]:
    return {"N": format(value, ".3f").rstrip("0").rstrip(".") if isinstance(value, float) else str(value)}


def _user(item: Item) -> User:
    return User(
        username=item["username"]["S"],
        user_id=item["user_id"]["S"],
        password_hash=item["password_hash"]["S"],
        active=item.get("active", {"BOOL": True})["BOOL"],
    )


def _membership(item: Item) -> Membership:
    return Membership(
        channel_id=int(item["channel_id"]["N"]),
        name=item["channel_name"]["S"],
        can_publish=item.get("can_publish", {"BOOL": True})["BOOL"],
        can_subscribe=item.get("can_subscribe", {"BOOL": True})["BOOL"],
        can_publish_data=item.get("can_publish_data", {"BOOL": True})["BOOL"],
    )


def _channel(item: Item) -> Channel:
    return Channel(channel_id=int(item["channel_id"]["N"]), name=item["channel_name"]["S"])


def _attempt_state(item: Item | None) -> AttemptState | None:
    if not item or "attempts" not in item:
        return None
    locked, held = item.get("locked_until"), item.get("held_until")
    return AttemptState(
        attempts=int(item["attempts"]["N"]),
        locked_until=float(locked["N"]) if locked else None,
        held_until=float(held["N"]) if held else None,
        expires_at=float(item.get("expires_at", {"N": "0"})["N"]),
    )
