"""Sessions over real HTTP on the local stack (`make run`): the banner's session line, the token endpoint,
refresh, logout, CORS preflights and authctl --local."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from urllib.parse import urlsplit

import pytest
import requests
from livekit.api import TokenVerifier

from livekit_auth import messages
from livekit_auth.routes import LOGIN, LOGOUT, REFRESH, TOKEN, WEBHOOK
from livekit_authctl import cli as authctl
from tools.local import fake_aws
from tools.local import stack as local_stack
from tools.local.demo_data import DEMO, DEMO_PASSWORD
from tools.local.fake_livekit import sign_webhook, webhook_body

TIMEOUT = 10


def url(stack: local_stack.LocalStack, path: str) -> str:
    return stack.api_url.removesuffix(LOGIN.public_path) + path


def open_session(stack, device: str = "e2e") -> dict:
    body = {"username": DEMO.username, "password": DEMO_PASSWORD, "session": True, "device": device}
    answer = requests.post(stack.api_url, json=body, timeout=TIMEOUT)
    assert answer.status_code == 200
    return answer.json()["session"]


def post(stack, path: str, token: str | None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(url(stack, path), headers=headers, timeout=TIMEOUT, **kwargs)


def test_the_banners_session_line_opens_a_session_and_fetches_a_token(stack):
    banner = stack.log_path.read_text(encoding="utf-8")
    (line,) = [line for line in banner.splitlines() if line.startswith("  a session: ")]
    completed = subprocess.run(  # noqa: S603 - the banner's own command line, as a reader would paste it
        ["/bin/bash", "-c", line.removeprefix("  a session: ")], capture_output=True, text=True, timeout=30, check=False
    )
    assert completed.returncode == 0, completed.stderr
    body = json.loads(completed.stdout)
    assert body["room_name"] == "channel-1234567"
    claims = TokenVerifier(fake_aws.DEV_API_KEY, fake_aws.DEV_API_SECRET).verify(body["participant_token"])
    assert claims.name == DEMO.username


def test_token_refresh_and_logout_over_http(stack):
    session = open_session(stack)
    for path in (TOKEN.public_path, TOKEN.path):  # with and without the trailing slash
        answer = post(stack, path, session["token"], json={"room_name": "channel-7654321"})
        assert answer.status_code == 201
        assert answer.json()["room_name"] == "channel-7654321"
        assert answer.headers["Cache-Control"] == "no-store"
    empty = post(stack, TOKEN.public_path, session["token"])  # no body, no content type
    assert empty.status_code == 201

    renewed = post(stack, REFRESH.public_path, session["token"])
    assert renewed.status_code == 200
    assert renewed.json()["expires_at"] == session["expires_at"]
    assert post(stack, TOKEN.public_path, renewed.json()["token"], json={}).status_code == 201

    assert post(stack, LOGOUT.public_path, renewed.json()["token"]).status_code == 204
    refused = post(stack, TOKEN.public_path, renewed.json()["token"], json={})
    assert (refused.status_code, refused.json()) == (401, {"error": messages.SESSION_REQUIRED})
    assert refused.headers["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("path", [TOKEN.public_path, REFRESH.public_path, LOGOUT.public_path])
def test_session_preflights_allow_the_authorization_header(stack, path):
    answer = requests.options(
        url(stack, path),
        headers={"Origin": "https://app.example.com", "Access-Control-Request-Method": "POST"},
        timeout=TIMEOUT,
    )
    assert answer.status_code == 204
    assert answer.headers["Access-Control-Allow-Headers"] == "Authorization, Content-Type"
    assert answer.headers["Access-Control-Allow-Methods"] == "POST"


def test_the_logins_preflight_is_unchanged(stack):
    answer = requests.options(stack.api_url, headers={"Origin": "https://app.example.com"}, timeout=TIMEOUT)
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type"


def test_authctl_local_lists_and_ends_sessions(stack, stand_in_livekit, monkeypatch, capsys):
    token = open_session(stack, device="authctl-e2e")["token"]
    monkeypatch.setenv("EMULATOR_PORT", str(urlsplit(stack.emulator_url).port))
    monkeypatch.setenv("LIVEKIT_SERVER_URL", stand_in_livekit.url)  # the same environment as the stack's
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    assert authctl.main(["--local", "user", "sessions", DEMO.username]) == 0
    assert "authctl-e2e\t" in capsys.readouterr().out
    assert authctl.main(["--local", "user", "logout", DEMO.username]) == 0
    assert post(stack, TOKEN.public_path, token, json={}).status_code == 401


def test_the_request_log_holds_no_metric_lines(stack):
    """The function's EMF lines (ColdStart among them) are CloudWatch's to read, not the request log's."""
    assert open_session(stack, device="log-check")["token"]
    log = stack.log_path.read_text(encoding="utf-8")
    assert '"message":"login attempt"' in log
    assert not [line for line in log.splitlines() if line.startswith('{"_aws":')]


def test_a_logout_over_http_removes_that_device_from_the_livekit_rooms(stack, stand_in_livekit):
    body = {"username": DEMO.username, "password": DEMO_PASSWORD, "session": True, "device": "tablet"}
    login = requests.post(stack.api_url, json=body, timeout=TIMEOUT).json()
    user_id, room = login["user_id"], "channel-1234567"
    stand_in_livekit.rooms[room] = {f"{user_id}:tablet", f"{user_id}:phone"}

    assert post(stack, LOGOUT.public_path, login["session"]["token"]).status_code == 204

    assert stand_in_livekit.rooms[room] == {f"{user_id}:phone"}


def test_a_signed_webhook_over_http_removes_a_participant_without_an_account(stack, stand_in_livekit):
    identity, room = "00000000-0000-4000-8000-00000000e2e0", "channel-1234567"
    stand_in_livekit.rooms[room] = {identity}
    webhook = webhook_body("participant_joined", room, identity)
    signed = sign_webhook(webhook, stand_in_livekit.pair)
    headers = {"Authorization": signed, "Content-Type": "application/webhook+json"}

    answer = requests.post(url(stack, WEBHOOK.public_path), data=webhook, headers=headers, timeout=TIMEOUT)
    unsigned = requests.post(url(stack, WEBHOOK.public_path), data=webhook, timeout=TIMEOUT)

    assert (answer.status_code, unsigned.status_code, unsigned.content) == (200, 401, b"")
    assert stand_in_livekit.rooms[room] == set()
