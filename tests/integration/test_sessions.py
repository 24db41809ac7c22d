"""Sessions and the token endpoint (issue 11), through the real handler over emulated AWS, on a clock the test moves.

Opening a session is opt-in; the token endpoint answers LiveKit's TokenSourceRequest with one short
token; refresh rotates with a grace window and revokes the family on late reuse; logout ends it;
expiry is absolute and idle. Tokens are checked with LiveKit's own TokenVerifier.
"""

from __future__ import annotations

import base64
import json
import re

import pytest
from livekit.api import TokenVerifier

from client_errors import CLIENT_ERRORS
from livekit_auth import messages, passwords
from livekit_auth.config import SESSION_IDLE, SESSION_MAX_AGE, TOKEN_ENDPOINT_TTL
from livekit_auth.routes import TOKEN
from livekit_auth.session_tokens import TOKEN_PATTERN, token_hash
from livekit_auth.sessions import LAST_USE_WRITE_SECONDS, ROTATION_GRACE_SECONDS
from tests.support.clock import FakeClock
from tests.support.handler import Answer, run_on_clock
from tests.support.logins import lock_out
from tests.support.sessions import (
    assert_session_refused,
    fetch_token,
    live_token_hashes,
    log_out_session,
    open_session,
    real_time_clock,
    refresh_session,
)
from tools.local.demo_data import DEMO, PRIVATE_CHANNEL, PUBLIC_CHANNEL, VIEWER
from tools.local.events import proxy_event, session_event
from tools.local.fake_aws import API_KEY, API_SECRET, LIVEKIT_URL

GUIDE_KEYS = {"success", "user_id", "username", "channels", "tokens", "server_url"}
TOKEN_KEYS = {"server_url", "participant_token", "room_name", "participant_name"}
PUBLIC_ROOM, PRIVATE_ROOM = f"channel-{PUBLIC_CHANNEL[0]}", f"channel-{PRIVATE_CHANNEL[0]}"


@pytest.fixture
def clock() -> FakeClock:
    """The handler_clock fixture's clock, started at the real time for LiveKit's TokenVerifier."""
    return real_time_clock()


def claims(answer: Answer):
    return TokenVerifier(API_KEY, API_SECRET).verify(answer.body["participant_token"])


# ---- opening a session is opt-in --------------------------------------------------------------------------


def test_without_session_the_login_body_is_the_guides_byte_for_byte(good_login, handler_clock, store):
    # Given: the demo data's sessions (events/ uses them)
    seeded = session_items(store)
    # When: a login without `session`, and one with `session: false`
    plain = good_login(DEMO.username)
    declined = good_login(DEMO.username, session=False)
    # Then: the guide's keys, the same bytes (same clock, same tokens), no session opened
    assert set(plain.body) == GUIDE_KEYS
    assert plain.raw["body"] == declined.raw["body"]
    assert session_items(store) == seeded


def session_items(store) -> list[dict]:
    return store.client.scan(TableName=store.tables.sessions)["Items"]


def test_session_true_adds_one_key_to_the_guides_body(good_login, handler_clock):
    answer = good_login(DEMO.username, session=True, device="Pixel 8")
    assert answer.status == 200
    assert set(answer.body) == GUIDE_KEYS | {"session"}
    assert set(answer.body["session"]) == {"token", "expires_at"}
    assert TOKEN_PATTERN.fullmatch(answer.body["session"]["token"])
    assert answer.body["session"]["expires_at"] == int(handler_clock()) + SESSION_MAX_AGE.default
    session = answer.body["session"]
    assert answer.raw["body"].endswith(
        f'"session":{{"token":"{session["token"]}","expires_at":{session["expires_at"]}}}}}'
    )


def test_the_token_is_never_stored_only_its_hash(good_login, handler_clock, store):
    token = good_login(DEMO.username, session=True).body["session"]["token"]
    stored = json.dumps(store.client.scan(TableName=store.tables.sessions)["Items"])
    assert token not in stored
    assert token.split(".", 1)[1] not in stored  # the secret part
    assert token_hash(token) in stored


@pytest.mark.parametrize("flag", ["true", 1, None, [], {}])
def test_a_non_boolean_session_is_a_400(good_login, handler_clock, flag):
    answer = good_login(DEMO.username, session=flag)
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_SESSION_FLAG})


