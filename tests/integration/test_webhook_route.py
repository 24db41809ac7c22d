"""POST /api/livekit/webhook/ through the deployed handler, and the logout route's removal, against two
stand-in LiveKit servers: a webhook is a bare 401 unless a configured server's key signed exactly its
body; a participant whose access has ended is removed (or restricted) on the server that reported it."""

from __future__ import annotations

import json
import time

import pytest

from livekit_auth.routes import WEBHOOK
from livekit_auth.tokens import LiveKitCredentials
from tests.support.handler import Answer, call_handler
from tests.support.livekit_servers import Servers
from tests.support.logs import capture_function_output, log_records
from tests.support.sessions import log_out_session, open_session
from tools.local.demo_data import DEMO, PRIVATE_CHANNEL, PUBLIC_CHANNEL, VIEWER
from tools.local.events import route_event
from tools.local.fake_livekit import sign_webhook, webhook_body

ROOM = f"channel-{PUBLIC_CHANNEL[0]}"


def post_webhook(body: bytes, authorization: str | None) -> Answer:
    headers = {"Content-Type": "application/webhook+json"} | ({"Authorization": authorization} if authorization else {})
    return call_handler(route_event(WEBHOOK, raw=body.decode(), headers=headers))


def joined(servers: Servers, identity: str, room: str = ROOM, *, can_publish: bool = True) -> Answer:
    """The first server reports that `identity` joined `room` (and has it seated there)."""
    servers.first.rooms.setdefault(room, set()).add(identity)
    body = webhook_body("participant_joined", room, identity, can_publish=can_publish)
    return post_webhook(body, sign_webhook(body, servers.first.pair))


def metric_names(records: list[dict]) -> list[str]:
    return [
        metric["Name"]
        for record in records
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", [])
        for metric in directive["Metrics"]
    ]


@pytest.fixture
def output(monkeypatch, capsys):
    capture_function_output(monkeypatch)
    capsys.readouterr()
    return lambda: log_records(capsys)


NOW = int(time.time())
BODY = webhook_body("participant_joined", ROOM, "someone")
OTHER_KEY = LiveKitCredentials("APIfirstServer", "a-different-secret-of-at-least-32-bytes")
BAD_CALLS = {
    "unsigned": lambda s: (BODY, None),
    "badly signed": lambda s: (BODY, sign_webhook(BODY, s.first.pair)[:-4] + "AAAA"),
    "wrong key": lambda s: (BODY, sign_webhook(BODY, OTHER_KEY)),
    "body tampered": lambda s: (BODY.replace(b"someone", b"someone-else"), sign_webhook(BODY, s.first.pair)),
    "expired": lambda s: (BODY, sign_webhook(BODY, s.first.pair, issued_at=NOW - 3600, ttl=60)),
}


@pytest.mark.parametrize("bad_call", BAD_CALLS.values(), ids=BAD_CALLS.keys())
def test_a_webhook_not_signed_by_a_configured_server_over_this_body_is_a_bare_401(
    invoke, livekit_servers, output, bad_call
):
    answer = post_webhook(*bad_call(livekit_servers))
    assert (answer.status, answer.body) == (401, None)
    records = output()
    (line,) = [record for record in records if record.get("message") == "livekit webhook"]
    assert (line["outcome"], line["status"]) == ("refused", 401)
    assert line["reason"].startswith("webhook_")
    assert "WebhookUnverified" in metric_names(records)
    assert [server.calls for server in livekit_servers.both()] == [[], []]


def test_the_second_servers_own_key_is_accepted_too(invoke, livekit_servers):
    body = webhook_body("room_started", ROOM, "")
    assert post_webhook(body, sign_webhook(body, livekit_servers.second.pair)).status == 200


def test_a_member_who_joins_stays(invoke, livekit_servers, demo_users):
    user_id = demo_users[DEMO.username]
    assert joined(livekit_servers, user_id).status == 200
    assert livekit_servers.first.methods() == []


