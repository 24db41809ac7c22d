"""Shared fixtures: emulated AWS (moto), tables built from template.yaml, the demo data, and the handler.

Tests never reach AWS: credentials are fake, the region fixed, and endpoint overrides removed.
"""

from __future__ import annotations

import json
import os

for _variable in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL_SSM"):
    os.environ.pop(_variable, None)
os.environ.update(
    AWS_DEFAULT_REGION="eu-west-1",
    AWS_REGION="eu-west-1",
    AWS_ACCESS_KEY_ID="testing",
    AWS_SECRET_ACCESS_KEY="testing",
    POWERTOOLS_SERVICE_NAME="livekit-auth",
    POWERTOOLS_METRICS_NAMESPACE="LiveKitAuth",
)

from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import moto  # noqa: E402, F401 - imported before app so its module-level clients are intercepted
import pytest  # noqa: E402
from aws_lambda_powertools.utilities import parameters  # noqa: E402
from moto import mock_aws  # noqa: E402

import app  # noqa: E402
from livekit_auth import credentials  # noqa: E402
from livekit_auth.config import table_names  # noqa: E402
from livekit_auth.storage import AuthStore  # noqa: E402
from livekit_auth_tools import demo_data  # noqa: E402
from livekit_auth_tools.apigw import LocalContext, proxy_event  # noqa: E402
from livekit_auth_tools.cfn_template import create_tables  # noqa: E402

TEST_BCRYPT_ROUNDS = 4  # the cheapest cost: tests check behaviour, benchmarks check cost
API_KEY = "APItestKey"
API_SECRET = "test-secret-that-is-at-least-32-bytes-long"
API_KEY_PARAMETER = "/livekit-auth/test/api-key"
API_SECRET_PARAMETER = "/livekit-auth/test/api-secret"
LIVEKIT_URL = "wss://livekit.test.example"
LOGIN_PATH = "/api/auth/client/"


def clear_caches() -> None:
    """Forget cached settings and secrets, as a new container would."""
    app.configured.cache_clear()
    credentials.ssm_provider.clear_cache()
    parameters.clear_caches()


@pytest.fixture(autouse=True)
def _fresh_container() -> Iterator[None]:
    clear_caches()
    yield
    clear_caches()


@pytest.fixture(scope="session")
def dynamodb_client() -> Any:
    """One client for the whole run (creating one costs ~50 ms); moto intercepts it inside each test."""
    return boto3.client("dynamodb")


@pytest.fixture(scope="session")
def ssm_client() -> Any:
    return boto3.client("ssm")


@pytest.fixture
def aws() -> Iterator[None]:
    with mock_aws():
        yield


@pytest.fixture
def tables(aws: None, dynamodb_client: Any) -> dict[str, str]:
    """{USERS_TABLE: name, ...}: the template's tables, created in the emulator."""
    return create_tables(dynamodb_client, "test")


@pytest.fixture
def ssm_credentials(aws: None, ssm_client: Any) -> None:
    ssm = ssm_client
    ssm.put_parameter(Name=API_KEY_PARAMETER, Value=API_KEY, Type="SecureString")
    ssm.put_parameter(Name=API_SECRET_PARAMETER, Value=API_SECRET, Type="SecureString")


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, tables: dict[str, str], ssm_credentials: None) -> dict[str, str]:
    """The environment template.yaml gives the function, pointing at the emulated tables and parameters."""
    env = {
        **tables,
        "LIVEKIT_SERVER_URL": LIVEKIT_URL,
        "LIVEKIT_API_KEY_PARAMETER": API_KEY_PARAMETER,
        "LIVEKIT_API_SECRET_PARAMETER": API_SECRET_PARAMETER,
        "BCRYPT_ROUNDS": str(TEST_BCRYPT_ROUNDS),
        "ALLOWED_ORIGINS": "*",
        "LOCKOUT_THRESHOLD": "5",
        "LOCKOUT_MAX_SECONDS": "900",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in ("LIVEKIT_HOST", "LIVEKIT_SERVER_API_KEY", "LIVEKIT_SERVER_API_SECRET", "LOCAL_MODE"):
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture
def store(tables: dict[str, str], dynamodb_client: Any) -> AuthStore:
    return AuthStore(dynamodb_client, table_names(tables))


@pytest.fixture
def demo_users(store: AuthStore) -> dict[str, str]:
    """{username: user_id} for the demo users (password demo_data.DEMO_PASSWORD)."""
    return demo_data.seed(store, TEST_BCRYPT_ROUNDS)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any
    raw: dict[str, Any]


def call_handler(event: dict[str, Any]) -> Answer:
    """Run one API Gateway event through the deployed entry point and decode its answer."""
    result = app.lambda_handler(event, LocalContext())
    headers = {name: values[-1] for name, values in (result.get("multiValueHeaders") or {}).items()}
    headers.update(result.get("headers") or {})
    body = json.loads(result["body"]) if result.get("body") else None
    return Answer(result["statusCode"], headers, body, result)


def login_event(body: Any = None, *, raw: str | None = None, headers: dict[str, str] | None = None, **kw: Any) -> dict:
    text = raw if raw is not None else json.dumps(body, ensure_ascii=False)
    headers = {"Content-Type": "application/json", **(headers or {})}
    return proxy_event("POST", LOGIN_PATH, resource="/api/auth/client", headers=headers, body=text, **kw)


@pytest.fixture
def invoke(function_env: dict[str, str], demo_users: dict[str, str]) -> Callable[[dict[str, Any]], Answer]:
    """Call the handler with an event, against the demo data."""
    return call_handler


@pytest.fixture
def log_in(invoke: Callable[[dict[str, Any]], Answer]) -> Callable[..., Answer]:
    """log_in(username, password, **extra body fields, headers=...) -> Answer."""

    def _log_in(username: str, password: str = demo_data.DEMO_PASSWORD, headers: dict | None = None, **extra: Any):
        return invoke(login_event({"username": username, "password": password, **extra}, headers=headers))

    return _log_in
