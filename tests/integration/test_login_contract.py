"""Every row of the API guide, through the real handler, against emulated DynamoDB and SSM."""

import base64
import json
import re

import boto3
import pytest
from livekit.api import TokenVerifier

from livekit_auth import config, messages
from livekit_auth.tokens import LiveKitCredentials
from tests.support.handler import call_handler
from tools.ci.make_events import EVENTS
from tools.local.demo_data import DEMO, DEMO_PASSWORD, INACTIVE, NO_CHANNELS, NO_DATA, VIEWER
from tools.local.events import login_event, proxy_event
from tools.local.fake_aws import API_KEY, API_SECRET, CREDENTIALS_PARAMETER, LIVEKIT_URL

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


# ---- 200 ------------------------------------------------------------------------------------------


def test_success_has_exactly_the_guides_shape(good_login, demo_users):
    answer = good_login(DEMO.username, server_url="https://livekit.yourdomain.com")
    assert answer.status == 200
    body = answer.body
    assert set(body) == {"success", "user_id", "username", "channels", "tokens", "server_url"}
    assert body["success"] is True
    assert body["user_id"] == demo_users[DEMO.username]
    assert UUID.match(body["user_id"])
    assert body["username"] == DEMO.username
    assert body["channels"] == [
        {"channel_id": 1234567, "name": "کانال عمومی"},
        {"channel_id": 7654321, "name": "کانال خصوصی"},
    ]
    assert list(body["tokens"]) == ["1234567", "7654321"]
    for channel in body["channels"]:
        token_entry = body["tokens"][str(channel["channel_id"])]
        assert set(token_entry) == {"token", "room", "name"}
        assert token_entry["room"] == f"channel-{channel['channel_id']}"
        assert token_entry["name"] == channel["name"]
    assert body["server_url"] == "https://livekit.yourdomain.com"


def test_channel_ids_are_numbers_in_channels_and_string_keys_in_tokens(good_login):
    raw = good_login(DEMO.username).raw["body"]
    assert '"channel_id":1234567' in raw
    assert '"1234567":{' in raw


def test_every_token_passes_livekits_verifier_with_the_right_claims(good_login, demo_users):
    body = good_login(DEMO.username).body
    verifier = TokenVerifier(API_KEY, API_SECRET)
    for channel_id, entry in body["tokens"].items():
        claims = verifier.verify(entry["token"])
        assert claims.identity == demo_users[DEMO.username]
        assert claims.name == DEMO.username
        assert claims.video.room == f"channel-{channel_id}"
        assert claims.video.room_join is True
        assert (claims.video.can_publish, claims.video.can_subscribe, claims.video.can_publish_data) == (True,) * 3


def test_tokens_are_unique_per_channel(good_login):
    tokens = [entry["token"] for entry in good_login(DEMO.username).body["tokens"].values()]
    assert len(set(tokens)) == len(tokens) == 2


def test_token_lifetime_follows_the_configured_ttl(good_login, monkeypatch):
    monkeypatch.setenv("TOKEN_TTL_SECONDS", "600")
    token = good_login(DEMO.username).body["tokens"]["1234567"]["token"]
    _, payload, _ = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    assert claims["exp"] - claims["nbf"] == 600
    assert claims["iss"] == API_KEY


def test_a_read_only_membership_gives_a_token_that_cannot_publish(good_login):
    token = good_login(VIEWER.username).body["tokens"]["1234567"]["token"]
    claims = TokenVerifier(API_KEY, API_SECRET).verify(token)
    assert claims.video.can_publish is False
    assert claims.video.can_subscribe is True


def test_server_url_defaults_to_the_configured_livekit_url(good_login):
    assert good_login(DEMO.username).body["server_url"] == LIVEKIT_URL


def test_usernames_are_trimmed_and_lower_cased_at_login(good_login):
    answer = good_login("  Demo@EXAMPLE.com\t")
    assert answer.status == 200
    assert answer.body["username"] == DEMO.username


@pytest.mark.parametrize("url", ["ws://localhost:7880", "wss://lk.example.com", "http://10.0.0.1:7880", "HTTPS://A.B"])
def test_any_http_or_websocket_server_url_is_echoed(good_login, url):
    assert good_login(DEMO.username, server_url=url).body["server_url"] == url


# ---- the guide's error rows -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"username": DEMO.username},
        {"password": DEMO_PASSWORD},
        {"username": "", "password": DEMO_PASSWORD},
        {"username": "   ", "password": DEMO_PASSWORD},
        {"username": DEMO.username, "password": ""},
        {"username": None, "password": None},
        {"username": 7, "password": DEMO_PASSWORD},
        {"username": DEMO.username, "password": ["x"]},
        {"username": {"$ne": ""}, "password": {"$ne": ""}},
    ],
)
def test_400_when_username_or_password_is_missing_empty_or_not_a_string(invoke, body):
    answer = invoke(login_event(body))
    assert (answer.status, answer.body) == (400, {"error": messages.USERNAME_AND_PASSWORD_REQUIRED})


