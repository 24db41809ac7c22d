"""The local stack over real HTTP: the guide's answers, CORS, routing, authctl --local, and the guide's own client."""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from livekit_auth import messages
from livekit_authctl import cli as authctl
from tests.support.settings import BCRYPT_ROUNDS, DEFAULT_SETTINGS
from tools.local import api_gateway, fake_aws
from tools.local import stack as local_stack
from tools.local.demo_data import (
    DEMO,
    DEMO_PASSWORD,
    INACTIVE,
    NO_CHANNELS,
    NO_DATA,
    PRIVATE_CHANNEL,
    PUBLIC_CHANNEL,
)

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "auth-api-guide.fa.md"  # the contract
GUIDE_CLIENT = Path(__file__).with_name("guide_client.mjs")
TIMEOUT = 10


def post(stack: local_stack.LocalStack, body: object, *, url: str | None = None, **kwargs) -> requests.Response:
    return requests.post(url or stack.api_url, json=body, timeout=TIMEOUT, **kwargs)


@pytest.fixture
def local_authctl(stack, stand_in_livekit, monkeypatch: pytest.MonkeyPatch, capsys):
    """authctl --local against the stack, as `make run` users call it: authctl_local(*argv, stdin="")."""
    monkeypatch.setenv("EMULATOR_PORT", str(urlsplit(stack.emulator_url).port))
    monkeypatch.setenv("LIVEKIT_SERVER_URL", stand_in_livekit.url)  # the same environment as the stack's
    monkeypatch.setenv("BCRYPT_ROUNDS", str(BCRYPT_ROUNDS))

    def run(*argv: str, stdin: str = "") -> str:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
        code = authctl.main(["--local", *argv])
        out, err = capsys.readouterr()
        assert code == 0, err
        return out

    return run


# ---- the guide's success and error rows ---------------------------------------------------------------


def test_login_answers_the_guides_success_shape(stack):
    response = post(stack, {"username": DEMO.username, "password": DEMO_PASSWORD, "server_url": "wss://lk.example"})

    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json()
    assert list(body) == ["success", "user_id", "username", "channels", "tokens", "server_url"]
    assert body["success"] is True
    assert body["username"] == DEMO.username
    assert body["server_url"] == "wss://lk.example"
    assert body["channels"] == [
        {"channel_id": PUBLIC_CHANNEL[0], "name": PUBLIC_CHANNEL[1]},
        {"channel_id": PRIVATE_CHANNEL[0], "name": PRIVATE_CHANNEL[1]},
    ]
    assert list(body["tokens"]) == [str(PUBLIC_CHANNEL[0]), str(PRIVATE_CHANNEL[0])]
    for channel_id, name in (PUBLIC_CHANNEL, PRIVATE_CHANNEL):
        entry = body["tokens"][str(channel_id)]
        assert (entry["room"], entry["name"]) == (f"channel-{channel_id}", name)
        with warnings.catch_warnings():  # LiveKit's development secret is short on purpose
            warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
            claims = jwt.decode(entry["token"], fake_aws.DEV_API_SECRET, algorithms=["HS256"])
        assert (claims["iss"], claims["sub"]) == (fake_aws.DEV_API_KEY, body["user_id"])
        assert claims["video"]["room"] == f"channel-{channel_id}"


def test_without_server_url_the_local_livekit_is_named(stack, stand_in_livekit):
    response = post(stack, {"username": DEMO.username, "password": DEMO_PASSWORD})
    assert response.json()["server_url"] == stand_in_livekit.url  # LIVEKIT_SERVER_URL, as `make run` lets it be set


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        pytest.param({"username": DEMO.username}, 400, messages.USERNAME_AND_PASSWORD_REQUIRED, id="400"),
        pytest.param({"username": "nobody@example.com", "password": "x"}, 401, messages.INVALID_CREDENTIALS, id="401"),
        pytest.param(
            {"username": INACTIVE.username, "password": DEMO_PASSWORD}, 403, messages.ACCOUNT_INACTIVE, id="403"
        ),
        pytest.param(
            {"username": NO_CHANNELS.username, "password": DEMO_PASSWORD}, 403, messages.NO_CHANNELS, id="403-none"
        ),
        pytest.param(
            {"username": NO_DATA.username, "password": DEMO_PASSWORD}, 404, messages.USER_DATA_NOT_FOUND, id="404"
        ),
    ],
)
def test_error_rows_of_the_guide(stack, body, status, message):
    response = post(stack, body)
    assert (response.status_code, response.json()) == (status, {"error": message})
    assert response.headers["Access-Control-Allow-Origin"] == "*"


def test_wrong_password_is_401(stack):
    response = post(stack, {"username": DEMO.username, "password": "not-the-password"})
    assert (response.status_code, response.json()) == (401, {"error": messages.INVALID_CREDENTIALS})


