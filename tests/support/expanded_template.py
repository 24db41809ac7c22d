"""template.yaml as CloudFormation receives it: expanded by the pinned samtranslator, as `sam deploy` has it done.

The SAM resources (function, layer, API) become plain CloudFormation here, so tests can see what is deployed
rather than what is written: stages, deployments, permissions. `resources_deployed` drops the resources whose
Condition is false for the given parameters, as CloudFormation would.
"""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from samtranslator.translator.transform import transform

from tools.ci.cfn_template import load_template, parameter_defaults

# What `sam package` puts in place of local code paths; the transform insists on S3 URIs.
_PACKAGED_CODE = {"CodeUri": "s3://artifacts/code.zip", "ContentUri": "s3://artifacts/layer.zip"}
REQUIRED_PARAMETERS = {"LiveKitServerUrl": "wss://livekit.example.com"}


class _InlinePoliciesOnly:
    """The template names no managed policy, so the transform needs no IAM lookup."""

    def load(self) -> dict[str, str]:
        return {}


def _packaged(template: dict[str, Any]) -> dict[str, Any]:
    packaged = copy.deepcopy(template)
    for resource in packaged["Resources"].values():
        properties = resource.get("Properties", {})
        for key, uri in _PACKAGED_CODE.items():
            if key in properties:
                properties[key] = uri
    return packaged


def parameters(**overrides: str) -> dict[str, str]:
    return parameter_defaults() | REQUIRED_PARAMETERS | overrides


@cache
def _expanded(frozen_parameters: tuple[tuple[str, str], ...]) -> dict[str, Any]:
    return transform(_packaged(load_template()), dict(frozen_parameters), _InlinePoliciesOnly())


def expanded(**overrides: str) -> dict[str, Any]:
    """The whole expanded template for the defaults (plus a server URL) and `overrides`; do not mutate it."""
    return _expanded(tuple(sorted(parameters(**overrides).items())))


def _condition(expression: Any, values: dict[str, str], conditions: dict[str, Any]) -> Any:
    """Evaluate the condition functions this template uses (Equals, Not, And, Or, Condition, Ref)."""
    if not isinstance(expression, dict):
        return expression
    ((function, argument),) = expression.items()
    if function == "Ref":
        return values[argument]
    if function == "Condition":
        return _condition(conditions[argument], values, conditions)
    evaluated = [_condition(item, values, conditions) for item in argument]
    if function == "Fn::Equals":
        return str(evaluated[0]) == str(evaluated[1])
    if function == "Fn::Not":
        return not evaluated[0]
    if function == "Fn::And":
        return all(evaluated)
    if function == "Fn::Or":
        return any(evaluated)
    raise ValueError(f"condition function {function} is not evaluated here")


def resources_deployed(**overrides: str) -> dict[str, dict[str, Any]]:
    """The expanded template's resources whose Condition holds for these parameters."""
    template = expanded(**overrides)
    values = parameters(**overrides)
    conditions = template.get("Conditions", {})
    return {
        logical_id: resource
        for logical_id, resource in template["Resources"].items()
        if "Condition" not in resource or _condition(conditions[resource["Condition"]], values, conditions)
    }


def of_type(resources: dict[str, dict[str, Any]], resource_type: str) -> dict[str, dict[str, Any]]:
    return {logical_id: r for logical_id, r in resources.items() if r["Type"] == resource_type}


def _resolved(value: Any, values: dict[str, str], conditions: dict[str, Any]) -> Any:
    """`value` with every Fn::If decided for these parameters; AWS::NoValue entries dropped, as CloudFormation does."""
    if isinstance(value, list):
        items = [_resolved(item, values, conditions) for item in value]
        return [item for item in items if item != _NO_VALUE]
    if not isinstance(value, dict):
        return value
    if set(value) == {"Fn::If"}:
        condition, when_true, when_false = value["Fn::If"]
        holds = _condition(conditions[condition], values, conditions)
        return _resolved(when_true if holds else when_false, values, conditions)
    items = {key: _resolved(item, values, conditions) for key, item in value.items()}
    return {key: item for key, item in items.items() if item != _NO_VALUE}


_NO_VALUE = {"Ref": "AWS::NoValue"}


def deployed_properties(logical_id: str, **overrides: str) -> dict[str, Any]:
    """One resource's properties in the expanded template, with its conditions decided for these parameters."""
    template = expanded(**overrides)
    values = parameters(**overrides)
    return _resolved(template["Resources"][logical_id]["Properties"], values, template.get("Conditions", {}))