@pytest.mark.parametrize("device", ["x" * 65, 42, "tab\there", "line\nbreak", "\ud800"])
def test_a_bad_device_is_a_400(good_login, handler_clock, device):
    answer = good_login(DEMO.username, session=True, device=device)
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_DEVICE})


def test_a_64_character_device_label_is_accepted_and_ignored_without_a_session(good_login, handler_clock):
    assert good_login(DEMO.username, session=True, device="د" * 64).status == 200
    assert set(good_login(DEMO.username, device="x" * 100).body) == GUIDE_KEYS  # the guide ignores unknown fields


def test_a_failed_login_opens_no_session(attempt_login, handler_clock, store):
    # Given
    seeded = session_items(store)
    # When: a wrong password asks for a session
    answer = attempt_login(DEMO.username, "wrong", session=True)
    # Then: the guide's 401, and no session item more
    assert (answer.status, answer.body) == (401, {"error": messages.INVALID_CREDENTIALS})
    assert session_items(store) == seeded


# ---- the token endpoint: 201 and its shape -------------------------------------------------------------


def test_201_with_livekits_response_shape_and_a_short_token(invoke, handler_clock, demo_users):
    answer = fetch_token(open_session())
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
    assert payload["nbf"] == int(handler_clock())
    assert payload["exp"] - payload["nbf"] == TOKEN_ENDPOINT_TTL.default


def _segment(jwt_text: str) -> str:
    payload = jwt_text.split(".")[1]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()


def test_the_name_is_the_users_display_name_as_it_stands_now(invoke, handler_clock, store):
    # Given: a session, then the user given a display name
    token = open_session()
    store.set_display_name(DEMO.username, "Demo Person")
    # When
    answer = fetch_token(token)
    # Then: the answer and the token carry it, as the login's tokens do
    assert answer.body["participant_name"] == claims(answer).name == "Demo Person"


def test_the_ttl_follows_its_setting(invoke, handler_clock, monkeypatch):
    # Given: a session, then the function configured with a two-minute token TTL
    token = open_session()
    monkeypatch.setenv("TOKEN_ENDPOINT_TTL_SECONDS", "120")
    run_on_clock(handler_clock, monkeypatch)
    # When
    payload = json.loads(_segment(fetch_token(token).body["participant_token"]))
    # Then
    assert payload["exp"] - payload["nbf"] == 120


@pytest.mark.parametrize(
    "event",
    [
        lambda token: session_event(TOKEN, token, {}),
        lambda token: session_event(TOKEN, token, raw=""),
        lambda token: session_event(TOKEN, token, raw=None, headers={"Content-Type": ""}),
        lambda token: proxy_event(
            "POST", TOKEN.path, resource=TOKEN.path, headers={"authorization": f"bearer {token}"}
        ),
    ],
    ids=["empty-object", "empty-body", "no-body-no-type", "no-slash-lower-case-header"],
)
def test_empty_requests_and_both_paths_are_valid(invoke, handler_clock, event):
    answer = invoke(event(open_session()))
    assert answer.status == 201, answer.body
    assert answer.body["room_name"] == PUBLIC_ROOM


def test_the_logins_server_url_is_remembered(invoke, handler_clock):
    token = open_session(server_url="wss://lk.example.org")
    assert fetch_token(token).body["server_url"] == "wss://lk.example.org"


def test_a_remembered_server_url_the_allowlist_no_longer_admits_gives_way_to_the_configured_one(
    invoke, handler_clock, monkeypatch
):
    # Given: a session opened with a server_url while any URL was allowed
    token = open_session(server_url="wss://lk.example.org")
    # When: the operator narrows ALLOWED_SERVER_URLS (a new container reads it)
    monkeypatch.setenv("ALLOWED_SERVER_URLS", "wss://other.example.org")
    run_on_clock(handler_clock, monkeypatch)
    # Then: the token endpoint answers the configured LiveKit URL, not the one no longer allowed
    assert fetch_token(token).body["server_url"] == LIVEKIT_URL


def test_grants_flags_apply(invoke, handler_clock):
    grant = claims(fetch_token(open_session(VIEWER.username)))
    assert (grant.video.can_publish, grant.video.can_subscribe, grant.video.can_publish_data) == (False, True, True)


# ---- rooms and identities ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("requested", "room"), [(PRIVATE_ROOM, PRIVATE_ROOM), (PUBLIC_ROOM, PUBLIC_ROOM), ("", PUBLIC_ROOM)]
)
def test_one_of_the_users_rooms_or_the_first(invoke, handler_clock, requested, room):
    answer = fetch_token(open_session(), {"room_name": requested})
    assert answer.status == 201
    assert answer.body["room_name"] == claims(answer).video.room == room


