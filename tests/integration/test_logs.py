"""What the function writes to its logs: one JSON line per attempt, and never a credential.

Every kind of attempt runs with known passwords; then all output (the Powertools JSON lines on
stdout, metrics, stderr, and records of any other logger) is searched for the passwords, the
LiveKit secret, the stored bcrypt hashes and the issued tokens. CloudWatch splits a stream into
events at line breaks, so a username carrying CR/LF must stay inside one JSON string.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest

from livekit_auth.config import Settings
from livekit_authctl.storage.admin import AdminStore
from tests.support.handler import Answer, new_container
from tests.support.logs import capture_function_output, output_lines
from tools.local import demo_data
from tools.local.events import login_event
from tools.local.fake_aws import API_SECRET, CREDENTIALS_PARAMETER

BCRYPT_HASH = re.compile(r"\$2[abxy]?\$")
FORGED_MESSAGE = "forged by the username"
# Lower-case already: the service logs the normalized username.
FORGING_USERNAME = (
    'evil@example.com\r\n{"level":"INFO","message":"' + FORGED_MESSAGE + '","outcome":"success","reason":"ok"}\n'
)
UNICODE_BREAKS_USERNAME = "evil\u2028x\u0085y\u2029@example.com"


@dataclass
class Attempts:
    """The attempts made, by request id, with every secret they involved."""

    invoke: Callable[[dict[str, Any]], Answer]
    lockout_threshold: int
    expected_status: dict[str, int] = field(default_factory=dict)
    secrets: set[str] = field(default_factory=set)

    def send(
        self, expected_status: int | set[int], body: object = None, *, raw: str | None = None, **headers: str
    ) -> Answer:
        request_id = str(uuid.uuid4())
        event = login_event(body, raw=raw, headers=headers or None, request_id=request_id)
        answer = self.invoke(event)
        assert answer.status in (expected_status if isinstance(expected_status, set) else {expected_status})
        self.expected_status[request_id] = answer.status
        return answer

    def attempt_login(self, username: str, password: str, expected_status: int | set[int]) -> Answer:
        self.secrets.add(password)
        answer = self.send(expected_status, {"username": username, "password": password})
        if answer.status == 200:
            for channel in answer.body["tokens"].values():
                self.secrets.update({channel["token"], channel["token"].rsplit(".", 1)[-1]})
        return answer


@pytest.fixture
def function_output(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    capture_function_output(monkeypatch)


@pytest.fixture
def attempts(
    invoke: Callable[[dict[str, Any]], Answer],
    settings: Settings,
    function_output: None,
    caplog: pytest.LogCaptureFixture,
) -> Attempts:
    caplog.set_level(logging.INFO)  # Lambda's application log level
    return Attempts(invoke, settings.lockout_threshold, secrets={API_SECRET})


def stored_hashes(store: AdminStore) -> set[str]:
    return {user.password_hash for user in store.list_users()}


def run_every_kind_of_attempt(attempts: Attempts, store: AdminStore) -> None:
    attempts.attempt_login(demo_data.DEMO.username, demo_data.DEMO_PASSWORD, 200)
    attempts.attempt_login(demo_data.VIEWER.username.upper(), demo_data.DEMO_PASSWORD, 200)
    attempts.attempt_login(demo_data.DEMO.username, "Wrong-password-7f3a9", 401)
    attempts.attempt_login("nobody@example.com", "Unknown-user-password-c41d", 401)
    attempts.attempt_login(demo_data.INACTIVE.username, demo_data.DEMO_PASSWORD, 403)
    attempts.attempt_login(demo_data.INACTIVE.username, "Inactive-wrong-password-88e2", 401)
    attempts.attempt_login(demo_data.NO_CHANNELS.username, demo_data.DEMO_PASSWORD, 403)
    attempts.attempt_login(demo_data.NO_DATA.username, demo_data.DEMO_PASSWORD, 404)
    for number in range(attempts.lockout_threshold):
        attempts.attempt_login(demo_data.VIEWER.username, f"Lockout-guess-{number}-5be1", 401)
    # Locked for 1 s now; a slow machine may see the lock run out and one more guess admitted.
    for number in range(3):
        answer = attempts.attempt_login(demo_data.VIEWER.username, f"Locked-out-guess-{number}-91aa", {401, 429})
        if answer.status == 429:
            break
    assert 429 in attempts.expected_status.values()
    # Bad input that still carries a password.
    attempts.secrets.update({"Password-in-bad-json-0d7c", "Password-as-form-2e19", "Password-too-long-" + "z" * 80})
    attempts.send(400, raw='{"username": "demo@example.com", "password": "Password-in-bad-json-0d7c"')
    attempts.send(
        415, {"username": "demo@example.com", "password": "Password-as-form-2e19"}, **{"Content-Type": "text/plain"}
    )
    attempts.attempt_login(demo_data.DEMO.username, "Password-too-long-" + "z" * 80, 401)
    attempts.attempt_login(FORGING_USERNAME, "Forging-password-6a0b", 401)
    attempts.attempt_login(UNICODE_BREAKS_USERNAME, "Unicode-breaks-password-3c5d", 401)
    # Server errors: a corrupt stored hash, then the LiveKit secret missing from SSM.
    store.create_user("corrupt@example.com", "not-a-bcrypt-hash")
    attempts.attempt_login("corrupt@example.com", "Corrupt-hash-password-7e4f", 500)
    boto3.client("ssm").delete_parameter(Name=CREDENTIALS_PARAMETER)
    new_container()
    attempts.attempt_login(demo_data.DEMO.username, demo_data.DEMO_PASSWORD, 500)


def test_logs_hold_no_password_secret_hash_or_token(
    attempts: Attempts,
    store: AdminStore,
    capsys: pytest.CaptureFixture[str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Every attempt kind, including 500s whose tracebacks are logged: no credential leaks."""
    run_every_kind_of_attempt(attempts, store)
    lines, err = output_lines(capsys)
    other_loggers = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    everything = "\n".join([*lines, err, other_loggers])

    assert len(lines) > len(attempts.expected_status)  # the output really was captured
    assert "Logging error" not in err  # every line could be written
    secrets = attempts.secrets | stored_hashes(store) - {"not-a-bcrypt-hash"}
    leaked = sorted(secret[:6] + "..." for secret in secrets if secret in everything)
    assert leaked == []
    assert not BCRYPT_HASH.search(everything)


