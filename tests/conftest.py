"""Fixtures only: emulated AWS (moto), tables built from template.yaml, the demo data, and the handler.

Tests never reach AWS: tests/support/fake_aws_plugin.py (loaded by pyproject's `-p`) sets fake
credentials, a fixed region and no endpoint overrides before this module is imported. Helpers the
tests call live in tests/support/; nothing imports this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

import services
from livekit_auth import credentials
from livekit_auth.config import Settings, table_names
from livekit_authctl.storage.admin import AdminStore
from tests.support import logins
from tests.support.authctl import Run, authctl_runner
from tests.support.clock import FakeClock
from tests.support.counters import AwsCallCounter, BcryptCounter
from tests.support.handler import Answer, call_handler, new_container, run_on_clock
from tests.support.http_stack import running_stack
from tests.support.livekit_servers import Servers, dev_room_service, running_servers
from tests.support.settings import BCRYPT_ROUNDS, function_settings
from tools.ci.cfn_template import create_tables
from tools.local import demo_data, fake_aws
from tools.local.fake_livekit import FakeRoomService
from tools.local.stack import LocalStack


@pytest.fixture(autouse=True)
def _fresh_container() -> Iterator[None]:
    """Each test starts as a new container would: no cached settings, secrets or Powertools parameters."""
    new_container()
    yield
    new_container()


# ---- emulated AWS ----------------------------------------------------------------------------------------


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
def store(tables: dict[str, str], dynamodb_client: Any) -> AdminStore:
    return AdminStore(dynamodb_client, table_names(tables))


@pytest.fixture
def demo_users(store: AdminStore) -> dict[str, str]:
    """{username: user_id} for the demo users (password demo_data.DEMO_PASSWORD)."""
    return demo_data.seed(store, BCRYPT_ROUNDS)


# ---- the function ----------------------------------------------------------------------------------------


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
def settings(function_env: dict[str, str]) -> Settings:
    """The settings the function runs with in these tests: the lockout threshold, the bcrypt cost, ..."""
    return function_settings()


@pytest.fixture
def invoke(function_env: dict[str, str], demo_users: dict[str, str]) -> Callable[[dict[str, Any]], Answer]:
    """Call the handler with an event, against the demo data."""
    return call_handler


@pytest.fixture
def attempt_login(invoke: Callable[[dict[str, Any]], Answer]) -> Callable[..., Answer]:
    """attempt_login(username, password, headers=..., **extra body fields) -> Answer, against the demo data."""
    return logins.attempt_login


@pytest.fixture
def good_login(invoke: Callable[[dict[str, Any]], Answer]) -> Callable[..., Answer]:
    """good_login(username, headers=..., **extra body fields) -> Answer: the right password, against the demo data."""
    return logins.good_login


@pytest.fixture
def guess(invoke: Callable[[dict[str, Any]], Answer]) -> Callable[..., Answer]:
    """guess(username, password=a wrong one, headers=...) -> Answer: a failed attempt, against the demo data."""
    return logins.guess


@pytest.fixture
def authctl_without_demo(
    function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Callable[..., Run]:
    """authctl_without_demo(*argv, stdin="...", tty=False) -> Run: authctl against the function's tables
    with no demo data seeded (the test stocks them itself); output captured."""
    return authctl_runner(monkeypatch, capsys)


@pytest.fixture
def authctl_run(
    function_env: dict[str, str],
    demo_users: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Callable[..., Run]:
    """authctl_run(*argv, stdin="...", tty=False) -> Run, against the demo data in the tables USERS_TABLE etc. name."""
    return authctl_runner(monkeypatch, capsys)


@pytest.fixture
def livekit_servers(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    """Two stand-in LiveKit servers on loopback, each with its own key, configured as the function's servers."""
    with running_servers(monkeypatch) as servers:
        yield servers


# ---- the local stack, over HTTP (e2e) ---------------------------------------------------------------------


@pytest.fixture(scope="session")
def stand_in_livekit() -> Iterator[FakeRoomService]:
    """The e2e stack's LiveKit server: a stand-in on loopback (the dev key pair) that records the RoomService
    calls it gets, so a logout's removal reaches no LiveKit server someone may run on the default port."""
    with dev_room_service() as server:
        yield server


@pytest.fixture(scope="session")
def stack(stand_in_livekit: FakeRoomService) -> Iterator[LocalStack]:
    """One `make run` stack for every e2e module, on free ports (tests/support/http_stack.py), naming the
    stand-in LiveKit server."""
    with running_stack(LIVEKIT_SERVER_URL=stand_in_livekit.url) as running:
        yield running


# ---- clocks and counters ---------------------------------------------------------------------------------


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def handler_clock(clock: FakeClock, function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The clock the handler's login service reads: moving it waits out a lock without sleeping."""
    run_on_clock(clock, monkeypatch)
    return clock


@pytest.fixture
def bcrypt_checks(monkeypatch: pytest.MonkeyPatch) -> BcryptCounter:
    return BcryptCounter.installed(monkeypatch)


@pytest.fixture
def aws_calls() -> Iterator[AwsCallCounter]:
    """The API calls the function's own DynamoDB and SSM clients make."""
    with AwsCallCounter().counting([services.dynamodb, credentials.ssm_provider.client]) as calls:
        yield calls
