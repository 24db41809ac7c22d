"""Emulated AWS for the tests and tools: fake credentials, a fixed region, the `make run` emulator's
address and tables, and the function's environment over the emulator.

One source for everything that runs over moto (in-process in the tests, the deploy
rehearsal; in server mode in `make run`), so none of it can reach a real account or sign as a real
identity. Standard-library light: tests/conftest.py applies it before boto3, moto or the function are
imported, so it imports only the template reader (PyYAML) at the top and boto3 where a client is built.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

# The `make run` emulator's address, credentials and tables: authctl's, which an installed authctl needs too.
from livekit_authctl.local_stack import (  # noqa: F401 - re-exported for the tests and tools
    DEFAULT_EMULATOR_PORT,
    FAKE_CREDENTIALS,
    HOST,
    LIVEKIT_CREDENTIALS_PARAMETER,
    LIVEKIT_SERVER_URL,
    REGION,
    TABLE_PREFIX,
    local_client,
    local_emulator_url,
    local_table_names,
)
from tools.ci import cfn_template

# Variables that would send boto3 somewhere else than the emulator, or sign as a real identity.
TARGETING_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SSM",
)


def add_emulator_port(parser: argparse.ArgumentParser) -> None:
    """The `--emulator-port` option of every tool that talks to the `make run` emulator."""
    parser.add_argument(
        "--emulator-port",
        type=int,
        default=int(os.environ.get("EMULATOR_PORT", DEFAULT_EMULATOR_PORT)),
        help=f"the port of the `make run` emulator (default: $EMULATOR_PORT or {DEFAULT_EMULATOR_PORT})",
    )


# ---- the function over the emulator ------------------------------------------------------------------

BCRYPT_ROUNDS = 4  # the cheapest cost: these runs check behaviour, benchmarks check cost
API_KEY = "APItestKey"
API_SECRET = "test-secret-that-is-at-least-32-bytes-long"  # noqa: S105 - an emulator-only value
# One SecureString with both (the form new stacks use), and the two of older stacks.
CREDENTIALS_PARAMETER = "/livekit-auth/test/livekit-credentials"
API_KEY_PARAMETER = "/livekit-auth/test/api-key"
API_SECRET_PARAMETER = "/livekit-auth/test/api-secret"  # noqa: S105 - a parameter name
LIVEKIT_URL = "wss://livekit.test.example"
# The function's Powertools settings (service name, metrics namespace, log level), which a test process
# sets before it imports the function.
POWERTOOLS_ENVIRONMENT = {
    name: str(value) for name, value in cfn_template.function_environment().items() if name.startswith("POWERTOOLS_")
}
# Settings a caller's environment may hold that the function would otherwise pick up.
INHERITED_FUNCTION_VARIABLES = ("LIVEKIT_HOST", "LIVEKIT_SERVER_API_KEY", "LIVEKIT_SERVER_API_SECRET")


def fake_aws_environment(endpoint_url: str | None = None, region: str = REGION) -> dict[str, str]:
    """What points boto3 at the emulator: a region, credentials it accepts and, in server mode, its URL."""
    environment = {"AWS_REGION": region, "AWS_DEFAULT_REGION": region, **FAKE_CREDENTIALS}
    return environment | ({"AWS_ENDPOINT_URL": endpoint_url} if endpoint_url else {})


def use_fake_aws(
    endpoint_url: str | None = None, region: str = REGION, environ: MutableMapping[str, str] = os.environ
) -> None:
    """Point boto3 clients created from now on (the function's included) at the emulator only."""
    for name in TARGETING_VARIABLES:
        environ.pop(name, None)
    environ.update(fake_aws_environment(endpoint_url, region))


def template_environment(tables: Mapping[str, str], parameters: Mapping[str, str] | None = None) -> dict[str, str]:
    """AuthClientFunction's Environment.Variables in template.yaml, resolved as a deploy with these `parameters`
    (else every default) would: each `!Ref` to a parameter is its value (one without a value is left out: the
    caller sets it), each `!Ref` to a table is its name in `tables` ({USERS_TABLE: name, ...}), literals stay."""
    defaults = cfn_template.parameter_defaults() | dict(parameters or {})
    environment = {}
    for name, value in cfn_template.function_environment().items():
        if not isinstance(value, dict):
            environment[name] = str(value)
        elif value.get("Ref") in cfn_template.TABLE_ENV:
            environment[name] = tables[cfn_template.TABLE_ENV[value["Ref"]]]
        elif value.get("Ref") in cfn_template.load_template()["Parameters"]:
            if value["Ref"] in defaults:
                environment[name] = defaults[value["Ref"]]
        else:
            raise ValueError(f"{name}: cannot resolve {value} outside CloudFormation")
    return environment


# What the emulated runs change in template_environment(): the SSM parameters put_livekit_credentials()
# fills, a LiveKit URL (the template has no default), and the cheapest bcrypt cost, which only LOCAL_MODE admits.
EMULATOR_SETTINGS = {
    "LOCAL_MODE": "true",
    "LIVEKIT_SERVER_URL": LIVEKIT_URL,
    "LIVEKIT_CREDENTIALS_PARAMETER": CREDENTIALS_PARAMETER,
    "BCRYPT_ROUNDS": str(BCRYPT_ROUNDS),
}
# The `make run` stack's instead: LiveKit's own development server (`livekit-server --dev`) and its key pair
# (LOCAL_MODE admits the short dev secret), any browser origin, the template's bcrypt cost.
DEV_API_KEY = "devkey"
DEV_API_SECRET = "secret"  # noqa: S105 - LiveKit's public development secret
LOCAL_STACK_SETTINGS = {
    "LOCAL_MODE": "true",
    "LIVEKIT_SERVER_URL": LIVEKIT_SERVER_URL,
    "LIVEKIT_CREDENTIALS_PARAMETER": LIVEKIT_CREDENTIALS_PARAMETER,
    "ALLOWED_ORIGINS": "*",
}


def function_environment(tables: Mapping[str, str], *, local_stack: bool = False, **settings: str) -> dict[str, str]:
    """The one recipe of the function's emulated environment: what template.yaml gives it (template_environment())
    over the emulated `tables`, then EMULATOR_SETTINGS (tests, tools) or LOCAL_STACK_SETTINGS (`make run`,
    `make invoke`); `settings` override any of it (e.g. LOCKOUT_THRESHOLD="100")."""
    return template_environment(tables) | (LOCAL_STACK_SETTINGS if local_stack else EMULATOR_SETTINGS) | settings


def put_livekit_credentials(
    ssm: Any,
    parameter: str = CREDENTIALS_PARAMETER,
    api_key: str = API_KEY,
    api_secret: str = API_SECRET,
    *,
    servers: Mapping[str, tuple[str, str]] | None = None,
) -> None:
    """The one credential writer: the LiveKit keys where the function's environment tells it to read them, one
    SecureString in a shape livekit_auth.server_keys reads (the tests log in with it, so the two cannot drift
    apart). Without `servers`, one pair for every server; with it ({server URL: (api_key, api_secret)}), the
    map from each server to its own pair. An existing value is replaced (a key rotation, a server added)."""
    if servers is None:
        value = json.dumps({"api_key": api_key, "api_secret": api_secret})
    else:
        value = json.dumps({url: {"api_key": key, "api_secret": secret} for url, (key, secret) in servers.items()})
    ssm.put_parameter(Name=parameter, Value=value, Type="SecureString", Overwrite=True)


def legacy_credentials_environment(ssm: Any) -> dict[str, str]:
    """What an older stack has: the key and the secret in two SecureStrings, and the variables naming them."""
    ssm.put_parameter(Name=API_KEY_PARAMETER, Value=API_KEY, Type="SecureString")
    ssm.put_parameter(Name=API_SECRET_PARAMETER, Value=API_SECRET, Type="SecureString")
    return {"LIVEKIT_API_KEY_PARAMETER": API_KEY_PARAMETER, "LIVEKIT_API_SECRET_PARAMETER": API_SECRET_PARAMETER}
