"""Emulated AWS for the tests and tools: fake credentials, a fixed region, and the function's environment.

One source for everything that runs over moto (in-process in the tests, `make fuzz`, the deploy
rehearsal; in server mode in `make run`), so none of it can reach a real account or sign as a real
identity. Imports nothing but the standard library: tests/conftest.py applies it before boto3, moto
or the function are imported.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, MutableMapping
from typing import Any

REGION = "eu-west-1"
# Credentials the emulator accepts; real ones must never be used with it.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Variables that would send boto3 somewhere else than the emulator, or sign as a real identity.
TARGETING_VARIABLES = (
    "AWS_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SSM",
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
POWERTOOLS_ENVIRONMENT = {"POWERTOOLS_SERVICE_NAME": "livekit-auth", "POWERTOOLS_METRICS_NAMESPACE": "LiveKitAuth"}
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


def function_environment(tables: Mapping[str, str], **settings: str) -> dict[str, str]:
    """The environment template.yaml gives the function, over the emulated tables and the SSM parameters
    put_livekit_credentials() stores; `settings` override any of it (e.g. LOCKOUT_THRESHOLD="100")."""
    return {
        **tables,
        "LIVEKIT_SERVER_URL": LIVEKIT_URL,
        "LIVEKIT_CREDENTIALS_PARAMETER": CREDENTIALS_PARAMETER,
        "BCRYPT_ROUNDS": str(BCRYPT_ROUNDS),
        "ALLOWED_ORIGINS": "*",
        "LOCKOUT_THRESHOLD": "5",
        "LOCKOUT_MAX_SECONDS": "900",
        "LOCAL_MODE": "true",  # admits BCRYPT_ROUNDS below the deployed minimum
        **POWERTOOLS_ENVIRONMENT,
        **settings,
    }


def put_livekit_credentials(ssm: Any) -> None:
    """Store the LiveKit key pair where function_environment() tells the function to read it: one
    SecureString, in the JSON form of livekit_auth.tokens.LiveKitCredentials.parameter_value (the
    tests log in with it, so the two cannot drift apart)."""
    value = json.dumps({"api_key": API_KEY, "api_secret": API_SECRET})
    ssm.put_parameter(Name=CREDENTIALS_PARAMETER, Value=value, Type="SecureString")


def legacy_credentials_environment(ssm: Any) -> dict[str, str]:
    """What an older stack has: the key and the secret in two SecureStrings, and the variables naming them."""
    ssm.put_parameter(Name=API_KEY_PARAMETER, Value=API_KEY, Type="SecureString")
    ssm.put_parameter(Name=API_SECRET_PARAMETER, Value=API_SECRET, Type="SecureString")
    return {"LIVEKIT_API_KEY_PARAMETER": API_KEY_PARAMETER, "LIVEKIT_API_SECRET_PARAMETER": API_SECRET_PARAMETER}
