"""The function's IAM for upgrade on login: exactly one UpdateItem on the users table, limited by condition keys.

Checked on the template as SAM expands it (samtranslator), and against the request the code sends.
"""

from __future__ import annotations

import re
from typing import Any

from livekit_auth.storage.upgrades import UPGRADE_ATTRIBUTES, HashUpgrades
from tests.support.expanded_template import resources_deployed


def expanded_role_statements() -> list[dict[str, Any]]:
    role = resources_deployed()["AuthClientFunctionRole"]
    return [
        statement for policy in role["Properties"]["Policies"] for statement in policy["PolicyDocument"]["Statement"]
    ]


def on_users_table(statement: dict[str, Any]) -> bool:
    target = statement.get("Resource", {})
    return isinstance(target, dict) and target.get("Fn::GetAtt") in ("UsersTable.Arn", ["UsersTable", "Arn"])


def actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_the_expanded_role_allows_exactly_one_conditional_update_on_the_users_table():
    # When
    on_users = [statement for statement in expanded_role_statements() if on_users_table(statement)]

    # Then: the login's read, and the upgrade's write limited to its attributes and no returned values
    assert sorted(action for statement in on_users for action in actions(statement)) == [
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
    ]
    (update,) = [statement for statement in on_users if actions(statement) == ["dynamodb:UpdateItem"]]
    condition = update["Condition"]
    assert sorted(condition["ForAllValues:StringEquals"]["dynamodb:Attributes"]) == sorted(UPGRADE_ATTRIBUTES)
    assert condition["StringEqualsIfExists"]["dynamodb:ReturnValues"] == "NONE"


class RecordingClient:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []

    def update_item(self, **request: Any) -> dict[str, Any]:
        self.requests.append(request)
        return {}


def test_the_upgrade_write_touches_only_the_attributes_iam_allows():
    # Given
    client = RecordingClient()

    # When
    replaced = HashUpgrades(client, "users").replace_hash("a@example.com", "old", "new")

    # Then
    assert replaced is True
    (request,) = client.requests
    named = set(re.findall(r"[a-z_]+(?= =)", request["UpdateExpression"] + " " + request["ConditionExpression"]))
    assert named | set(request["Key"]) <= set(UPGRADE_ATTRIBUTES)
    assert "ReturnValues" not in request
    assert request["ConditionExpression"] == "password_hash = :old"
