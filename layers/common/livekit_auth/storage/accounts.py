"""The login's reads: the user by username, then their channel record. Nothing here writes."""

from __future__ import annotations

from typing import Any

from livekit_auth.config import TableNames
from livekit_auth.storage.dynamo import PROFILE_SK, call, pages, user_key
from livekit_auth.storage.records import Membership, User, membership_from_item, user_from_item, username_key


class AccountReader:
    """`client` is a low-level boto3 DynamoDB client."""

    def __init__(self, client: Any, tables: TableNames) -> None:
        self._db = client
        self.tables = tables

    @property
    def client(self) -> Any:
        """The DynamoDB client, for the stores of other tables that work beside this one (sessions)."""
        return self._db

    def get_user(self, username: str) -> User | None:
        """One strongly consistent read: a changed password or a disabled account applies at once."""
        item = call(
            self._db.get_item, TableName=self.tables.users, Key=username_key(username), ConsistentRead=True
        ).get("Item")
        return user_from_item(item) if item else None

    def get_memberships(self, user_id: str) -> list[Membership] | None:
        """The user's channels, from one (paginated) Query; None when the user has no record at all."""
        return self.get_channel_record(user_id)[1]

    def get_channel_record(self, user_id: str) -> tuple[str | None, list[Membership] | None]:
        """The username the user's channel record names (None without one) and their channels (as
        get_memberships), from the same one Query: how a LiveKit identity (the user id) finds its account."""
        username: str | None = None
        found_profile = False
        memberships: list[Membership] = []
        for item in pages(
            self._db.query,
            TableName=self.tables.channels,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": user_key(user_id)}},
        ):
            username = username or item.get("username", {}).get("S")
            if item["sk"]["S"] == PROFILE_SK:
                found_profile = True
            else:
                memberships.append(membership_from_item(item))
        if not found_profile and not memberships:
            return username, None
        return username, memberships