def test_every_output_line_is_one_json_object(
    attempts: Attempts, store: AdminStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """A username with CR, LF or Unicode line separators cannot start a line of its own."""
    run_every_kind_of_attempt(attempts, store)
    lines, _ = output_lines(capsys)

    records = [json.loads(line) for line in lines]
    assert all(isinstance(record, dict) for record in records)
    raw = "\n".join(lines)
    assert "\r" not in raw
    assert not {"\u2028", "\u2029", "\u0085"} & set(raw), "str.splitlines() readers would split these lines"
    assert not [record for record in records if record.get("message") == FORGED_MESSAGE]
    usernames = [record.get("username") for record in records if "outcome" in record]
    assert usernames.count(FORGING_USERNAME.strip().lower()) == 1
    assert usernames.count(UNICODE_BREAKS_USERNAME) == 1


def test_exactly_one_outcome_line_per_attempt(
    attempts: Attempts, store: AdminStore, capsys: pytest.CaptureFixture[str]
) -> None:
    """One "login attempt" line per attempt, 500s included (at ERROR, with the cause), each with
    `outcome`, `reason` and the status sent."""
    run_every_kind_of_attempt(attempts, store)
    lines, _ = output_lines(capsys)
    records = [json.loads(line) for line in lines]

    for request_id, status in attempts.expected_status.items():
        mine = [record for record in records if record.get("correlation_id") == request_id and "outcome" in record]
        assert len(mine) == 1, (status, mine)
        (record,) = mine
        assert record["status"] == status
        assert isinstance(record["reason"], str)
        assert record["reason"]
        assert record["message"] == "login attempt"
        if status == 500:
            assert record["level"] == "ERROR"
            assert record["outcome"] == "error"
            assert "exception" in record  # the cause, for the operator
        else:
            assert record["outcome"] == {200: "success", 400: "rejected", 415: "rejected"}.get(status, "refused")
    assert sum(record.get("message") == "login attempt" for record in records) == len(attempts.expected_status)
