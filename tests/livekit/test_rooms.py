"""The service's tokens in a real LiveKit server, through LiveKit's Python realtime SDK: who joins which room,
what others see of them, who may publish, and how two devices of one user share a room."""

from __future__ import annotations

import asyncio
import base64
import json

import pytest
from livekit import rtc
from livekit.rtc.participant import PublishTrackError

from livekit_auth.tokens import room_name
from tests.support import livekit as lk
from tools.local.demo_data import DEMO, DEMO_PASSWORD, PRIVATE_CHANNEL, PUBLIC_CHANNEL, VIEWER

DISPLAY_NAME = "کاربر نمایشی"  # what others should see of the demo user
QUIET_SECONDS = 2  # how long two devices must sit side by side without a kick


@pytest.fixture(scope="module")
def demo_login(livekit_stack) -> dict:
    """The demo user's login (with a session), after giving the user a display name."""
    lk.admin_store(livekit_stack).set_display_name(DEMO.username, DISPLAY_NAME)
    return lk.login(livekit_stack, DEMO.username, DEMO_PASSWORD, session=True)


def test_each_channel_token_joins_its_room_and_others_see_the_user_id_and_display_name(livekit, demo_login):
    assert demo_login["server_url"] == livekit.url
    assert set(demo_login["tokens"]) == {str(PUBLIC_CHANNEL[0]), str(PRIVATE_CHANNEL[0])}

    async def join_each() -> list[tuple]:
        seen = []
        async with lk.Rooms() as rooms:
            for channel, entry in demo_login["tokens"].items():
                room = room_name(int(channel))
                observer = await rooms.join(livekit.url, lk.observer_token(livekit.keys, room))
                arrival = rooms.watch(observer, "participant_connected")
                joined = await rooms.join(livekit.url, entry["token"])
                participant = await lk.within(arrival)
                seen.append((joined.name, joined.local_participant.identity, participant.identity, participant.name))
        return seen

    user_id = demo_login["user_id"]
    assert sorted(lk.run(join_each)) == sorted(
        (room_name(channel_id), user_id, user_id, DISPLAY_NAME) for channel_id, _ in (PUBLIC_CHANNEL, PRIVATE_CHANNEL)
    )


def test_a_token_for_one_channel_cannot_join_another_channels_room(livekit, demo_login):
    """The room is the token's: it lands in its own channel only, and naming another room breaks the signature."""
    public_token = demo_login["tokens"][str(PUBLIC_CHANNEL[0])]["token"]
    private_room = room_name(PRIVATE_CHANNEL[0])
    header, payload, signature = public_token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["video"]["room"] = private_room
    edited = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    async def attempt() -> tuple[str, list[str]]:
        async with lk.Rooms() as rooms:
            observer = await rooms.join(livekit.url, lk.observer_token(livekit.keys, private_room))
            with pytest.raises(rtc.ConnectError, match="401"):
                await rooms.join(livekit.url, f"{header}.{edited}.{signature}")
            joined = await rooms.join(livekit.url, public_token)
            await asyncio.sleep(1)  # time for an arrival in the private room, if there were one
            return joined.name, [p.identity for p in observer.remote_participants.values()]

    landed_in, private_room_participants = lk.run(attempt)
    assert landed_in == room_name(PUBLIC_CHANNEL[0])
    assert private_room_participants == []


def test_the_demo_user_publishes_and_another_participant_receives_the_track(livekit, demo_login):
    room = room_name(PUBLIC_CHANNEL[0])

    async def publish() -> tuple:
        async with lk.Rooms() as rooms:
            observer = await rooms.join(livekit.url, lk.observer_token(livekit.keys, room))
            received = rooms.watch(observer, "track_subscribed")
            demo = await rooms.join(livekit.url, demo_login["tokens"][str(PUBLIC_CHANNEL[0])]["token"])
            await lk.publish_microphone(demo)
            track, _publication, participant = await lk.within(received)
            return track.kind, participant.identity

    assert lk.run(publish) == (rtc.TrackKind.KIND_AUDIO, demo_login["user_id"])


def test_the_viewer_is_refused_by_the_server_when_it_publishes(livekit, livekit_stack):
    viewer_login = lk.login(livekit_stack, VIEWER.username, DEMO_PASSWORD)
    room = room_name(PUBLIC_CHANNEL[0])

    async def try_to_publish() -> tuple:
        async with lk.Rooms() as rooms:
            observer = await rooms.join(livekit.url, lk.observer_token(livekit.keys, room))
            published = rooms.watch(observer, "track_published")
            viewer = await rooms.join(livekit.url, viewer_login["tokens"][str(PUBLIC_CHANNEL[0])]["token"])
            can_publish = viewer.local_participant.permissions.can_publish
            with pytest.raises(PublishTrackError):  # the server never accepts the track
                await lk.publish_microphone(viewer)
            await asyncio.sleep(0.5)
            return can_publish, published.done(), viewer.local_participant.identity

    assert lk.run(try_to_publish) == (False, False, viewer_login["user_id"])


def test_two_devices_of_one_user_share_a_room_and_a_repeated_identity_kicks_the_older(livekit, livekit_stack):
    """Device identities `<user_id>:<device>` from the token endpoint (one session per device) coexist; one
    identity twice is LiveKit's duplicate-identity kick, which is why device identities exist."""
    sessions = {
        device: lk.login(livekit_stack, DEMO.username, DEMO_PASSWORD, session=True, device=device)
        for device in ("laptop", "phone")
    }
    user_id, room = sessions["laptop"]["user_id"], room_name(PUBLIC_CHANNEL[0])

    def device_token(device: str) -> tuple[str, str]:
        answer = lk.endpoint_token(
            livekit_stack,
            sessions[device]["session"]["token"],
            room_name=room,
            participant_identity=f"{user_id}:{device}",
        )
        assert answer.status_code == 201, answer.text
        return answer.json()["server_url"], answer.json()["participant_token"]

    async def sit_together() -> tuple:
        async with lk.Rooms() as rooms:
            observer = await rooms.join(livekit.url, lk.observer_token(livekit.keys, room))
            arrivals = [
                rooms.watch(observer, "participant_connected", lambda p, device=device: p.identity.endswith(device))
                for device in (":laptop", ":phone")
            ]
            laptop = await rooms.join(*device_token("laptop"))
            laptop_left = rooms.watch(laptop, "disconnected")
            phone = await rooms.join(*device_token("phone"))
            phone_left = rooms.watch(phone, "disconnected")
            together = sorted([(await lk.within(arrival)).identity for arrival in arrivals])
            await asyncio.sleep(QUIET_SECONDS)
            kicked_early = laptop_left.done() or phone_left.done()
            await rooms.join(*device_token("laptop"))  # the same identity again: a second tab on the laptop
            reason = await lk.within(laptop_left)
            return together, kicked_early, phone_left.done(), reason

    together, kicked_early, phone_kicked, reason = lk.run(sit_together)
    assert together == [f"{user_id}:laptop", f"{user_id}:phone"]
    assert (kicked_early, phone_kicked) == (False, False)
    assert rtc.DisconnectReason.Name(reason) == "DUPLICATE_IDENTITY"
