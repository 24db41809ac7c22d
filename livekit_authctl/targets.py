"""Which tables a command works on: --local, --stack NAME, or the *_TABLE variables; and the target's settings."""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from livekit_auth import config
from livekit_authctl import local_stack, room_access
from livekit_authctl.common import UsageError
from livekit_authctl.storage.stores import Stores

# The stack outputs that name the tables (template.yaml: <LogicalId>Name) -> the variables the function reads.
STACK_OUTPUTS = {f"{logical_id}Name": variable for logical_id, variable in local_stack.TABLE_ENV.items()}
# The function's settings authctl must share, each from its stack parameter with --stack (template.yaml).
STACK_SETTINGS = (config.BCRYPT_ROUNDS, config.SESSION_IDLE)
CLIENT_CONFIG = Config(connect_timeout=2, retries={"mode": "standard", "max_attempts": 3})


def open_stores(args: argparse.Namespace) -> tuple[Stores, Mapping[str, str]]:
    """The stores of the target tables, and the target function's settings (STACK_SETTINGS) as its environment."""
    if args.local:
        client = local_stack.local_client("dynamodb", config=CLIENT_CONFIG)
        settings = {**os.environ, **room_access.local_stack_settings(), "LOCAL_MODE": "true"}  # as `make run` runs
        return Stores.over(client, config.table_names(local_stack.local_table_names())), settings
    if args.stack:
        tables, settings = stack_settings(args.stack)
    else:
        tables, settings = config.table_names(), os.environ
    if not all((tables.users, tables.channels, tables.attempts, tables.sessions)):
        raise UsageError(
            "which tables? Use --local, --stack NAME, or set USERS_TABLE, CHANNELS_TABLE, ATTEMPTS_TABLE and "
            "SESSIONS_TABLE"
        )
    return Stores.over(boto3.client("dynamodb", config=CLIENT_CONFIG), tables), settings


def stack_settings(stack_name: str) -> tuple[config.TableNames, dict[str, str]]:
    """The table names a deployed stack reports in its outputs, and the STACK_SETTINGS its parameters give
    the function, as {variable: value}."""
    cloudformation = boto3.client("cloudformation", config=CLIENT_CONFIG)
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationError":  # CloudFormation's answer for an unknown stack
            raise UsageError(f"no stack {stack_name} in {cloudformation.meta.region_name}") from None
        raise
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    missing = [key for key in STACK_OUTPUTS if key not in outputs]
    if missing:
        raise UsageError(f"stack {stack_name} has no output {', '.join(missing)}: is it this service's stack?")
    parameters = {entry["ParameterKey"]: entry.get("ParameterValue", "") for entry in stack.get("Parameters", [])}
    missing = [setting.parameter for setting in STACK_SETTINGS if not parameters.get(setting.parameter)]
    if missing:
        raise UsageError(f"stack {stack_name} has no parameter {', '.join(missing)}: is it this service's stack?")
    tables = config.table_names({variable: outputs[key] for key, variable in STACK_OUTPUTS.items()})
    settings = {setting.variable: parameters[setting.parameter] for setting in STACK_SETTINGS}
    return tables, settings | room_access.stack_environment(parameters)
