"""The function's IAM for upgrade on login: exactly one UpdateItem on the users table, limited by condition keys.

Checked on the template as SAM expands it (samtranslator), and against the request the code sends.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from samtranslator.translator.transform import transform

from livekit_auth.storage.upgrades import UPGRADE_ATTRIBUTES, HashUpgrades
from livekit_auth_tools.cfn_template import load_template


class NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def expanded_role_statements() -> list[dict[str, Any]]:
    template = copy.deepcopy(load_template())  # cached for every test; the transform changes what it gets
    for resource in template["Resources"].values():  # as `sam package` leaves them: code in S3
        for uri in ("CodeUri", "ContentUri"):
            if uri in resource.get("Properties", {}):
                resource["Properties"][uri] = "s3://artifacts/code.zip"
    parameters = {name: spec.get("Default", "wss://x.example") for name, spec in template["Parameters"].items()}
    expanded = transform(template, parameters, NoManagedPolicies())
    role = expanded["Resources"]["AuthClientFunctionRole"]
    return [
        statement for policy in role["Properties"]["Policies"] for statement in policy["PolicyDocument"]["Statement"]
    ]


def users_table(statement: dict[str, Any]) -> bool:
    target = statement.get("Resource", {})
    return isinstance(target, dict) and target.get("Fn::GetAtt") in ("UsersTable.Arn", ["UsersTable", "Arn"])


def actions(statement: dict[str, Any]) -> list[str]:
    return statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]


def test_the_expanded_role_allows_exactly_one_conditional_update_on_the_users_table():
    on_users = [statement for statement in expanded_role_statements() if users_table(statement)]
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
    client = RecordingClient()
    assert HashUpgrades(client, "users").replace_hash("a@example.com", "old", "new") is True
    (request,) = client.requests
    named = set(re.findall(r"[a-z_]+(?= =)", request["UpdateExpression"] + " " + request["ConditionExpression"]))
    assert named | set(request["Key"]) <= set(UPGRADE_ATTRIBUTES)
    assert "ReturnValues" not in request
    assert request["ConditionExpression"] == "password_hash = :old"
