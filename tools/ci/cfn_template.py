"""template.yaml as the one source of truth: the local stack and the tests build their tables, the function's
environment and the gateway's answers from it, and the deploy rehearsal checks the stack against it."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from livekit_authctl.local_stack import TABLE_ENV  # logical id -> the variable naming the table
from tools import REPO_ROOT

TEMPLATE_PATH = REPO_ROOT / "template.yaml"


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads CloudFormation's short tags (!Ref, !Sub, !If ...) as plain values."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {f"Fn::{suffix}" if suffix != "Ref" else "Ref": value}


_CloudFormationLoader.add_multi_constructor("!", _any_tag)


@cache
def load_template(path: Path = TEMPLATE_PATH) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 - a SafeLoader subclass


@dataclass(frozen=True)
class TableSpec:
    logical_id: str
    env_var: str
    properties: dict[str, Any]

    def create_table_request(self, table_name: str) -> dict[str, Any]:
        """The CreateTable call matching the template's key schema, indexes, billing and encryption."""
        props = self.properties
        request: dict[str, Any] = {
            "TableName": table_name,
            "AttributeDefinitions": props["AttributeDefinitions"],
            "KeySchema": props["KeySchema"],
            "BillingMode": props.get("BillingMode", "PAY_PER_REQUEST"),
        }
        if "GlobalSecondaryIndexes" in props:
            request["GlobalSecondaryIndexes"] = props["GlobalSecondaryIndexes"]
        if props.get("SSESpecification", {}).get("SSEEnabled"):
            request["SSESpecification"] = {"Enabled": True}
        return request

    @property
    def ttl_attribute(self) -> str | None:
        ttl = self.properties.get("TimeToLiveSpecification", {})
        return ttl.get("AttributeName") if ttl.get("Enabled") else None

    @property
    def point_in_time_recovery(self) -> bool:
        return bool(self.properties.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled"))


def table_specs() -> list[TableSpec]:
    resources = load_template()["Resources"]
    return [
        TableSpec(logical_id, env_var, resources[logical_id]["Properties"]) for logical_id, env_var in TABLE_ENV.items()
    ]


def create_tables(client: Any, prefix: str) -> dict[str, str]:
    """Create every table of the template as `<prefix>-<LogicalId>`; return {ENV_VAR: table name}."""
    names = {}
    for spec in table_specs():
        name = f"{prefix}-{spec.logical_id}"
        client.create_table(**spec.create_table_request(name))
        if spec.ttl_attribute:
            client.update_time_to_live(
                TableName=name, TimeToLiveSpecification={"Enabled": True, "AttributeName": spec.ttl_attribute}
            )
        if spec.point_in_time_recovery:
            client.update_continuous_backups(
                TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
            )
        names[spec.env_var] = name
    return names


def api_routes() -> list[tuple[str, str, str]]:
    """(method, path, function logical id) for every Api event in the template."""
    routes = []
    for logical_id, resource in load_template()["Resources"].items():
        if resource.get("Type") != "AWS::Serverless::Function":
            continue
        for event in resource["Properties"].get("Events", {}).values():
            if event.get("Type") == "Api":
                routes.append((event["Properties"]["Method"].upper(), event["Properties"]["Path"], logical_id))
    return routes


# The condition under which the template points the function at a local emulator (sam local only): a deploy
# leaves its parameter empty, so what it guards takes its deployed branch or is absent.
LOCAL_CONDITION = "LocalInvoke"
_NO_VALUE = {"Ref": "AWS::NoValue"}


def _deployed(value: Any) -> Any:
    """`value` in a deploy: `!If [LocalInvoke, local, deployed]` is its deployed branch; anything else as is."""
    if isinstance(value, dict) and "Fn::If" in value and value["Fn::If"][0] == LOCAL_CONDITION:
        return value["Fn::If"][2]
    return value


def function_properties(logical_id: str = "AuthClientFunction") -> dict[str, Any]:
    """The function's properties as deployed (LOCAL_CONDITION false), with the template's Globals.Function under
    them (values may be intrinsics)."""
    template = load_template()
    properties = template.get("Globals", {}).get("Function", {}) | template["Resources"][logical_id]["Properties"]
    return {name: _deployed(value) for name, value in properties.items() if _deployed(value) != _NO_VALUE}


def function_environment(logical_id: str = "AuthClientFunction") -> dict[str, Any]:
    """The function's environment as deployed (values may be intrinsics): without the variables only
    LOCAL_CONDITION sets (local_only_variables())."""
    variables = function_properties(logical_id)["Environment"]["Variables"]
    return {name: _deployed(value) for name, value in variables.items() if _deployed(value) != _NO_VALUE}


def local_only_variables(logical_id: str = "AuthClientFunction") -> dict[str, Any]:
    """The variables the template gives the function only under LOCAL_CONDITION (sam local), with their local
    values (intrinsics)."""
    variables = load_template()["Resources"][logical_id]["Properties"]["Environment"]["Variables"]
    return {name: value["Fn::If"][1] for name, value in variables.items() if _deployed(value) == _NO_VALUE}


def resources_of_type(resource_type: str) -> list[str]:
    """Logical ids of the template's resources of one type (e.g. AWS::CloudWatch::Alarm), sorted."""
    return sorted(name for name, resource in load_template()["Resources"].items() if resource["Type"] == resource_type)


def parameter_defaults() -> dict[str, str]:
    return {name: str(p["Default"]) for name, p in load_template()["Parameters"].items() if "Default" in p}
