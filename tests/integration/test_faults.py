"""Faults of the AWS services behind a login: each one is the guide's 500, told once in the log.

Error answers are injected in the emulator's own request handlers (so nothing is applied and
botocore's retry logic sees a real AWS error); timeouts are raised by a `before-send` hook on the
handler's module-level clients. Either way the clients' configured retries run as in Lambda.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest.mock import patch

import boto3
import pytest
from botocore.exceptions import ConnectTimeoutError, ReadTimeoutError
from moto.core.exceptions import JsonRESTError
from moto.dynamodb.responses import DynamoHandler
from moto.ssm.responses import SimpleSystemManagerResponse

import services
from livekit_auth import aws, credentials, messages
from livekit_authctl.storage.admin import AdminStore
from tests.support.handler import Answer
from tests.support.logs import capture_function_output, log_records
from tools.local import demo_data
from tools.local.events import login_event
from tools.local.fake_aws import CREDENTIALS_PARAMETER, REGION

DYNAMODB_URL = f"https://dynamodb.{REGION}.amazonaws.com"
SSM_URL = f"https://ssm.{REGION}.amazonaws.com"
RESPONSE_CLASSES = {"dynamodb": DynamoHandler, "ssm": SimpleSystemManagerResponse}


@dataclass
class Fault:
    tries: int = 0


@contextmanager
def service_error(service: str, operation: str, code: str, *, times: int | None = None) -> Iterator[Fault]:
    """The emulator answers `operation` with the AWS error `code` (the first `times` tries, or all)."""
    fault = Fault()
    handler_class = RESPONSE_CLASSES[service]
    method = _snake(operation)
    original = getattr(handler_class, method)

    def failing(self: Any) -> Any:
        if times is not None and fault.tries >= times:
            return original(self)
        fault.tries += 1
        raise JsonRESTError(code, "injected fault")

    with patch.object(handler_class, method, failing):
        yield fault


@contextmanager
def connection_error(client: Any, operation: str, error: Exception) -> Iterator[Fault]:
    """Every try of `operation` on `client` raises `error` before reaching the emulator."""
    fault = Fault()

    def fail(**_: Any) -> None:
        fault.tries += 1
        raise error

    event = f"before-send.{client.meta.service_model.service_id.hyphenize()}.{operation}"
    client.meta.events.register_first(event, fail, unique_id="injected-fault")
    try:
        yield fault
    finally:
        client.meta.events.unregister(event, unique_id="injected-fault")


def _snake(operation: str) -> str:
    return "".join(f"_{letter.lower()}" if letter.isupper() else letter for letter in operation).lstrip("_")


@pytest.fixture
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """No backoff sleep before the retry: the number of tries is under test, not the wait."""
    monkeypatch.setattr("botocore.retries.standard.ExponentialBackoff.delay_amount", lambda self, context: 0)


@pytest.fixture
def traced_login(
    invoke: Callable[[dict[str, Any]], Answer],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    fast_retries: None,
) -> Callable[..., tuple[Answer, str]]:
    """traced_login(username, password) -> (answer, its request id), with the function's log captured;
    by default the demo user with the right password."""
    capture_function_output(monkeypatch)

    def _login(username: str = demo_data.DEMO.username, password: str = demo_data.DEMO_PASSWORD):
        request_id = str(uuid.uuid4())
        event = login_event({"username": username, "password": password}, request_id=request_id)
        return invoke(event), request_id

    return _login


def assert_guide_500(answer: Answer, request_id: str, capsys: pytest.CaptureFixture[str], cause: str) -> None:
    """The guide's body with only the request id, and exactly one ERROR line carrying the cause."""
    assert answer.status == 500
    assert answer.body == {
        "error": messages.SERVER_ERROR,
        "details": messages.SERVER_ERROR_DETAILS.format(request_id=request_id),
    }
    errors = [record for record in log_records(capsys) if record.get("level") == "ERROR"]
    assert len(errors) == 1, errors
    (error,) = errors
    assert error["correlation_id"] == request_id
    assert error["outcome"] == "error"
    assert error["status"] == 500
    assert cause in error["reason"] + error["exception"]


def attempts_left(store: AdminStore, username: str = demo_data.DEMO.username) -> tuple[int, float | None] | None:
    state = store.get_attempts(username)
    return None if state is None else (state.attempts, state.locked_until)


def users_table(store: AdminStore) -> list[dict[str, Any]]:
    return boto3.client("dynamodb").scan(TableName=store.tables.users)["Items"]


# ---- DynamoDB ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException"])
def test_throttled_user_read_is_a_500_after_one_retry(traced_login, capsys, store: AdminStore, code: str) -> None:
    users_before = users_table(store)
    with service_error("dynamodb", "GetItem", code) as fault:
        answer, request_id = traced_login()

    assert_guide_500(answer, request_id, capsys, code)
    assert fault.tries == aws.MAX_ATTEMPTS
    assert attempts_left(store) == (1, None)  # the one counted attempt, no lock
    assert users_table(store) == users_before