def test_non_json_content_type_is_415(stack):
    response = requests.post(stack.api_url, data="username=x", headers={"Content-Type": "text/plain"}, timeout=TIMEOUT)
    assert (response.status_code, response.json()) == (415, {"error": messages.UNSUPPORTED_MEDIA_TYPE})


def test_bodies_too_large_are_413_from_the_function_and_from_the_gateway(stack):
    from_function = post(stack, {"username": DEMO.username, "password": DEMO_PASSWORD, "pad": "x" * 20_000})
    assert (from_function.status_code, from_function.json()) == (413, {"error": messages.PAYLOAD_TOO_LARGE})

    huge = b"x" * (api_gateway.MAX_REQUEST_BYTES + 1)
    headers = {"Content-Type": "application/json"}
    from_gateway = requests.post(stack.api_url, data=huge, headers=headers, timeout=TIMEOUT)
    assert (from_gateway.status_code, from_gateway.json()) == (413, {"error": messages.PAYLOAD_TOO_LARGE})


def test_repeated_failures_lock_the_account_with_429(stack, local_authctl):
    username = "locked.out@example.com"
    local_authctl("user", "add", username, "--password-stdin", stdin="the-right-password")
    for _ in range(DEFAULT_SETTINGS.lockout_threshold):  # the stack runs with the configured default
        assert post(stack, {"username": username, "password": "wrong"}).status_code == 401

    locked = post(stack, {"username": username, "password": "the-right-password"})
    assert (locked.status_code, locked.json()) == (429, {"error": messages.TOO_MANY_ATTEMPTS})
    assert int(locked.headers["Retry-After"]) >= 1


# ---- routing and CORS, as API Gateway does them ---------------------------------------------------------


def test_the_path_works_with_and_without_its_trailing_slash(stack):
    body = {"username": DEMO.username, "password": DEMO_PASSWORD}
    assert stack.api_url.endswith("/api/auth/client/")
    assert post(stack, body).status_code == 200
    assert post(stack, body, url=stack.api_url.rstrip("/")).status_code == 200
    assert post(stack, body, url=stack.api_url + "?source=test").status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/auth/client/"),
        ("POST", "/api/unknown"),
        ("GET", "/"),
        ("TRACE", "/api/auth/client/"),  # schemathesis found http.server's 501 HTML page here
        ("PROPFIND", "/api/auth/token/"),
    ],
)
def test_other_routes_get_the_gateways_404(stack, method, path):
    response = requests.request(method, stack.api_url.removesuffix("/api/auth/client/") + path, timeout=TIMEOUT)
    assert (response.status_code, response.json()) == (404, {"error": messages.ROUTE_NOT_FOUND})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_emulator_runs_a_transaction_once_per_client_request_token(stack):
    """As DynamoDB does: botocore's retry of a timed-out TransactWriteItems (same token) must not fail on the
    first try's own write, which gave the local stack's login a 500 under load."""
    table = stack.tables["SESSIONS_TABLE"]
    item = {"pk": {"S": "idempotency-test"}, "sk": {"S": "SESSION"}, "expires_at": {"N": "1"}}
    put = {"Put": {"TableName": table, "Item": item, "ConditionExpression": "attribute_not_exists(pk)"}}
    dynamodb = fake_aws.local_client("dynamodb", stack.emulator_url)
    for _ in range(2):
        dynamodb.transact_write_items(TransactItems=[put], ClientRequestToken="one-login")
    with pytest.raises(dynamodb.exceptions.TransactionCanceledException):
        dynamodb.transact_write_items(TransactItems=[put], ClientRequestToken="another-login")


def test_a_request_http_server_refuses_gets_the_gateways_json(stack):
    """http.server's own refusals speak as the template's DEFAULT_4XX, not as its HTML error page."""
    address = urlsplit(stack.api_url)
    with socket.create_connection((address.hostname, address.port), timeout=TIMEOUT) as connection:
        too_many_headers = b"".join(b"X-%d: 1\r\n" % number for number in range(101))  # http.server takes 100
        connection.sendall(b"POST /api/auth/client/ HTTP/1.1\r\n" + too_many_headers + b"\r\n")
        answer = connection.makefile("rb").read().decode("utf-8")
    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith("HTTP/1.1 431 ")
    assert "Content-Type: application/json" in head.split("\r\n")
    assert json.loads(body) == {"error": messages.BAD_REQUEST}


def test_cors_preflight(stack):
    response = requests.options(
        stack.api_url,
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
        timeout=TIMEOUT,
    )
    assert response.status_code == 204
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Access-Control-Allow-Methods"] == "POST"
    assert response.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert response.content == b""