@pytest.mark.parametrize(
    "requested", ["channel-999", "channel-01234567", "other", "channel-1234567 ", "CHANNEL-1234567"]
)
def test_any_other_room_is_a_403(invoke, handler_clock, requested):
    answer = fetch_token(open_session(), {"room_name": requested})
    assert (answer.status, answer.body) == (403, {"error": messages.ROOM_NOT_ALLOWED})


def test_a_room_of_another_users_channel_is_a_403(invoke, handler_clock):
    answer = fetch_token(open_session(VIEWER.username), {"room_name": PRIVATE_ROOM})
    assert answer.status == 403


@pytest.mark.parametrize("device", ["phone", "tab-2", "A_b-9", "d" * 64])
def test_user_id_and_the_sessions_device_is_an_identity_of_its_own(invoke, handler_clock, demo_users, device):
    identity = f"{demo_users[DEMO.username]}:{device}"
    answer = fetch_token(open_session(device=device), {"participant_identity": identity})
    assert answer.status == 201
    assert claims(answer).identity == identity


@pytest.mark.parametrize(
    ("session_device", "requested_device"),
    [("phone", "laptop"), ("phone", "Phone"), (None, "phone"), ("Pixel 8", "Pixel 8"), ("Pixel 8", "Pixel_8")],
    ids=["another-device", "case-differs", "session-without-device", "label-not-an-identity", "look-alike"],
)
def test_a_device_other_than_the_sessions_is_a_403(invoke, handler_clock, demo_users, session_device, requested_device):
    """Issue 18, nit: the device part of an identity is the session's own device, so a session cannot speak
    as (or kick out) the same user's other devices; ending one device's session ends that identity's tokens."""
    extra = {} if session_device is None else {"device": session_device}
    token = open_session(**extra)
    answer = fetch_token(token, {"participant_identity": f"{demo_users[DEMO.username]}:{requested_device}"})
    assert (answer.status, answer.body) == (403, {"error": messages.IDENTITY_NOT_ALLOWED})
    assert claims(fetch_token(token)).identity == demo_users[DEMO.username]  # the bare user id still works


@pytest.mark.parametrize("requested", [None, "", "{uid}"], ids=["null", "empty", "the-bare-user-id"])
def test_the_users_own_id_asked_for_or_absent_is_the_default_identity(invoke, handler_clock, demo_users, requested):
    """An empty string is how protobuf JSON writes an unset field: it means absent, as for room_name."""
    # Given: the user's session
    user_id = demo_users[DEMO.username]
    token = open_session()
    # When: the identity is null, empty or the user's own bare id
    explicit = fetch_token(token, {"participant_identity": requested and requested.format(uid=user_id)})
    # Then: the token is the one an absent identity gives
    assert explicit.status == 201
    assert claims(explicit).identity == claims(fetch_token(token)).identity == user_id


@pytest.mark.parametrize(
    "identity",
    [
        "{uid}:",
        "{uid}:bad device",
        "{uid}:" + "d" * 65,
        "{uid}:a:b",
        "{uid}:é",
        "{uid} ",
        "{other}",
        "{other}:phone",
        "someone",
    ],
)
def test_any_other_identity_is_a_403(invoke, handler_clock, demo_users, identity):
    requested = identity.format(uid=demo_users[DEMO.username], other=demo_users[VIEWER.username])
    answer = fetch_token(open_session(), {"participant_identity": requested})
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
def test_fields_the_service_decides_are_a_400_when_set(invoke, handler_clock, field, value):
    answer = fetch_token(open_session(), {field: value})
    assert (answer.status, answer.body) == (400, {"error": messages.FIELD_NOT_CONFIGURABLE.format(field=field)})


def test_those_fields_empty_are_accepted(invoke, handler_clock):
    body = {"participant_name": "", "participant_metadata": "", "participant_attributes": {}, "room_config": {}}
    assert fetch_token(open_session(), body).status == 201


@pytest.mark.parametrize("body", [{"room_name": 1234567}, {"participant_identity": ["x"]}, [], "x"])
def test_wrong_types_are_a_400(invoke, handler_clock, body):
    answer = fetch_token(open_session(), body)
    assert answer.status == 400
    assert answer.body["error"] in {messages.INVALID_TOKEN_REQUEST, messages.INVALID_JSON_BODY}