@pytest.mark.parametrize(
    ("username", "password"),
    [
        (DEMO.username, "wrong-password"),
        ("nobody@example.com", DEMO_PASSWORD),
        (DEMO.username, DEMO_PASSWORD.upper()),
        (DEMO.username, DEMO_PASSWORD + " "),
        (DEMO.username, "x" * 73),
        ("x" * 300 + "@example.com", DEMO_PASSWORD),
        (DEMO.username, "\x00"),
    ],
)
def test_401_for_a_wrong_password_or_an_unknown_user_alike(attempt_login, username, password):
    answer = attempt_login(username, password)
    assert (answer.status, answer.body) == (401, {"error": messages.INVALID_CREDENTIALS})


def test_403_inactive_with_the_right_password(good_login):
    assert good_login(INACTIVE.username).body == {"error": messages.ACCOUNT_INACTIVE}
    assert good_login(INACTIVE.username).status == 403


def test_an_inactive_account_with_a_wrong_password_is_a_plain_401(guess):
    """Inactive is told only after the password verified."""
    wrong = guess(INACTIVE.username)
    assert (wrong.status, wrong.body) == (401, {"error": messages.INVALID_CREDENTIALS})


def test_403_no_channels_for_a_user_whose_record_grants_none(good_login):
    answer = good_login(NO_CHANNELS.username)
    assert (answer.status, answer.body) == (403, {"error": messages.NO_CHANNELS})


def test_404_when_the_user_has_no_record_in_the_channels_table(good_login):
    answer = good_login(NO_DATA.username)
    assert (answer.status, answer.body) == (404, {"error": messages.USER_DATA_NOT_FOUND})


def test_a_user_without_a_channels_record_and_a_wrong_password_is_a_401(guess):
    wrong = guess(NO_DATA.username)
    assert wrong.status == 401


def test_500_has_the_guides_body_with_the_request_id_and_no_exception_text(invoke, function_env):
    boto3.client("dynamodb").delete_table(TableName=function_env["USERS_TABLE"])
    event = login_event({"username": DEMO.username, "password": DEMO_PASSWORD}, request_id="req-1234")
    answer = invoke(event)
    assert answer.status == 500
    assert answer.body == {"error": messages.SERVER_ERROR, "details": "شناسه درخواست: req-1234"}
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_500_when_the_ssm_parameters_are_missing(invoke):
    boto3.client("ssm").delete_parameter(Name=CREDENTIALS_PARAMETER)
    answer = invoke(login_event({"username": DEMO.username, "password": DEMO_PASSWORD}))
    assert answer.status == 500
    assert answer.body["error"] == messages.SERVER_ERROR


def test_500_when_the_deployed_secret_is_shorter_than_32_bytes(invoke, monkeypatch):
    monkeypatch.setenv("LOCAL_MODE", "false")  # as deployed: only sam local's condition sets it
    monkeypatch.setenv("BCRYPT_ROUNDS", str(config.BCRYPT_ROUNDS.low))
    short = LiveKitCredentials(API_KEY, "short").parameter_value()
    boto3.client("ssm").put_parameter(Name=CREDENTIALS_PARAMETER, Value=short, Type="SecureString", Overwrite=True)
    assert invoke(login_event({"username": DEMO.username, "password": DEMO_PASSWORD})).status == 500


def test_local_mode_accepts_the_livekit_dev_secret_from_the_guides_variables(good_login, monkeypatch):
    for name in ("LIVEKIT_CREDENTIALS_PARAMETER", "LIVEKIT_API_KEY_PARAMETER", "LIVEKIT_API_SECRET_PARAMETER"):
        monkeypatch.delenv(name)
    monkeypatch.setenv("LIVEKIT_SERVER_API_KEY", "devkey")
    monkeypatch.setenv("LIVEKIT_SERVER_API_SECRET", "secret")
    monkeypatch.setenv("LOCAL_MODE", "true")
    token = good_login(DEMO.username).body["tokens"]["1234567"]["token"]
    assert TokenVerifier("devkey", "secret").verify(token).video.room == "channel-1234567"


