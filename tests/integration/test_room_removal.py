"""Removal from LiveKit rooms on every configured server, against two stand-in RoomService servers on
loopback (each accepts only its own key): who is removed for each way access ends, and what happens
when a server does not answer."""

from __future__ import annotations

import json

from livekit_auth.revocation import Revocation
from livekit_auth.room_service import Participants, Permission, RoomRemoval
from livekit_auth.server_keys import ServerKeys
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.records import Membership, SessionRecord
from tests.support.livekit_servers import credentials_map
from tools.local.fake_livekit import FakeRoomService

USER = "user-1"
OTHERS = {"user-10", "user-2:user-1", "agent"}  # look alike, are not the user


class NoMemberships(AccountReader):
    def __init__(self, channels: list[int]) -> None:
        self.channels = channels

    def get_memberships(self, user_id: str) -> list[Membership]:
        return [Membership(channel_id, f"channel {channel_id}") for channel_id in self.channels]


def removal(*servers: FakeRoomService, default: FakeRoomService | None = None) -> RoomRemoval:
    keys = ServerKeys.from_parameter_document(json.loads(credentials_map(*servers)), (default or servers[0]).url)
    return RoomRemoval(keys)


def test_a_cut_off_user_leaves_every_room_of_theirs_on_every_server(livekit_servers):
    livekit_servers.seat("channel-1", USER, f"{USER}:phone", *OTHERS)
    livekit_servers.seat("channel-2", f"{USER}:laptop")
    livekit_servers.seat("channel-3", USER)  # not one of their channels: left alone
    revocation = Revocation(removal(*livekit_servers.both()), NoMemberships([1, 2]))

    report = revocation.user_cut_off(USER)

    assert (report.removed, report.failed_servers) == (6, ())
    for server in livekit_servers.both():
        assert server.rooms == {"channel-1": OTHERS, "channel-2": set(), "channel-3": {USER}}
        assert server.refused == 0  # each server got tokens signed with its own key


def test_a_logout_removes_only_that_sessions_device(livekit_servers):
    livekit_servers.seat("channel-1", USER, f"{USER}:phone", f"{USER}:laptop")
    session = SessionRecord("s", USER, "a@example.com", 0, "phone", None, 0, 0, 1)

    Revocation(removal(*livekit_servers.both()), NoMemberships([1])).session_ended(session)

    for server in livekit_servers.both():
        assert server.rooms["channel-1"] == {USER, f"{USER}:laptop"}
        assert "ListParticipants" not in server.methods()  # one known identity: removed by name


def test_a_revoked_grant_removes_the_user_from_that_channels_room_only(livekit_servers):
    livekit_servers.seat("channel-1", USER, f"{USER}:phone")
    livekit_servers.seat("channel-2", USER)

    Revocation(removal(*livekit_servers.both()), NoMemberships([1, 2])).grant_revoked(USER, 1)

    for server in livekit_servers.both():
        assert server.rooms == {"channel-1": set(), "channel-2": {USER}}


def test_a_member_made_viewer_stays_and_may_no_longer_publish(livekit_servers):
    livekit_servers.seat("channel-1", USER, f"{USER}:phone", "user-10")
    viewer = Membership(1, "one", can_publish=False, can_subscribe=True, can_publish_data=False)

    report = Revocation(removal(*livekit_servers.both()), NoMemberships([1])).grant_changed(USER, viewer)

    assert report.restricted == 4
    for server in livekit_servers.both():
        assert server.rooms["channel-1"] == {USER, f"{USER}:phone", "user-10"}
        assert "RemoveParticipant" not in server.methods()
        expected = {"can_publish": False, "can_subscribe": True, "can_publish_data": False}
        assert server.permissions == {("channel-1", USER): expected, ("channel-1", f"{USER}:phone"): expected}


def test_a_widened_grant_touches_no_server(livekit_servers):
    Revocation(removal(*livekit_servers.both()), NoMemberships([1])).grant_changed(USER, Membership(1, "one"))
    assert [server.calls for server in livekit_servers.both()] == [[], []]


def test_a_server_that_does_not_answer_is_named_and_the_others_still_remove(livekit_servers):
    livekit_servers.seat("channel-1", USER)
    down = livekit_servers.second.url
    livekit_servers.second.stop()

    report = removal(*livekit_servers.both()).remove(Participants.of_user(USER, [1]))

    assert (report.removed, report.failed_servers, report.complete) == (1, (down,), False)
    assert livekit_servers.first.rooms["channel-1"] == set()


def test_a_server_refusing_the_key_counts_as_failed(livekit_servers):
    livekit_servers.seat("channel-1", USER)
    swapped = {  # each server given the other's key
        livekit_servers.first.url: {"api_key": "APIsecondServer", "api_secret": livekit_servers.second.pair.api_secret},
    }
    keys = ServerKeys.from_parameter_document(swapped, livekit_servers.first.url)
    report = RoomRemoval(keys).remove(Participants.of_user(USER, [1]))
    assert report.failed_servers == (livekit_servers.first.url,)
    assert livekit_servers.first.refused == 1


def test_local_runs_contact_loopback_servers_only(livekit_servers):
    pair = livekit_servers.first.pair
    keys = ServerKeys.one_pair(pair, "wss://livekit.test.example", (livekit_servers.first.url,))
    report = RoomRemoval(keys, local_mode=True).remove(Participants.of_user(USER, [1]))
    assert report.skipped_servers == ("wss://livekit.test.example",)
    assert livekit_servers.first.methods() == ["ListParticipants"]


def test_the_permission_sent_is_the_whole_grant():
    assert Permission(False, True, True).body() == {
        "can_publish": False,
        "can_subscribe": True,
        "can_publish_data": True,
    }