# ---- refusals of the session ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": ""}, {"Authorization": "Bearer"}, {"Authorization": "Basic ZGVtbzpkZW1v"}],
    ids=["none", "empty", "no-token", "basic"],
)
def test_no_bearer_token_is_a_401_with_a_challenge(invoke, handler_clock, headers):
    assert_session_refused(invoke(session_event(TOKEN, None, {}, headers=headers)))


@pytest.mark.parametrize(
    ("raw", "content_type"),
    [('{"participant_name": "Mallory"}', "application/json"), ("{not json", "application/json"), ("x", "text/plain")],
    ids=["not-configurable", "invalid-json", "wrong-media-type"],
)
@pytest.mark.parametrize("token", [None, "a" * 22 + "." + "b" * 43], ids=["no-token", "unknown-token"])
def test_without_a_session_a_bad_body_is_still_the_401(invoke, handler_clock, raw, content_type, token):
    event = session_event(TOKEN, token, raw=raw, headers={"Content-Type": content_type})
    assert_session_refused(invoke(event))


@pytest.mark.parametrize("token", ["not-a-token", "a" * 22 + "." + "b" * 43, "x" * 500])
def test_an_unknown_token_is_a_401(invoke, handler_clock, token):
    open_session()
    assert_session_refused(fetch_token(token))


def test_a_forged_secret_for_a_real_session_is_a_401_and_revokes_nothing(invoke, handler_clock):
    # Given: a session, and a token with its id but another secret
    token = open_session()
    forged = token.split(".")[0] + "." + "A" * 43
    # When
    refused = fetch_token(forged)
    # Then: refused, and the real token still works
    assert_session_refused(refused)
    assert fetch_token(token).status == 201


def test_a_revoked_channel_is_a_403_at_the_next_token(invoke, handler_clock, store):
    # Given: a session, then the private channel's grant revoked
    token = open_session()
    store.revoke(store.require_user(DEMO.username), PRIVATE_CHANNEL[0])
    # When
    private, public = fetch_token(token, {"room_name": PRIVATE_ROOM}), fetch_token(token, {"room_name": PUBLIC_ROOM})
    # Then: that room is refused, the others still given
    assert (private.status, private.body) == (403, {"error": messages.ROOM_NOT_ALLOWED})
    assert public.status == 201


def test_a_disabled_user_gets_the_guides_403_until_enabled_again(invoke, handler_clock, store):
    # Given: a session, then the user disabled (directly in the table: authctl's disable also ends sessions)
    token = open_session()
    store.set_active(DEMO.username, False)
    # When
    answer = fetch_token(token)
    # Then: the guide's 403; enabled again, the session works
    assert (answer.status, answer.body) == (403, {"error": messages.ACCOUNT_INACTIVE})
    store.set_active(DEMO.username, True)
    assert fetch_token(token).status == 201


def test_losing_every_channel_is_the_guides_403(invoke, handler_clock, store):
    # Given: the viewer's session, then its only grant revoked
    token = open_session(VIEWER.username)
    store.revoke(store.require_user(VIEWER.username), PUBLIC_CHANNEL[0])
    # When
    answer = fetch_token(token)
    # Then
    assert (answer.status, answer.body) == (403, {"error": messages.NO_CHANNELS})


def test_a_deleted_and_recreated_user_does_not_inherit_sessions(invoke, handler_clock, store):
    # Given: a session, then its user deleted and a user of the same name created
    token = open_session()
    store.client.delete_item(TableName=store.tables.users, Key={"username": {"S": DEMO.username}})
    store.create_user(DEMO.username, "$2b$04$" + "x" * 53)
    # When / Then
    assert_session_refused(fetch_token(token))


# ---- refresh, rotation and logout -------------------------------------------------------------------------


def test_refresh_gives_a_new_token_with_the_same_absolute_expiry(good_login, handler_clock):
    # Given: a session an hour old
    opened = good_login(DEMO.username, session=True).body["session"]
    handler_clock.advance(3600)
    # When
    answer = refresh_session(opened["token"])
    # Then: a new token, the same expiry, and the new token works
    assert answer.status == 200
    assert set(answer.body) == {"token", "expires_at"}
    assert answer.body["expires_at"] == opened["expires_at"]
    assert answer.body["token"] != opened["token"]
    assert TOKEN_PATTERN.fullmatch(answer.body["token"])
    assert fetch_token(answer.body["token"]).status == 201