# ---- bad input: a clear 4xx with a Persian error, never a 500 -------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "error"),
    [
        ("", 400, messages.USERNAME_AND_PASSWORD_REQUIRED),
        ("not json", 400, messages.INVALID_JSON_BODY),
        ("{", 400, messages.INVALID_JSON_BODY),
        ("[1, 2]", 400, messages.INVALID_JSON_BODY),
        ('"username"', 400, messages.INVALID_JSON_BODY),
        ("null", 400, messages.INVALID_JSON_BODY),
        ("[" * 5000 + "]" * 5000, 400, messages.INVALID_JSON_BODY),
        ('{"username": "demo@example.com", "password": "\\ud800"}', 400, messages.INVALID_CHARACTERS),
        ('{"username": "\\udfff@example.com", "password": "x"}', 400, messages.INVALID_CHARACTERS),
        (json.dumps({"username": "a", "password": "b", "pad": "x" * 20000}), 413, messages.PAYLOAD_TOO_LARGE),
    ],
)
def test_malformed_bodies(invoke, raw, status, error):
    answer = invoke(login_event(raw=raw))
    assert (answer.status, answer.body) == (status, {"error": error})


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/xml"],
)
def test_415_for_anything_but_json_the_simple_requests_other_sites_can_send(invoke, content_type):
    event = login_event({"username": DEMO.username, "password": DEMO_PASSWORD})
    event["headers"] = {"Content-Type": content_type} if content_type else {}
    event["multiValueHeaders"] = {k: [v] for k, v in event["headers"].items()}
    answer = invoke(event)
    assert (answer.status, answer.body) == (415, {"error": messages.UNSUPPORTED_MEDIA_TYPE})


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "APPLICATION/JSON", "application/ld+json"])
def test_json_media_types_with_parameters_or_suffixes_are_accepted(invoke, content_type):
    event = login_event({"username": DEMO.username, "password": DEMO_PASSWORD}, headers={"Content-Type": content_type})
    assert invoke(event).status == 200


def test_a_base64_encoded_body_is_decoded(invoke):
    event = login_event(raw=json.dumps({"username": DEMO.username, "password": DEMO_PASSWORD}), base64_body=True)
    assert event["isBase64Encoded"] is True
    assert invoke(event).status == 200


@pytest.mark.parametrize("raw", ["%%%", "aGVsbG8", base64.b64encode(b"\xff\xfe").decode()])
def test_a_broken_base64_body_is_a_400(invoke, raw):
    event = login_event(raw=raw)
    event["isBase64Encoded"] = True
    answer = invoke(event)
    assert answer.status == 400
    assert answer.body["error"] == messages.INVALID_JSON_BODY


@pytest.mark.parametrize(
    "url",
    ["ftp://lk.example", "javascript:alert(1)", "livekit.example.com", "wss://", "https://a b", 42, True, ["wss://x"]],
)
def test_an_invalid_server_url_is_a_400(good_login, url):
    answer = good_login(DEMO.username, server_url=url)
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_SERVER_URL})


def test_an_empty_or_null_server_url_means_the_default(good_login):
    assert good_login(DEMO.username, server_url="").body["server_url"] == LIVEKIT_URL
    assert good_login(DEMO.username, server_url=None).body["server_url"] == LIVEKIT_URL


def test_an_unknown_route_is_a_persian_404(invoke):
    answer = invoke(proxy_event("GET", "/api/other", resource="/api/other"))
    assert (answer.status, answer.body) == (404, {"error": messages.ROUTE_NOT_FOUND})


def test_the_path_works_with_and_without_the_trailing_slash(invoke):
    event = login_event({"username": DEMO.username, "password": DEMO_PASSWORD})
    event["path"] = "/api/auth/client"
    assert invoke(event).status == 200


# ---- headers: CORS and security ----------------------------------------------------------------------------


def test_every_answer_carries_no_store_nosniff_and_cors(good_login, guess):
    for answer in (good_login(DEMO.username), guess(DEMO.username), good_login(NO_DATA.username)):
        assert answer.headers["Cache-Control"] == "no-store"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Access-Control-Allow-Origin"] == "*"
        assert answer.headers["Content-Type"].startswith("application/json")


def test_preflight_answers_the_one_method_and_header_with_a_max_age(invoke):
    answer = call_handler(EVENTS["preflight"][1])
    assert answer.status == 204
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
    assert answer.headers["Access-Control-Allow-Methods"] == "POST"
    assert answer.headers["Access-Control-Allow-Headers"] == "Content-Type"
    assert int(answer.headers["Access-Control-Max-Age"]) >= 600


def test_with_an_allowlist_only_listed_origins_are_answered_and_vary_is_set(good_login, guess, monkeypatch):
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://app.example.com")
    listed = good_login(DEMO.username, headers={"Origin": "https://app.example.com"})
    assert listed.headers["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert listed.headers["Vary"] == "Origin"
    other = guess(DEMO.username, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in other.headers
    assert other.headers["Vary"] == "Origin"


def test_an_error_answer_is_readable_by_the_browser(guess):
    """The guide's client reads data.error on failure: that needs the CORS header on errors too."""
    answer = guess(DEMO.username, headers={"Origin": "https://app.example.com"})
    assert answer.status == 401
    assert answer.headers["Access-Control-Allow-Origin"] == "*"
