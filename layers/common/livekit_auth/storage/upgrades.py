"""The login's one write to the users table: a password hash replaced by its upgrade, if still the same.

The function's IAM allows exactly this UpdateItem (template.yaml, UpgradePasswordHashes): the
attributes it names and no returned values. The condition on the old hash lets a password change
that lands first (`authctl user passwd`) win.
"""

from __future__ import annotations

from typing import Any

from livekit_auth.storage.dynamo import ConditionFailed, call, now_iso
from livekit_auth.storage.records import username_key

# What the UpdateItem touches; template.yaml's dynamodb:Attributes condition lists the same names
# (tests/unit/test_password_upgrade_iam.py checks they agree).
UPGRADE_ATTRIBUTES = ("username", "password_hash", "updated_at")
_UPGRADE = {
    "UpdateExpression": "SET password_hash = :new, updated_at = :now",
    "ConditionExpression": "password_hash = :old",  # a change that landed first wins
}


class HashUpgrades:
    """`client` is a low-level boto3 DynamoDB client; `table` the users table."""

    def __init__(self, client: Any, table: str) -> None:
        self._db = client
        self._table = table

    def replace_hash(self, username: str, old_hash: str, new_hash: str) -> bool:
        """Store `new_hash` if the user's hash is still `old_hash`; False when it changed meanwhile."""
        values = {":new": {"S": new_hash}, ":old": {"S": old_hash}, ":now": {"S": now_iso()}}
        key = username_key(username)
        try:
            call(self._db.update_item, TableName=self._table, Key=key, ExpressionAttributeValues=values, **_UPGRADE)
        except ConditionFailed:
            return False
        return True