def test_the_old_token_works_for_the_grace_window_then_revokes_the_whole_session(invoke, handler_clock):
    # Given: a session refreshed once
    old = open_session()
    new = refresh_session(old).body["token"]
    # When: the old token comes back within the grace window
    handler_clock.advance(ROTATION_GRACE_SECONDS)
    # Then: it works (a tab that has not seen the new token yet)
    assert fetch_token(old).status == 201
    # When: it comes back a second later
    handler_clock.advance(1)
    # Then: it is a copy: it and the whole family are refused
    assert_session_refused(fetch_token(old))
    assert_session_refused(fetch_token(new))
    assert_session_refused(refresh_session(new))


def test_a_refresh_replayed_within_the_grace_answers_the_same_successor(invoke, handler_clock, store):
    """Issue 18, M1: a client that lost the refresh's answer (or a second tab) presents the old token again; it
    gets the successor already issued, never a second one, so the session stays one chain."""
    # Given: a session refreshed once
    old = open_session()
    first = refresh_session(old)
    # When: the old token asks again, at the last second of its grace window
    handler_clock.advance(ROTATION_GRACE_SECONDS)
    second = refresh_session(old)
    # Then: the same answer, and the session has one live token: that successor
    assert first.status == second.status == 200
    assert second.body == first.body
    assert live_token_hashes(store, old) == [token_hash(first.body["token"])]
    handler_clock.advance(60)
    assert fetch_token(first.body["token"]).status == 201


def test_the_successor_kept_for_a_replay_is_sealed_under_the_old_token(invoke, handler_clock, store):
    """What the old token's item keeps to answer a replay opens only with the old token: the table still holds
    nothing a client could present."""
    old = open_session()
    new = refresh_session(old).body["token"]
    stored = json.dumps(store.client.scan(TableName=store.tables.sessions)["Items"])
    assert new not in stored
    assert new.split(".", 1)[1] not in stored
    secret = base64.urlsafe_b64decode(new.split(".", 1)[1] + "=")
    assert secret.hex() not in stored
    assert base64.b64encode(secret).decode() not in stored  # nor as DynamoDB's binary type would show it


def test_a_rotated_token_without_a_successor_to_answer_is_refused_not_rotated_again(invoke, handler_clock, store):
    """A token item rotated before successors were kept (or whose seal does not open) gets no second successor."""
    # Given: a session whose token is marked rotated with no successor kept
    token = open_session()
    store.client.update_item(
        TableName=store.tables.sessions,
        Key={"pk": {"S": token.split(".", 1)[0]}, "sk": {"S": f"TOKEN#{token_hash(token)}"}},
        UpdateExpression="SET rotated_at = :now",
        ExpressionAttributeValues={":now": {"N": str(int(handler_clock()))}},
    )
    # When / Then: its refresh within the grace is refused, and nothing was minted
    assert_session_refused(refresh_session(token))
    assert live_token_hashes(store, token) == []


def test_late_reuse_on_refresh_also_revokes(invoke, handler_clock):
    # Given: a session refreshed once, past the grace window
    old = open_session()
    new = refresh_session(old).body["token"]
    handler_clock.advance(ROTATION_GRACE_SECONDS + 1)
    # When: the old token asks for a refresh
    late = refresh_session(old)
    # Then: refused, and so is the new token
    assert_session_refused(late)
    assert_session_refused(fetch_token(new))


def test_logout_is_a_204_and_ends_the_session_at_once(invoke, handler_clock):
    # Given: two sessions of one user
    token, other_device = open_session(), open_session()
    # When: one logs out
    answer = log_out_session(token)
    # Then: 204 without a body; that session is refused everywhere, the other works
    assert (answer.status, answer.raw["body"] or "") == (204, "")
    assert answer.headers["Cache-Control"] == "no-store"
    assert_session_refused(fetch_token(token))
    assert_session_refused(refresh_session(token))
    assert_session_refused(log_out_session(token))
    assert fetch_token(other_device).status == 201


# ---- expiry --------------------------------------------------------------------------------------------


