"""The log check, extended to sessions: no session token, its secret part, its hash or an Authorization header
value ever reaches the output, whatever the outcome (500s with their tracebacks included); one line per request."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities import parameters

from livekit_auth import credentials
from livekit_auth.routes import LOGOUT, REFRESH, TOKEN, Route
from livekit_auth.session_tokens import token_hash
from livekit_auth.sessions import ROTATION_GRACE_SECONDS
from tests.support.clock import FakeClock
from tests.support.logs import capture_function_output, output_lines
from tests.support.sessions import real_time_clock
from tools.local.demo_data import DEMO, DEMO_PASSWORD, DEMO_SESSION_TOKENS
from tools.local.events import login_event, session_event
from tools.local.fake_aws import API_SECRET, CREDENTIALS_PARAMETER

MESSAGES = {TOKEN: "token request", REFRESH: "session refresh", LOGOUT: "session logout"}


@pytest.fixture
def clock() -> FakeClock:
    """The handler_clock fixture's clock, at the real time: the demo data's sessions were opened then."""
    return real_time_clock()


class Requests:
    """Every request sent, by request id, with every secret it involved."""

    def __init__(self, invoke) -> None:
        self.invoke = invoke
        self.sent: dict[str, tuple[str, int]] = {}  # request id -> (log message, status)
        self.secrets: set[str] = {API_SECRET}

    def _send(self, event: dict[str, Any], message: str, status: int):
        answer = self.invoke(event)
        assert answer.status == status, answer.body
        self.sent[event["requestContext"]["requestId"]] = (message, status)
        for key in ("participant_token", "token"):
            if answer.body and isinstance(answer.body.get(key), str):
                self.remember(answer.body[key])
        if answer.body and "session" in answer.body:
            self.remember(answer.body["session"]["token"])
        return answer

    def remember(self, token: str) -> None:
        """The token, the part after its last dot (a JWT's signature, a session's secret) and its hash."""
        self.secrets |= {token, token.rsplit(".", 1)[-1], token_hash(token)}

    def login(self, status: int = 200, **extra: Any):
        event = login_event({"username": DEMO.username, "password": DEMO_PASSWORD, **extra}, request_id=_id())
        return self._send(event, "login attempt", status)

    def call(self, route: Route, token: str | None, status: int, body: str = "{}", scheme: str = "Bearer"):
        headers = {}
        if token is not None:
            self.remember(token)
            headers["Authorization"] = f"{scheme} {token}"
            self.secrets.add(headers["Authorization"])
        event = session_event(route, raw=body, headers=headers, request_id=_id())
        return self._send(event, MESSAGES[route], status)


def _id() -> str:
    return str(uuid.uuid4())


@pytest.fixture
def requests_made(invoke, handler_clock, monkeypatch, caplog, capsys) -> Requests:
    """Every outcome of every session route, the secrets each involved remembered."""
    capture_function_output(monkeypatch)
    caplog.set_level(logging.INFO)
    sent = Requests(invoke)

    token = sent.login(session=True, device="phone").body["session"]["token"]
    sent.login(400, session="yes")
    sent.call(TOKEN, token, 201)
    sent.call(TOKEN, token, 201, body=json.dumps({"room_name": "channel-7654321"}))
    sent.call(TOKEN, token, 403, body=json.dumps({"room_name": "channel-1"}))
    sent.call(TOKEN, token, 403, body=json.dumps({"participant_identity": "someone"}))
    sent.call(TOKEN, token, 400, body=json.dumps({"participant_name": "x"}))
    sent.call(TOKEN, None, 401)
    sent.call(TOKEN, "Zm9vOmJhcg-basic-credentials", 401, scheme="Basic")
    sent.call(TOKEN, "a" * 22 + "." + "b" * 43, 401)
    sent.call(TOKEN, token.split(".")[0] + ".not-the-secret", 401)
    renewed = sent.call(REFRESH, token, 200).body["token"]
    handler_clock.advance(ROTATION_GRACE_SECONDS + 1)
    sent.call(TOKEN, token, 401)  # late reuse: the family is revoked
    sent.call(TOKEN, renewed, 401)
    sent.call(LOGOUT, DEMO_SESSION_TOKENS["logout"], 204)
    sent.call(LOGOUT, DEMO_SESSION_TOKENS["logout"], 401)
    # A server error on the token route: the LiveKit secret is gone from SSM.
    boto3.client("ssm").delete_parameter(Name=CREDENTIALS_PARAMETER)
    credentials.ssm_provider.clear_cache()
    parameters.clear_caches()
    sent.call(TOKEN, DEMO_SESSION_TOKENS["token"], 500)
    return sent


def everything_written(capsys, caplog) -> tuple[list[str], str]:
    lines, err = output_lines(capsys)
    other_loggers = "\n".join(f"{record.getMessage()} {vars(record)}" for record in caplog.records)
    return lines, "\n".join([*lines, err, other_loggers])


def test_no_session_token_hash_or_authorization_header_is_logged(requests_made, capsys, caplog):
    # Given: every outcome of every session route (the fixture)
    # When: everything the function wrote is read
    lines, everything = everything_written(capsys, caplog)
    # Then: no secret, whole or in part, and no Authorization header
    assert len(lines) > len(requests_made.sent)  # the output really was captured
    leaked = sorted(secret[:8] + "..." for secret in requests_made.secrets if secret in everything)
    assert leaked == []
    assert "Bearer" not in everything


def test_one_outcome_line_per_request_with_its_routes_message(requests_made, capsys, caplog):
    # Given: every outcome of every session route (the fixture)
    # When
    lines, _ = everything_written(capsys, caplog)
    records = [json.loads(line) for line in lines]
    # Then: one outcome line per request, with its route's message; who, never which session
    for request_id, (message, status) in requests_made.sent.items():
        mine = [record for record in records if record.get("correlation_id") == request_id and "outcome" in record]
        assert [(record["message"], record["status"]) for record in mine] == [(message, status)]
        if 200 <= status < 300 and message != "login attempt":
            assert mine[0]["username"] == DEMO.username