def test_a_disabled_user_who_rejoins_is_removed_at_once_on_that_server(
    invoke, livekit_servers, demo_users, store, output
):
    user_id = demo_users[DEMO.username]
    store.set_active(DEMO.username, False)
    assert joined(livekit_servers, user_id).status == 200  # no device: only the account decides
    assert livekit_servers.first.rooms[ROOM] == set()
    assert livekit_servers.second.calls == []  # the server that reported the join
    assert "WebhookParticipantRemoved" in metric_names(output())


def test_a_user_whose_grant_was_revoked_is_removed_from_that_room(invoke, livekit_servers, demo_users, store):
    user_id = demo_users[DEMO.username]
    store.revoke(store.require_user(DEMO.username), PUBLIC_CHANNEL[0])
    joined(livekit_servers, user_id)
    joined(livekit_servers, user_id, f"channel-{PRIVATE_CHANNEL[0]}")
    assert livekit_servers.first.rooms == {ROOM: set(), f"channel-{PRIVATE_CHANNEL[0]}": {user_id}}


def test_a_device_whose_session_ended_is_removed_and_a_live_one_stays(invoke, livekit_servers, demo_users):
    user_id = demo_users[DEMO.username]
    phone, laptop = open_session(device="phone"), open_session(device="laptop")
    assert log_out_session(phone).status == 204
    joined(livekit_servers, f"{user_id}:phone")
    joined(livekit_servers, f"{user_id}:laptop")
    assert livekit_servers.first.rooms[ROOM] == {f"{user_id}:laptop"}
    assert laptop


def test_every_session_revoked_removes_each_device_that_rejoins(invoke, livekit_servers, demo_users, authctl_run):
    user_id = demo_users[DEMO.username]
    open_session(device="phone")
    assert authctl_run("user", "logout", DEMO.username).code == 0
    joined(livekit_servers, f"{user_id}:phone")
    assert livekit_servers.first.rooms[ROOM] == set()


def test_a_viewer_who_joins_able_to_publish_is_restricted_not_removed(invoke, livekit_servers, demo_users):
    user_id = demo_users[VIEWER.username]
    room = f"channel-{VIEWER.read_only_channels[0]}"
    joined(livekit_servers, user_id, room)
    assert livekit_servers.first.rooms[room] == {user_id}
    assert livekit_servers.first.permissions[(room, user_id)]["can_publish"] is False


def test_participants_the_service_never_issued_are_left_alone(invoke, livekit_servers):
    joined(livekit_servers, "egress-recorder")
    joined(livekit_servers, "someone", "lobby")
    assert livekit_servers.first.methods() == []


# ---- the logout route ---------------------------------------------------------------------------------


def test_a_logout_removes_that_devices_identity_on_every_server(invoke, livekit_servers, demo_users):
    user_id = demo_users[DEMO.username]
    livekit_servers.seat(ROOM, user_id, f"{user_id}:phone", f"{user_id}:laptop")
    assert log_out_session(open_session(device="phone")).status == 204
    for server in livekit_servers.both():
        assert server.rooms[ROOM] == {user_id, f"{user_id}:laptop"}


def test_a_logout_with_a_server_down_still_ends_the_session_and_names_it(invoke, livekit_servers, demo_users, output):
    livekit_servers.second.stop()
    answer = log_out_session(open_session(device="phone"))
    assert answer.status == 204
    records = output()
    (warning,) = [record for record in records if record.get("message") == "livekit removal failed"]
    assert warning["failed_servers"] == [livekit_servers.second.url]
    assert "LogoutLiveKitRemovalFailed" in metric_names(records)
    assert json.dumps(records).count(livekit_servers.first.pair.api_secret) == 0


def test_a_user_id_with_no_account_is_removed(invoke, livekit_servers):
    joined(livekit_servers, "00000000-0000-4000-8000-000000000000")
    assert livekit_servers.first.rooms[ROOM] == set()