def test_absolute_expiry_holds_however_often_the_session_is_used(invoke, handler_clock):
    # Given: a session
    opened_at = handler_clock()
    token = open_session()
    # When: it is used and refreshed every half idle period until past its absolute expiry
    for _ in range(SESSION_MAX_AGE.default // (SESSION_IDLE.default // 2) + 1):
        handler_clock.advance(SESSION_IDLE.default // 2)
        if handler_clock() - opened_at < SESSION_MAX_AGE.default:
            assert fetch_token(token).status == 201
            token = refresh_session(token).body["token"]
    # Then: it ends all the same
    assert_session_refused(fetch_token(token))


def test_the_session_ends_exactly_at_its_absolute_expiry(good_login, handler_clock, monkeypatch):
    # Given: no idle expiry in the way, and a session
    monkeypatch.setenv("SESSION_IDLE_SECONDS", str(SESSION_IDLE.high))
    run_on_clock(handler_clock, monkeypatch)
    opened = good_login(DEMO.username, session=True).body["session"]
    # When / Then: a second before its expiry it works, at its expiry it does not
    handler_clock.advance(opened["expires_at"] - 1 - handler_clock())
    assert fetch_token(opened["token"]).status == 201
    handler_clock.advance(1)
    assert_session_refused(fetch_token(opened["token"]))


def test_idle_expiry_and_use_keeps_a_session_alive(invoke, handler_clock):
    # Given: a session used just before each idle period ends (a use more than an hour after the last is recorded)
    token = open_session()
    handler_clock.advance(SESSION_IDLE.default - 1)
    assert fetch_token(token).status == 201
    handler_clock.advance(SESSION_IDLE.default - 1)
    assert fetch_token(token).status == 201
    # When: a whole idle period passes unused
    handler_clock.advance(SESSION_IDLE.default)
    # Then
    assert_session_refused(fetch_token(token))


def test_idle_expiry_follows_its_setting(invoke, handler_clock, monkeypatch):
    # Given: a two-hour idle period, and a session
    monkeypatch.setenv("SESSION_IDLE_SECONDS", "7200")
    run_on_clock(handler_clock, monkeypatch)
    token = open_session()
    # When / Then: used a second before it ends, refused a whole period later
    handler_clock.advance(7199)
    assert fetch_token(token).status == 201
    handler_clock.advance(7200)
    assert_session_refused(fetch_token(token))


def test_last_use_is_written_at_most_once_an_hour(invoke, handler_clock, aws_calls):
    # Given: a session
    token = open_session()
    aws_calls.clear()
    # When: used five times within the hour
    for _ in range(5):
        handler_clock.advance(LAST_USE_WRITE_SECONDS // 10)
        assert fetch_token(token).status == 201
    # Then: no write
    assert aws_calls["UpdateItem"] == 0
    # When: used twice after the hour
    handler_clock.advance(LAST_USE_WRITE_SECONDS)
    assert fetch_token(token).status == 201
    assert fetch_token(token).status == 201
    # Then: one write
    assert aws_calls["UpdateItem"] == 1


# ---- no lockout, no bcrypt ----------------------------------------------------------------------------------


def test_a_locked_account_keeps_its_sessions(good_login, guess, handler_clock, settings):
    # Given: a session, then the account locked by wrong passwords
    token = open_session()
    assert {answer.status for answer in lock_out(DEMO.username, settings.lockout_threshold)} == {401}
    assert good_login(DEMO.username).status == 429
    # When / Then: the session still gets tokens and refreshes
    assert fetch_token(token).status == 201
    assert refresh_session(token).status == 200


def test_a_token_call_never_runs_bcrypt(invoke, handler_clock, monkeypatch):
    # Given: a session, then bcrypt made to fail the test if it runs
    token = open_session()
    monkeypatch.setattr(passwords.bcrypt, "checkpw", lambda *_: pytest.fail("bcrypt ran"))
    monkeypatch.setattr(passwords.bcrypt, "hashpw", lambda *_: pytest.fail("bcrypt ran"))
    # When / Then
    assert fetch_token(token).status == 201
    assert refresh_session(token).status == 200


def test_the_session_rows_challenge_for_a_bearer_token():
    session_rows = {error: row for error, row in CLIENT_ERRORS.items() if error.__name__.startswith("Session")}
    assert len(session_rows) == 4
    for error, row in session_rows.items():
        assert (row.status, row.headers(error())) == (401, {"WWW-Authenticate": "Bearer"})


def test_session_tokens_are_random(good_login, handler_clock):
    tokens = {good_login(DEMO.username, session=True).body["session"]["token"] for _ in range(5)}
    assert len(tokens) == 5
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43}", token.split(".")[1]) for token in tokens)
