"""What authctl changes: users, channels, grants and lockout state.

The function's IAM role cannot make these calls; only operators (authctl) do. Every change that
touches two items is one transaction, so a refused change leaves nothing half-written. The items
are records.py's codecs, the ones the function reads through.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from livekit_auth.config import TableNames
from livekit_auth.errors import ChannelExists, MembersChanged, NotGranted, UnknownChannel, UnknownUser, UserExists
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.dynamo import CATALOG_PK, ConditionFailed, Item, call, channel_member_key, now_iso, pages
from livekit_auth.storage.records import (
    PASSWORD_CHANGED_AT,
    AttemptState,
    Channel,
    Membership,
    User,
    attempt_state_from_item,
    catalog_key,
    channel_from_item,
    channel_item,
    membership_item,
    membership_key,
    profile_item,
    profile_key,
    user_from_item,
    user_item,
    username_key,
)

MEMBERS_INDEX = "ByChannel"  # the channels table's index of a channel's members (template.yaml)
TRANSACTION_LIMIT = 100  # items in one TransactWriteItems


class AdminStore:
    """Users, channels and attempts as an operator sees them (sessions: SessionAdmin); reads, and every change.

    It reads users and memberships as the login does, through the function's AccountReader.
    `client` is a low-level boto3 DynamoDB client.
    """

    def __init__(self, client: Any, tables: TableNames) -> None:
        self._db = client
        self.tables = tables
        self._accounts = AccountReader(client, tables)

    @property
    def client(self) -> Any:
        return self._db

    def get_user(self, username: str) -> User | None:
        return self._accounts.get_user(username)

    def get_memberships(self, user_id: str) -> list[Membership] | None:
        return self._accounts.get_memberships(user_id)

    # ---- users -----------------------------------------------------------------------------------

    def create_user(
        self, username: str, password_hash: str, *, active: bool = True, display_name: str | None = None
    ) -> str:
        """The user and their empty channel record, together or not at all."""
        user_id = str(uuid.uuid4())
        created = now_iso()
        user = user_item(
            User(username, user_id, password_hash, active, display_name),
            created_at=created,
            updated_at=created,
            password_changed_at=now_iso(precise=True),
        )
        profile = profile_item(user_id, username, created)
        try:
            self._transact(
                {"Put": self._put(self.tables.users, user, "attribute_not_exists(username)")},
                {"Put": self._put(self.tables.channels, profile, "attribute_not_exists(pk)")},
            )
        except ConditionFailed as failed:
            if failed.failed_at(0):
                raise UserExists(f"user {username} already exists") from None
            raise
        return user_id

    def require_user(self, username: str) -> User:
        user = self.get_user(username)
        if user is None:
            raise UnknownUser(f"no user {username}")
        return user

    def list_users(self) -> Iterator[User]:
        for item in pages(self._db.scan, TableName=self.tables.users):
            yield user_from_item(item)

    def set_active(self, username: str, active: bool) -> None:
        self._update_user(username, "SET active = :value, updated_at = :now", {":value": {"BOOL": active}})

    def set_display_name(self, username: str, display_name: str | None) -> None:
        """Set the name tokens carry, or remove it (None) so they carry the username again."""
        if display_name:
            self._update_user(username, "SET display_name = :value, updated_at = :now", {":value": {"S": display_name}})
        else:
            self._update_user(username, "REMOVE display_name SET updated_at = :now", {})

    def change_password(self, username: str, password_hash: str) -> None:
        """The new hash, a lifted lockout and the user's sessions revoked (session_generation + 1) in one
        transaction: never a new password still locked out, a lockout lifted for the old password, or a
        session opened with the old password outliving it."""
        new_hash = {
            "TableName": self.tables.users,
            "Key": username_key(username),
            "UpdateExpression": f"SET password_hash = :value, updated_at = :now, {PASSWORD_CHANGED_AT} = :changed "
            "ADD session_generation :one",
            "ConditionExpression": "attribute_exists(username)",
            "ExpressionAttributeValues": {
                ":value": {"S": password_hash},
                ":now": {"S": now_iso()},
                ":changed": {"S": now_iso(precise=True)},
                ":one": {"N": "1"},
            },
        }
        forget_failures = {"TableName": self.tables.attempts, "Key": username_key(username)}
        try:
            self._transact({"Update": new_hash}, {"Delete": forget_failures})
        except ConditionFailed:
            raise UnknownUser(f"no user {username}") from None

    def delete_channel_record(self, user_id: str) -> None:
        """Remove a user's profile item: what legacy users imported without one look like (the guide's 404)."""
        call(self._db.delete_item, TableName=self.tables.channels, Key=profile_key(user_id))

    # ---- lockout state ----------------------------------------------------------------------------

    def get_attempts(self, username: str) -> AttemptState | None:
        item = call(
            self._db.get_item, TableName=self.tables.attempts, Key=username_key(username), ConsistentRead=True
        ).get("Item")
        return attempt_state_from_item(item)

    def clear_attempts(self, username: str) -> None:
        call(self._db.delete_item, TableName=self.tables.attempts, Key=username_key(username))

    # ---- channels ---------------------------------------------------------------------------------

    def add_channel(self, channel_id: int, name: str) -> None:
        item = channel_item(Channel(channel_id, name))
        try:
            call(self._db.put_item, **self._put(self.tables.channels, item, "attribute_not_exists(pk)"))
        except ConditionFailed:
            raise ChannelExists(f"channel {channel_id} already exists") from None

    def get_channel(self, channel_id: int) -> Channel | None:
        item = call(
            self._db.get_item,
            TableName=self.tables.channels,
            Key=catalog_key(channel_id),
            ConsistentRead=True,
        ).get("Item")
        return channel_from_item(item) if item else None

    def list_channels(self) -> list[Channel]:
        items = pages(
            self._db.query,
            TableName=self.tables.channels,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": CATALOG_PK}},
        )
        return [channel_from_item(item) for item in items]

    def channel_members(self, channel_id: int) -> list[str]:
        """User ids of the channel's members, via the ByChannel index."""
        items = pages(
            self._db.query,
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
        keys = [catalog_key(channel_id)] + [membership_key(user_id, channel_id) for user_id in member_ids]
        writes = [
            {
                "Update": {
                    "TableName": self.tables.channels,
                    "Key": key,
                    "UpdateExpression": "SET channel_name = :name",
                    "ConditionExpression": "attribute_exists(pk)",
                    "ExpressionAttributeValues": {":name": {"S": name}},
                }
            }
            for key in keys
        ]
        for start in range(0, len(writes), TRANSACTION_LIMIT):
            try:
                self._transact(*writes[start : start + TRANSACTION_LIMIT])
            except ConditionFailed as failed:
                if start == 0 and failed.failed_at(0):
                    raise UnknownChannel(f"no channel {channel_id}") from None
                raise MembersChanged(f"channel {channel_id} lost a member during the rename: run it again") from None
        return len(member_ids)

    # ---- grants -----------------------------------------------------------------------------------

    def grant(self, user: User, channel: Channel, membership: Membership) -> None:
        """Add or update a membership, provided the channel and the user (same user_id) still exist."""
        item = membership_item(user.user_id, user.username, membership)
        channel_exists = {
            "TableName": self.tables.channels,
            "Key": catalog_key(channel.channel_id),
            "ConditionExpression": "attribute_exists(pk)",
        }
        user_unchanged = {
            "TableName": self.tables.users,
            "Key": username_key(user.username),
            "ConditionExpression": "user_id = :user_id",
            "ExpressionAttributeValues": {":user_id": {"S": user.user_id}},
        }
        try:
            self._transact(
                {"ConditionCheck": channel_exists},
                {"ConditionCheck": user_unchanged},
                {"Put": {"TableName": self.tables.channels, "Item": item}},
            )
        except ConditionFailed as failed:
            if failed.failed_at(0):
                raise UnknownChannel(f"no channel {channel.channel_id}") from None
            raise UnknownUser(f"no user {user.username}") from None

    def revoke(self, user: User, channel_id: int) -> None:
        try:
            call(
                self._db.delete_item,
                TableName=self.tables.channels,
                Key=membership_key(user.user_id, channel_id),
                ConditionExpression="attribute_exists(pk)",
            )
        except ConditionFailed:
            raise NotGranted(f"{user.username} has no grant on channel {channel_id}") from None

    # ---- plumbing ---------------------------------------------------------------------------------

    def _update_user(self, username: str, update: str, values: Item) -> None:
        try:
            call(
                self._db.update_item,
                TableName=self.tables.users,
                Key=username_key(username),
                UpdateExpression=update,
                ConditionExpression="attribute_exists(username)",
                ExpressionAttributeValues={**values, ":now": {"S": now_iso()}},
            )
        except ConditionFailed:
            raise UnknownUser(f"no user {username}") from None

    def _transact(self, *items: Item) -> None:
        call(self._db.transact_write_items, TransactItems=list(items))

    @staticmethod
    def _put(table: str, item: Item, condition: str) -> Item:
        return {"TableName": table, "Item": item, "ConditionExpression": condition}
