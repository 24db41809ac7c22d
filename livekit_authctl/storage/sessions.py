"""What authctl does with sessions: list a user's, and revoke them all (IAM keeps the function out).

The session items are records.py's codec; the function's single-item calls are livekit_auth.storage.sessions.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from livekit_auth.config import TableNames
from livekit_auth.storage.dynamo import call, number, pages
from livekit_auth.storage.records import SessionRecord, session_from_item, session_key, username_key
from livekit_auth.storage.sessions import USER_INDEX


class SessionAdmin:
    """`client` is a low-level boto3 DynamoDB client."""

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
            Key=username_key(username),
            UpdateExpression="ADD session_generation :one",
            ConditionExpression="user_id = :user_id",
            ExpressionAttributeValues={":one": number(1), ":user_id": {"S": user_id}},
        )
        return self.forget_sessions(user_id)

    def forget_sessions(self, user_id: str) -> int:
        """Delete the user's session items once their generation is revoked; return how many there were."""
        deleted = 0
        for session in list(self.sessions_of(user_id)):
            call(self._db.delete_item, TableName=self._tables.sessions, Key=session_key(session.session_id))
            deleted += 1
        return deleted
