"""The pieces of sessions that need no AWS: tokens and their hashes, the Bearer header, CORS, the template."""

from __future__ import annotations

import base64
import hashlib

import pytest
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from inputs import MAX_DEVICE_LENGTH
from livekit_auth import browser, messages
from livekit_auth.config import SESSION_IDLE, TOKEN_ENDPOINT_TTL, load_settings
from livekit_auth.routes import TOKEN
from livekit_auth.session_tokens import (
    SECRET_BYTES,
    TOKEN_PATTERN,
    new_session_token,
    open_successor,
    seal_successor,
    token_hash,
)
from livekit_auth.sessions import LAST_USE_WRITE_SECONDS
from livekit_auth.storage.sessions import TokenRecord
from session_inputs import bearer_token
from tools.ci.cfn_template import load_template, table_specs
from tools.local.events import proxy_event

ALLOWLIST = ("https://app.example.com",)


def test_a_session_token_carries_256_random_bits_after_its_id():
    token = new_session_token("s" * 22)
    assert TOKEN_PATTERN.fullmatch(token)
    secret = token.split(".", 1)[1]
    assert len(base64.urlsafe_b64decode(secret + "=")) == SECRET_BYTES >= 32
    assert new_session_token("s" * 22) != token


def test_only_the_sha256_of_a_token_is_stored():
    assert token_hash("abc.def") == hashlib.sha256(b"abc.def").hexdigest()


def test_a_sealed_successor_opens_only_with_the_token_it_was_sealed_under():
    """What the old token's item keeps for a replayed refresh (issue 18, M1): the old token opens it; another
    token of the session, a changed seal or a seal without its successor's hash opens nothing."""
    old, successor, other = (new_session_token("s" * 22) for _ in range(3))
    sealed = seal_successor(old, successor)
    kept = TokenRecord(rotated_at=1, successor_hash=token_hash(successor), successor_sealed=sealed)
    assert open_successor(old, kept) == successor
    assert successor.split(".", 1)[1] not in sealed
    assert open_successor(other, kept) is None
    changed = bytearray(base64.urlsafe_b64decode(sealed + "="))
    changed[0] ^= 1
    tampered = base64.urlsafe_b64encode(changed).decode().rstrip("=")
    assert open_successor(old, TokenRecord(1, token_hash(successor), tampered)) is None
    assert open_successor(old, TokenRecord(1, None, sealed)) is None
    assert seal_successor(old, successor) == sealed != seal_successor(other, successor)


@pytest.mark.parametrize(
    ("header", "token"),
    [
        ("Bearer abc.def", "abc.def"),
        ("bearer   abc.def ", "abc.def"),
        ("BEARER abc", "abc"),
        ("Basic abc", None),
        ("Bearer", None),
        ("Bearer ", None),
        ("", None),
        ("abc.def", None),
    ],
)
def test_bearer_token(header, token):
    event = proxy_event("POST", "/api/auth/token/", resource=TOKEN.path, headers={"Authorization": header})
    assert bearer_token(APIGatewayProxyEvent(event)) == token


def test_session_preflights_allow_authorization_and_the_logins_stays_content_type_only():
    assert browser.preflight_headers(ALLOWLIST[0], ALLOWLIST, browser.SESSION_HEADERS)[
        "Access-Control-Allow-Headers"
    ] == ("Authorization, Content-Type")
    assert browser.preflight_headers(ALLOWLIST[0], ALLOWLIST)["Access-Control-Allow-Headers"] == "Content-Type"
    assert browser.preflight_headers("https://evil.example", ALLOWLIST, browser.SESSION_HEADERS) == {"Vary": "Origin"}


def test_session_defaults():
    settings = load_settings({})
    assert settings.session_max_age_seconds == 30 * 86400
    assert settings.session_idle_seconds == 7 * 86400
    assert settings.token_endpoint_ttl_seconds == TOKEN_ENDPOINT_TTL.default == 600


def test_idle_expiry_cannot_be_shorter_than_two_last_use_intervals():
    """Otherwise a session used steadily could idle out between two recorded uses."""
    assert SESSION_IDLE.low >= 2 * LAST_USE_WRITE_SECONDS


def test_the_sessions_table_expires_items_through_ttl_and_indexes_sessions_by_user():
    spec = next(spec for spec in table_specs() if spec.logical_id == "SessionsTable")
    assert spec.env_var == "SESSIONS_TABLE"
    assert spec.ttl_attribute == "expires_at"
    (index,) = spec.properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "ByUser"
    assert [key["AttributeName"] for key in index["KeySchema"]] == ["user_id", "created_at"]


def test_the_function_gets_the_sessions_table_and_the_outputs_name_it():
    template = load_template()
    variables = template["Resources"]["AuthClientFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["SESSIONS_TABLE"] == {"Ref": "SessionsTable"}
    assert template["Outputs"]["TokenEndpointUrl"]["Value"]["Fn::Sub"].endswith("/api/auth/token/")


def test_the_invalid_device_message_names_the_length_the_input_model_enforces():
    # Given: the limit lives in inputs.py, and the Persian message states it in Persian digits
    persian_digits = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
    stated = str(MAX_DEVICE_LENGTH).translate(persian_digits)
    # Then: a changed limit without a changed message fails here
    assert f" {stated} " in messages.INVALID_DEVICE
