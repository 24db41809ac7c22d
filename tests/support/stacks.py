"""Stand-ins for deployed CloudFormation stacks, for authctl --stack: only outputs and parameters matter to it."""

from __future__ import annotations

import json

import boto3

from livekit_auth import config
from livekit_authctl import targets
from tests.support.livekit_servers import Servers
from tools.local import fake_aws


def deploy_stack(name: str, outputs: dict[str, str], parameters: dict[str, str] | None = None) -> None:
    """A stack with these outputs and parameters, and one placeholder resource."""
    template = {
        "Parameters": {key: {"Type": "String"} for key in parameters or {}},
        "Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": key, "ParameterValue": value} for key, value in (parameters or {}).items()],
    )


def deploy_service_stack(
    name: str,
    tables: dict[str, str],
    bcrypt_rounds: int = config.BCRYPT_ROUNDS.default,
    session_idle_seconds: int = config.SESSION_IDLE.default,
    livekit: Servers | None = None,
) -> None:
    """This service's stack over `tables` ({USERS_TABLE: name, ...}), with these parameters; its LiveKit servers
    `livekit` (stand-ins on loopback; without them it names none, and a removal fails before any call)."""
    outputs = {output: tables[variable] for output, variable in targets.STACK_OUTPUTS.items()}
    parameters = {
        config.BCRYPT_ROUNDS.parameter: str(bcrypt_rounds),
        config.SESSION_IDLE.parameter: str(session_idle_seconds),
    }
    if livekit is not None:
        parameters |= {
            "LiveKitServerUrl": livekit.first.url,
            "AllowedServerUrls": livekit.second.url,
            "LiveKitCredentialsParameterName": fake_aws.CREDENTIALS_PARAMETER,
        }
    deploy_stack(name, outputs, parameters)