def test_one_connection_carries_several_requests(stack):
    with requests.Session() as session:
        for _ in range(3):
            response = session.post(stack.api_url, json={"username": DEMO.username}, timeout=TIMEOUT)
            assert response.status_code == 400


# ---- users managed with authctl --local ----------------------------------------------------------------


def test_users_made_with_authctl_local_log_in(stack, local_authctl, stand_in_livekit):
    username, password = "made.locally@example.com", "made-locally-password"
    user_id = local_authctl("user", "add", username, "--password-stdin", stdin=password + "\n").strip()
    assert post(stack, {"username": username, "password": password}).status_code == 403  # no channel yet

    local_authctl("channel", "add", "555", "Local channel")
    local_authctl("grant", username, "555", "--no-publish")
    # a grant without publishing restricts who is in the room
    assert stand_in_livekit.calls[-1].method == "ListParticipants"
    assert stand_in_livekit.calls[-1].body == {"room": "channel-555"}
    response = post(stack, {"username": username, "password": password})
    assert response.status_code == 200, response.text
    assert response.json()["user_id"] == user_id
    assert response.json()["channels"] == [{"channel_id": 555, "name": "Local channel"}]


def test_the_authctl_command_needs_no_aws_settings_for_local(stack):
    """`authctl --local` from a bare shell: no AWS region, profile or credentials set."""
    bare = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    bare["EMULATOR_PORT"] = str(urlsplit(stack.emulator_url).port)
    command = [str(Path(sys.executable).with_name("authctl")), "--local", "channel", "list"]
    completed = subprocess.run(command, capture_output=True, text=True, env=bare, timeout=60, check=False)  # noqa: S603
    assert completed.returncode == 0, completed.stderr
    assert f"{PUBLIC_CHANNEL[0]}\t" in completed.stdout


def test_the_stack_reports_its_deterministic_table_names(stack):
    assert stack.tables == local_stack.local_table_names()
    assert stack.tables["USERS_TABLE"] == "local-UsersTable"


# ---- the guide's JavaScript client --------------------------------------------------------------------------


def run_guide_client(stack, username: str, password: str, *server_url: str) -> dict:
    node = shutil.which("node")
    assert node, "the guide's client needs node 20+ on PATH"
    completed = subprocess.run(  # noqa: S603 - our own script and test data
        [node, str(GUIDE_CLIENT), username, password, *server_url],
        capture_output=True,
        text=True,
        env={**os.environ, "AUTH_API_URL": stack.api_url},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_guide_client_logs_in_and_finds_the_first_room(stack):
    output = run_guide_client(stack, DEMO.username, DEMO_PASSWORD, "https://livekit.yourdomain.com")
    assert output["ok"] is True, output
    assert output["room"] == f"channel-{PUBLIC_CHANNEL[0]}"
    assert output["serverUrl"] == "https://livekit.yourdomain.com"
    assert set(output["result"]["tokens"]) == {str(PUBLIC_CHANNEL[0]), str(PRIVATE_CHANNEL[0])}
    assert all(entry["token"].count(".") == 2 for entry in output["result"]["tokens"].values())


def test_guide_client_shows_the_persian_401_message(stack):
    output = run_guide_client(stack, DEMO.username, "not-the-password")
    assert output == {"ok": False, "message": messages.INVALID_CREDENTIALS}


def test_guide_client_holds_the_guides_function_unchanged_but_for_the_url():
    guide = GUIDE.read_text(encoding="utf-8")
    start = guide.index("async function authenticateUser")
    function = guide[start : guide.index("\n}\n", start) + 3]
    expected = function.replace("'http://your-backend-url/api/auth/client/'", "API_URL")
    assert expected != function
    assert expected in GUIDE_CLIENT.read_text(encoding="utf-8")


def test_serve_api_runs_the_api_over_tables_that_already_exist(stack):
    """What the deploy rehearsal does: the local API in front of tables someone else created."""
    api = local_stack.serve_api(0, stack.emulator_url, stack.tables, env={"BCRYPT_ROUNDS": str(BCRYPT_ROUNDS)})
    try:
        assert api.api_url != stack.api_url
        response = post(stack, {"username": DEMO.username, "password": DEMO_PASSWORD}, url=api.api_url)
        assert response.status_code == 200, response.text
        assert response.json()["channels"][0]["channel_id"] == PUBLIC_CHANNEL[0]
    finally:
        api.stop()
    assert api.process.poll() is not None


def test_a_stack_that_cannot_start_says_why():
    with socket.socket() as taken:
        taken.bind((local_stack.HOST, 0))
        taken.listen()
        with pytest.raises(RuntimeError, match="Address already in use"):
            local_stack.start(taken.getsockname()[1], 0, seed_demo=False)
