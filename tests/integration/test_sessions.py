"""Sessions and the token endpoint (issue 11), through the real handler over emulated AWS, on a clock the test moves.

Opening a session is opt-in; the token endpoint answers LiveKit's TokenSourceRequest with one short
token; refresh rotates with a grace window and revokes the family on late reuse; logout ends it;
expiry is absolute and idle. Tokens are checked with LiveKit's own TokenVerifier.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from livekit.api import TokenVerifier

import app
from livekit_auth import messages
from livekit_auth.config import SESSION_IDLE, SESSION_MAX_AGE, TOKEN_ENDPOINT_TTL
from livekit_auth.sessions import LAST_USE_WRITE_SECONDS, ROTATION_GRACE_SECONDS, TOKEN_PATTERN, token_hash
from livekit_auth_tools.apigw import LOGOUT_RESOURCE, REFRESH_RESOURCE, TOKEN_RESOURCE, proxy_event
from livekit_auth_tools.demo_data import DEMO, PRIVATE_CHANNEL, PUBLIC_CHANNEL, VIEWER
from livekit_auth_tools.fake_aws import API_KEY, API_SECRET, LIVEKIT_URL
from tests.conftest import Answer
from tests.session_support import Clock, counting_dynamodb_calls, install_clock

GUIDE_KEYS = {"success", "user_id", "username", "channels", "tokens", "server_url"}
TOKEN_KEYS = {"server_url", "participant_token", "room_name", "participant_name"}
PUBLIC_ROOM, PRIVATE_ROOM = f"channel-{PUBLIC_CHANNEL[0]}", f"channel-{PRIVATE_CHANNEL[0]}"


@pytest.fixture
def clock(function_env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Clock:
    return install_clock(monkeypatch)


@pytest.fixture
def dynamodb_calls() -> Iterator[Counter]:
    with counting_dynamodb_calls() as calls:
        yield calls


def route(resource: str, token: str | None = None, body: Any = None, *, raw: str | None = None, **headers: str):
    """A POST to a session route (with the trailing slash, as clients send it)."""
    all_headers = {"Content-Type": "application/json", **headers}
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    text = raw if raw is not None else (None if body is None else json.dumps(body))
    return proxy_event("POST", resource + "/", resource=resource, headers=all_headers, body=text)


@pytest.fixture
def open_session(log_in: Callable[..., Answer], clock: Clock) -> Callable[..., str]:
    """open_session(username=DEMO, **extra login fields) -> the session token."""

    def _open(username: str = DEMO.username, **extra: Any) -> str:
        answer = log_in(username, session=True, **extra)
        assert answer.status == 200, answer.body
        return answer.body["session"]["token"]

    return _open


def fetch(invoke, token: str | None, body: Any = None, **kwargs: Any) -> Answer:
    return invoke(route(TOKEN_RESOURCE, token, {} if body is None else body, **kwargs))


def claims(answer: Answer):
    return TokenVerifier(API_KEY, API_SECRET).verify(answer.body["participant_token"])


def assert_session_refused(answer: Answer) -> None:
    assert (answer.status, answer.body) == (401, {"error": messages.SESSION_REQUIRED})
    assert answer.headers["WWW-Authenticate"] == "Bearer"


# ---- opening a session is opt-in --------------------------------------------------------------------------


def test_without_session_the_login_body_is_the_guides_byte_for_byte(log_in, clock, store):
    seeded = session_items(store)  # the demo data's (events/ uses them)
    plain = log_in(DEMO.username)
    declined = log_in(DEMO.username, session=False)
    assert set(plain.body) == GUIDE_KEYS
    assert plain.raw["body"] == declined.raw["body"]  # same clock, same tokens: the same bytes
    assert session_items(store) == seeded


def session_items(store) -> list[dict]:
    return store.client.scan(TableName=store.tables.sessions)["Items"]


def test_session_true_adds_one_key_to_the_guides_body(log_in, clock):
    answer = log_in(DEMO.username, session=True, device="Pixel 8")
    assert answer.status == 200
    assert set(answer.body) == GUIDE_KEYS | {"session"}
    assert set(answer.body["session"]) == {"token", "expires_at"}
    assert TOKEN_PATTERN.fullmatch(answer.body["session"]["token"])
    assert answer.body["session"]["expires_at"] == int(clock.now) + SESSION_MAX_AGE.default
    session = answer.body["session"]
    assert answer.raw["body"].endswith(
        f'"session":{{"token":"{session["token"]}","expires_at":{session["expires_at"]}}}}}'
    )


def test_the_token_is_never_stored_only_its_hash(log_in, clock, store):
    token = log_in(DEMO.username, session=True).body["session"]["token"]
    stored = json.dumps(store.client.scan(TableName=store.tables.sessions)["Items"])
    assert token not in stored
    assert token.split(".", 1)[1] not in stored  # the secret part
    assert token_hash(token) in stored


@pytest.mark.parametrize("flag", ["true", 1, None, [], {}])
def test_a_non_boolean_session_is_a_400(log_in, clock, flag):
    answer = log_in(DEMO.username, session=flag)
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_SESSION_FLAG})


@pytest.mark.parametrize("device", ["x" * 65, 42, "tab\there", "line\nbreak", "\ud800"])
def test_a_bad_device_is_a_400(log_in, clock, device):
    answer = log_in(DEMO.username, session=True, device=device)
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_DEVICE})


def test_a_64_character_device_label_is_accepted_and_ignored_without_a_session(log_in, clock):
    assert log_in(DEMO.username, session=True, device="د" * 64).status == 200
    assert set(log_in(DEMO.username, device="x" * 100).body) == GUIDE_KEYS  # the guide ignores unknown fields


def test_a_failed_login_opens_no_session(log_in, clock):
    answer = log_in(DEMO.username, "wrong", session=True)
    assert (answer.status, answer.body) == (401, {"error": messages.INVALID_CREDENTIALS})


# ---- the token endpoint: 201 and its shape -------------------------------------------------------------


def test_201_with_livekits_response_shape_and_a_short_token(invoke, open_session, clock, demo_users):
    answer = fetch(invoke, open_session())
    assert answer.status == 201
    assert set(answer.body) == TOKEN_KEYS
    assert answer.body["server_url"] == LIVEKIT_URL
    assert answer.body["room_name"] == PUBLIC_ROOM  # the first channel by id
    assert answer.body["participant_name"] == DEMO.username
    grant = claims(answer)
    assert grant.identity == demo_users[DEMO.username]
    assert grant.name == DEMO.username
    assert (grant.video.room, grant.video.room_join) == (PUBLIC_ROOM, True)
    payload = json.loads(_segment(answer.body["participant_token"]))
    assert payload["nbf"] == int(clock.now)
    assert payload["exp"] - payload["nbf"] == TOKEN_ENDPOINT_TTL.default


def _segment(jwt_text: str) -> str:
    payload = jwt_text.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


def test_the_ttl_follows_its_setting(invoke, open_session, clock, monkeypatch):
    token = open_session()
    monkeypatch.setenv("TOKEN_ENDPOINT_TTL_SECONDS", "120")
    install_clock(monkeypatch, clock)
    payload = json.loads(_segment(fetch(invoke, token).body["participant_token"]))
    assert payload["exp"] - payload["nbf"] == 120


@pytest.mark.parametrize(
    "event",
    [
        lambda token: route(TOKEN_RESOURCE, token, {}),
        lambda token: route(TOKEN_RESOURCE, token, raw=""),
        lambda token: route(TOKEN_RESOURCE, token, raw=None, **{"Content-Type": ""}),
        lambda token: proxy_event(
            "POST", TOKEN_RESOURCE, resource=TOKEN_RESOURCE, headers={"authorization": f"bearer {token}"}
        ),
    ],
    ids=["empty-object", "empty-body", "no-body-no-type", "no-slash-lower-case-header"],
)
def test_empty_requests_and_both_paths_are_valid(invoke, open_session, clock, event):
    answer = invoke(event(open_session()))
    assert answer.status == 201, answer.body
    assert answer.body["room_name"] == PUBLIC_ROOM


def test_the_logins_server_url_is_remembered(invoke, open_session, clock):
    token = open_session(server_url="wss://lk.example.org")
    assert fetch(invoke, token).body["server_url"] == "wss://lk.example.org"


def test_grants_flags_apply(invoke, open_session, clock):
    grant = claims(fetch(invoke, open_session(VIEWER.username)))
    assert (grant.video.can_publish, grant.video.can_subscribe, grant.video.can_publish_data) == (False, True, True)


# ---- rooms and identities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "room"), [(PRIVATE_ROOM, PRIVATE_ROOM), (PUBLIC_ROOM, PUBLIC_ROOM), ("", PUBLIC_ROOM)]
)
def test_one_of_the_users_rooms_or_the_first(invoke, open_session, clock, requested, room):
    answer = fetch(invoke, open_session(), {"room_name": requested})
    assert answer.status == 201
    assert answer.body["room_name"] == claims(answer).video.room == room


@pytest.mark.parametrize(
    "requested", ["channel-999", "channel-01234567", "other", "channel-1234567 ", "CHANNEL-1234567"]
)
def test_any_other_room_is_a_403(invoke, open_session, clock, requested):
    answer = fetch(invoke, open_session(), {"room_name": requested})
    assert (answer.status, answer.body) == (403, {"error": messages.ROOM_NOT_ALLOWED})


def test_a_room_of_another_users_channel_is_a_403(invoke, open_session, clock):
    answer = fetch(invoke, open_session(VIEWER.username), {"room_name": PRIVATE_ROOM})
    assert answer.status == 403


@pytest.mark.parametrize("device", ["phone", "tab-2", "A_b-9", "d" * 64])
def test_user_id_and_a_device_is_an_identity_of_its_own(invoke, open_session, clock, demo_users, device):
    identity = f"{demo_users[DEMO.username]}:{device}"
    answer = fetch(invoke, open_session(), {"participant_identity": identity})
    assert answer.status == 201
    assert claims(answer).identity == identity


def test_a_null_identity_is_an_absent_one(invoke, open_session, clock, demo_users):
    answer = fetch(invoke, open_session(), {"participant_identity": None})
    assert claims(answer).identity == demo_users[DEMO.username]


@pytest.mark.parametrize(
    "identity",
    [
        "{uid}",
        "{uid}:",
        "{uid}:bad device",
        "{uid}:" + "d" * 65,
        "{uid}:a:b",
        "{uid}:é",
        "{other}:phone",
        "someone",
        "",
    ],
)
def test_any_other_identity_is_a_403(invoke, open_session, clock, demo_users, identity):
    """The bare user id too: only its absence means the user's id (the issue's rule, word for word)."""
    requested = identity.format(uid=demo_users[DEMO.username], other=demo_users[VIEWER.username])
    answer = fetch(invoke, open_session(), {"participant_identity": requested})
    assert (answer.status, answer.body) == (403, {"error": messages.IDENTITY_NOT_ALLOWED})


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("participant_name", "Mallory"),
        ("participant_metadata", "{}"),
        ("participant_attributes", {"role": "admin"}),
        ("room_config", {"agents": [{"agent_name": "x"}]}),
    ],
)
def test_fields_the_service_decides_are_a_400_when_set(invoke, open_session, clock, field, value):
    answer = fetch(invoke, open_session(), {field: value})
    assert (answer.status, answer.body) == (400, {"error": messages.FIELD_NOT_CONFIGURABLE.format(field=field)})


def test_those_fields_empty_are_accepted(invoke, open_session, clock):
    body = {"participant_name": "", "participant_metadata": "", "participant_attributes": {}, "room_config": {}}
    assert fetch(invoke, open_session(), body).status == 201


@pytest.mark.parametrize("body", [{"room_name": 1234567}, {"participant_identity": ["x"]}, [], "x"])
def test_wrong_types_are_a_400(invoke, open_session, clock, body):
    answer = fetch(invoke, open_session(), body)
    assert answer.status == 400
    assert answer.body["error"] in {messages.INVALID_TOKEN_REQUEST, messages.INVALID_JSON_BODY}


# ---- refusals of the session ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic ZGVtbzpkZW1v"}],
    ids=["none", "empty", "no-token", "basic"],
)
def test_no_bearer_token_is_a_401_with_a_challenge(invoke, clock, headers):
    assert_session_refused(invoke(route(TOKEN_RESOURCE, None, {}, **headers)))


@pytest.mark.parametrize("token", ["not-a-token", "a" * 22 + "." + "b" * 43, "x" * 500])
def test_an_unknown_token_is_a_401(invoke, open_session, clock, token):
    open_session()
    assert_session_refused(fetch(invoke, token))


def test_a_forged_secret_for_a_real_session_is_a_401_and_revokes_nothing(invoke, open_session, clock):
    token = open_session()
    forged = token.split(".")[0] + "." + "A" * 43
    assert_session_refused(fetch(invoke, forged))
    assert fetch(invoke, token).status == 201


def test_a_disabled_user_gets_the_guides_403_and_a_revoked_channel_a_403(invoke, open_session, clock, store):
    token = open_session()
    store.revoke(store.require_user(DEMO.username), PRIVATE_CHANNEL[0])
    assert fetch(invoke, token, {"room_name": PRIVATE_ROOM}).status == 403
    assert fetch(invoke, token, {"room_name": PUBLIC_ROOM}).status == 201

    store.set_active(DEMO.username, False)
    answer = fetch(invoke, token)
    assert (answer.status, answer.body) == (403, {"error": messages.ACCOUNT_INACTIVE})
    store.set_active(DEMO.username, True)
    assert fetch(invoke, token).status == 201


def test_losing_every_channel_is_the_guides_403(invoke, open_session, clock, store):
    token = open_session(VIEWER.username)
    store.revoke(store.require_user(VIEWER.username), PUBLIC_CHANNEL[0])
    answer = fetch(invoke, token)
    assert (answer.status, answer.body) == (403, {"error": messages.NO_CHANNELS})


def test_a_deleted_and_recreated_user_does_not_inherit_sessions(invoke, open_session, clock, store):
    token = open_session()
    store.client.delete_item(TableName=store.tables.users, Key={"username": {"S": DEMO.username}})
    store.create_user(DEMO.username, "$2b$04$" + "x" * 53)
    assert_session_refused(fetch(invoke, token))


# ---- refresh, rotation and logout -------------------------------------------------------------------------


def refresh(invoke, token: str) -> Answer:
    return invoke(route(REFRESH_RESOURCE, token, raw=""))


def test_refresh_gives_a_new_token_with_the_same_absolute_expiry(invoke, log_in, clock):
    opened = log_in(DEMO.username, session=True).body["session"]
    clock.advance(3600)
    answer = refresh(invoke, opened["token"])
    assert answer.status == 200
    assert set(answer.body) == {"token", "expires_at"}
    assert answer.body["expires_at"] == opened["expires_at"]
    assert answer.body["token"] != opened["token"]
    assert TOKEN_PATTERN.fullmatch(answer.body["token"])
    assert fetch(invoke, answer.body["token"]).status == 201


def test_the_old_token_works_for_the_grace_window_then_revokes_the_whole_session(invoke, open_session, clock):
    old = open_session()
    new = refresh(invoke, old).body["token"]
    clock.advance(ROTATION_GRACE_SECONDS)
    assert fetch(invoke, old).status == 201  # a tab that has not seen the new token yet
    clock.advance(1)
    assert_session_refused(fetch(invoke, old))  # a copy: the whole family goes
    assert_session_refused(fetch(invoke, new))
    assert_session_refused(refresh(invoke, new))


def test_two_tabs_refreshing_at_once_both_keep_working(invoke, open_session, clock):
    old = open_session()
    first, second = refresh(invoke, old), refresh(invoke, old)
    assert first.status == second.status == 200
    clock.advance(ROTATION_GRACE_SECONDS + 60)
    assert fetch(invoke, first.body["token"]).status == 201
    assert fetch(invoke, second.body["token"]).status == 201


def test_late_reuse_on_refresh_also_revokes(invoke, open_session, clock):
    old = open_session()
    new = refresh(invoke, old).body["token"]
    clock.advance(ROTATION_GRACE_SECONDS + 1)
    assert_session_refused(refresh(invoke, old))
    assert_session_refused(fetch(invoke, new))


def test_logout_is_a_204_and_ends_the_session_at_once(invoke, open_session, clock):
    token, other_device = open_session(), open_session()
    answer = invoke(route(LOGOUT_RESOURCE, token))
    assert (answer.status, answer.raw["body"] or "") == (204, "")
    assert answer.headers["Cache-Control"] == "no-store"
    assert_session_refused(fetch(invoke, token))
    assert_session_refused(refresh(invoke, token))
    assert_session_refused(invoke(route(LOGOUT_RESOURCE, token)))
    assert fetch(invoke, other_device).status == 201  # one session, not the user's others


# ---- expiry --------------------------------------------------------------------------------------------


def test_absolute_expiry_holds_however_often_the_session_is_used(invoke, open_session, clock):
    token = open_session()
    for _ in range(SESSION_MAX_AGE.default // (SESSION_IDLE.default // 2) + 1):
        clock.advance(SESSION_IDLE.default // 2)
        if clock.now - clock.start < SESSION_MAX_AGE.default:
            assert fetch(invoke, token).status == 201
            token = refresh(invoke, token).body["token"]
    assert_session_refused(fetch(invoke, token))


def test_the_session_ends_exactly_at_its_absolute_expiry(invoke, log_in, clock, monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_SECONDS", str(SESSION_IDLE.high))  # no idle expiry in the way
    install_clock(monkeypatch, clock)
    opened = log_in(DEMO.username, session=True).body["session"]
    clock.set(opened["expires_at"] - 1)
    assert fetch(invoke, opened["token"]).status == 201
    clock.set(opened["expires_at"])
    assert_session_refused(fetch(invoke, opened["token"]))


def test_idle_expiry_and_use_keeps_a_session_alive(invoke, open_session, clock):
    token = open_session()
    clock.advance(SESSION_IDLE.default - 1)
    assert fetch(invoke, token).status == 201  # a use: recorded (more than an hour since the last)
    clock.advance(SESSION_IDLE.default - 1)
    assert fetch(invoke, token).status == 201
    clock.advance(SESSION_IDLE.default)
    assert_session_refused(fetch(invoke, token))


def test_idle_expiry_follows_its_setting(invoke, open_session, clock, monkeypatch):
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "7200")
    install_clock(monkeypatch, clock)
    token = open_session()
    clock.advance(7199)
    assert fetch(invoke, token).status == 201
    clock.advance(7200)
    assert_session_refused(fetch(invoke, token))


def test_last_use_is_written_at_most_once_an_hour(invoke, open_session, clock, store, dynamodb_calls):
    token = open_session()
    dynamodb_calls.clear()
    for _ in range(5):
        clock.advance(LAST_USE_WRITE_SECONDS // 10)
        assert fetch(invoke, token).status == 201
    assert dynamodb_calls["UpdateItem"] == 0
    clock.advance(LAST_USE_WRITE_SECONDS)
    assert fetch(invoke, token).status == 201
    assert fetch(invoke, token).status == 201
    assert dynamodb_calls["UpdateItem"] == 1


# ---- no lockout, no bcrypt ----------------------------------------------------------------------------------


def test_a_locked_account_keeps_its_sessions(invoke, log_in, open_session, clock):
    token = open_session()
    for _ in range(5):
        assert log_in(DEMO.username, "guessing").status == 401
    assert log_in(DEMO.username).status == 429
    assert fetch(invoke, token).status == 201
    assert refresh(invoke, token).status == 200


def test_a_token_call_never_runs_bcrypt(invoke, open_session, clock, monkeypatch):
    token = open_session()
    from livekit_auth import passwords

    monkeypatch.setattr(passwords.bcrypt, "checkpw", lambda *_: pytest.fail("bcrypt ran"))
    monkeypatch.setattr(passwords.bcrypt, "hashpw", lambda *_: pytest.fail("bcrypt ran"))
    assert fetch(invoke, token).status == 201
    assert refresh(invoke, token).status == 200


def test_the_session_rows_challenge_for_a_bearer_token():
    session_rows = {error: row for error, row in app.REFUSALS.items() if error.__name__.startswith("Session")}
    assert len(session_rows) == 4
    for error, row in session_rows.items():
        assert (row.status, row.headers(error())) == (401, {"WWW-Authenticate": "Bearer"})


def test_session_tokens_are_random(log_in, clock):
    tokens = {log_in(DEMO.username, session=True).body["session"]["token"] for _ in range(5)}
    assert len(tokens) == 5
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token.split(".")[1]) for token in tokens)
