"""Shared fixtures: emulated AWS (moto), tables built from template.yaml, the demo data, and the handler.

Tests never reach AWS: credentials are fake, the region fixed, and endpoint overrides removed.
"""

from __future__ import annotations

import json
import os

from livekit_auth_tools import fake_aws

fake_aws.use_fake_aws()
os.environ.update(fake_aws.POWERTOOLS_ENVIRONMENT)  # before app is imported: its logger reads them

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
from livekit_auth.storage.admin import AdminStore  # noqa: E402
from livekit_auth_tools import demo_data  # noqa: E402
from livekit_auth_tools.apigw import LOGIN_PATH, LOGIN_RESOURCE, LocalContext, proxy_event  # noqa: E402
from livekit_auth_tools.cfn_template import create_tables  # noqa: E402


def clear_caches() -> None:
    """Forget cached settings and secrets, as a new container would."""
    app.configured.cache_clear()
    app.session_service.cache_clear()
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
    fake_aws.put_livekit_credentials(ssm_client)


@pytest.fixture
def function_env(monkeypatch: pytest.MonkeyPatch, tables: dict[str, str], ssm_credentials: None) -> dict[str, str]:
    """The environment template.yaml gives the function, pointing at the emulated tables and parameters."""
    env = fake_aws.function_environment(tables)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    for name in fake_aws.INHERITED_FUNCTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return env


@pytest.fixture
def store(tables: dict[str, str], dynamodb_client: Any) -> AdminStore:
    return AdminStore(dynamodb_client, table_names(tables))


@pytest.fixture
def demo_users(store: AdminStore) -> dict[str, str]:
    """{username: user_id} for the demo users (password demo_data.DEMO_PASSWORD)."""
    return demo_data.seed(store, fake_aws.BCRYPT_ROUNDS)


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
    return proxy_event("POST", LOGIN_PATH, resource=LOGIN_RESOURCE, headers=headers, body=text, **kw)


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
