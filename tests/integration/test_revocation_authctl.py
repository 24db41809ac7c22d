"""authctl ends access in the tables and then in the rooms, on every configured server: disable, passwd,
logout, grant revoke, and a grant that drops publishing. A server that does not answer leaves the change
made, and authctl exits 1 naming it."""

from __future__ import annotations

import boto3
import pytest

from tests.support.livekit_servers import Servers
from tools.local.demo_data import DEMO, PRIVATE_CHANNEL, PUBLIC_CHANNEL
from tools.local.fake_aws import CREDENTIALS_PARAMETER

NEW_PASSWORD = "another password for the revocation test"


@pytest.fixture
def seated(livekit_servers: Servers, demo_users: dict[str, str]) -> tuple[Servers, str]:
    """The demo user on two devices in both its rooms, and someone else beside it, on both servers."""
    user_id = demo_users[DEMO.username]
    for channel_id in (PUBLIC_CHANNEL[0], PRIVATE_CHANNEL[0]):
        livekit_servers.seat(f"channel-{channel_id}", user_id, f"{user_id}:phone", "someone-else")
    return livekit_servers, user_id


def rooms_of(servers: Servers) -> list[dict[str, set[str]]]:
    return [server.rooms for server in servers.both()]


COMMANDS = {
    "disable": ("user", "disable", DEMO.username),
    "passwd": ("user", "passwd", "--password-stdin", DEMO.username),
    "logout": ("user", "logout", DEMO.username),
}


@pytest.mark.parametrize("argv", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_cut_off_user_is_removed_from_all_their_rooms_on_every_server(authctl_run, seated, argv):
    servers, _ = seated
    run = authctl_run(*argv, stdin=NEW_PASSWORD)
    assert run.code == 0, run.err
    assert "removed 8" in run.out  # 2 identities x 2 rooms x 2 servers
    for rooms in rooms_of(servers):
        assert all(identities == {"someone-else"} for identities in rooms.values())


def test_a_revoked_grant_removes_the_user_from_that_room_only(authctl_run, seated):
    servers, user_id = seated
    assert authctl_run("revoke", DEMO.username, str(PRIVATE_CHANNEL[0])).code == 0
    for rooms in rooms_of(servers):
        assert rooms[f"channel-{PRIVATE_CHANNEL[0]}"] == {"someone-else"}
        assert rooms[f"channel-{PUBLIC_CHANNEL[0]}"] == {user_id, f"{user_id}:phone", "someone-else"}


def test_a_grant_without_publishing_restricts_without_kicking(authctl_run, seated):
    servers, user_id = seated
    run = authctl_run("grant", DEMO.username, str(PUBLIC_CHANNEL[0]), "--no-publish")
    assert run.code == 0, run.err
    room = f"channel-{PUBLIC_CHANNEL[0]}"
    for server in servers.both():
        assert server.rooms[room] == {user_id, f"{user_id}:phone", "someone-else"}
        assert {
            identity for (_, identity), permission in server.permissions.items() if not permission["can_publish"]
        } == {
            user_id,
            f"{user_id}:phone",
        }
        assert "RemoveParticipant" not in server.methods()


def test_a_server_that_does_not_answer_is_named_and_the_change_stands(authctl_run, seated, good_login):
    servers, _ = seated
    down = servers.second.url
    servers.second.stop()

    run = authctl_run("user", "disable", DEMO.username)

    assert run.code == 1
    assert down in run.err
    assert servers.first.url not in run.err
    assert f"disabled {DEMO.username}" in run.out
    assert good_login(DEMO.username).status == 403  # disabled all the same
    assert all(identities == {"someone-else"} for identities in servers.first.rooms.values())


def test_commands_that_end_no_access_reach_no_server(authctl_run, seated):
    servers, _ = seated
    assert authctl_run("user", "enable", DEMO.username).code == 0
    assert authctl_run("grant", DEMO.username, str(PUBLIC_CHANNEL[0])).code == 0
    assert [server.calls for server in servers.both()] == [[], []]


def test_unreadable_livekit_keys_leave_the_change_made_and_say_so(authctl_run, seated, good_login):
    boto3.client("ssm").delete_parameter(Name=CREDENTIALS_PARAMETER)
    run = authctl_run("user", "disable", DEMO.username)
    assert run.code == 1
    assert "could not be read" in run.err
    assert CREDENTIALS_PARAMETER in run.err
    assert good_login(DEMO.username).status == 403