def test_throttled_channels_query_is_a_500_and_writes_nothing(traced_login, capsys, store: AdminStore) -> None:
    with service_error("dynamodb", "Query", "ThrottlingException") as fault:
        answer, request_id = traced_login()

    assert_guide_500(answer, request_id, capsys, "ThrottlingException")
    assert fault.tries == aws.MAX_ATTEMPTS
    assert attempts_left(store) is None  # the right password cleared the count


def test_throttled_attempt_gate_is_a_500_and_counts_nothing(traced_login, capsys, store: AdminStore) -> None:
    with service_error("dynamodb", "UpdateItem", "ProvisionedThroughputExceededException") as fault:
        answer, request_id = traced_login(password="a-wrong-password")

    assert_guide_500(answer, request_id, capsys, "ProvisionedThroughputExceededException")
    assert fault.tries == aws.MAX_ATTEMPTS
    assert attempts_left(store) is None


def test_one_throttled_try_is_retried_into_a_success(traced_login) -> None:
    with service_error("dynamodb", "GetItem", "ProvisionedThroughputExceededException", times=1) as fault:
        answer, _ = traced_login()

    assert answer.status == 200, answer.body
    assert fault.tries == 1


@pytest.mark.parametrize(
    ("operation", "timeout", "left"),
    [
        ("GetItem", ReadTimeoutError(endpoint_url=DYNAMODB_URL), (1, None)),  # counted beside the read
        ("UpdateItem", ConnectTimeoutError(endpoint_url=DYNAMODB_URL), None),  # the count itself failed
        ("Query", ReadTimeoutError(endpoint_url=DYNAMODB_URL), None),  # the right password cleared it
    ],
    ids=["read-timeout-on-GetItem", "connect-timeout-on-UpdateItem", "read-timeout-on-Query"],
)
def test_dynamodb_timeouts_are_a_500_after_one_retry(
    traced_login, capsys, store: AdminStore, operation: str, timeout: Exception, left: tuple[int, None] | None
) -> None:
    with connection_error(services.dynamodb, operation, timeout) as fault:
        answer, request_id = traced_login()

    assert_guide_500(answer, request_id, capsys, type(timeout).__name__)
    assert fault.tries == aws.MAX_ATTEMPTS
    assert attempts_left(store) == left


# ---- SSM -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["ParameterNotFound", "AccessDeniedException"])
def test_ssm_errors_are_a_500_without_a_token(traced_login, capsys, store: AdminStore, code: str) -> None:
    with service_error("ssm", "GetParameters", code) as fault:
        answer, request_id = traced_login()

    assert_guide_500(answer, request_id, capsys, code)
    assert fault.tries == 1  # an AWS client error is final, not retried
    assert attempts_left(store) is None


def test_an_ssm_timeout_is_a_500_after_one_retry(traced_login, capsys) -> None:
    timeout = ReadTimeoutError(endpoint_url=SSM_URL)
    with connection_error(credentials.ssm_provider.client, "GetParameters", timeout) as fault:
        answer, request_id = traced_login()

    assert_guide_500(answer, request_id, capsys, "ReadTimeoutError")
    assert fault.tries == aws.MAX_ATTEMPTS


def test_a_missing_secret_parameter_is_a_500(traced_login, capsys) -> None:
    """GetParameters reports a missing name in InvalidParameters, not as an error."""
    boto3.client("ssm").delete_parameter(Name=CREDENTIALS_PARAMETER)

    answer, request_id = traced_login()

    assert_guide_500(answer, request_id, capsys, "GetParameterError")


# ---- stored data ---------------------------------------------------------------------------------


def test_a_corrupt_stored_hash_is_a_500_not_a_wrong_password(traced_login, capsys, store: AdminStore) -> None:
    store.create_user("corrupt@example.com", "not-a-bcrypt-hash")

    answer, request_id = traced_login("corrupt@example.com", "any-password")

    assert_guide_500(answer, request_id, capsys, "ValueError")
    assert "not-a-bcrypt-hash" not in json.dumps(answer.body)
    assert attempts_left(store, "corrupt@example.com") == (1, None)
    assert store.require_user("corrupt@example.com").password_hash == "not-a-bcrypt-hash"  # left as it was


# ---- the clients ---------------------------------------------------------------------------------


@pytest.mark.parametrize("client", [services.dynamodb, credentials.ssm_provider.client], ids=["dynamodb", "ssm"])
def test_the_clients_carry_the_configured_timeouts_and_retries(client: Any) -> None:
    config = client.meta.config
    assert config.connect_timeout == aws.CONNECT_TIMEOUT_SECONDS
    assert config.read_timeout == aws.READ_TIMEOUT_SECONDS
    assert config.retries == {"mode": "standard", "total_max_attempts": aws.MAX_ATTEMPTS}
