"""Revocation reaches the room, on real LiveKit servers (issue 20): authctl and the logout route remove the
participants whose access ended, on every configured server, and the webhook removes one who rejoins.

The world: the local stack and two servers, each with its own key, both sending their webhooks to the
stack's `/api/livekit/webhook/` signed with that key; the credentials parameter holds the map of both
(LIVEKIT_SERVER_URL names the first, ALLOWED_SERVER_URLS the second). Each test makes its own user, so
one test's disable is no other's. authctl runs as `authctl --local` does, with the stack's environment.
"""

from __future__ import annotations

import asyncio
import io
import json
import socket
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

import pytest
import requests
from livekit import rtc
from livekit.rtc.participant import PublishTrackError

from livekit_auth.passwords import hash_password
from livekit_auth.routes import LOGOUT, WEBHOOK
from livekit_auth.storage.records import Membership
from livekit_auth.tokens import room_name
from livekit_authctl import cli as authctl
from tests.support import livekit as lk
from tests.support.settings import BCRYPT_ROUNDS
from tools.local import fake_aws, livekit_server
from tools.local import stack as local_stack
from tools.local.demo_data import DEMO, DEMO_PASSWORD, PRIVATE_CHANNEL, PUBLIC_CHANNEL
from tools.local.livekit_server import LiveKitServer

FIRST_KEY = ("APIfirstServer", "first-server-secret-of-at-least-32-bytes")
SECOND_KEY = ("APIsecondServer", "second-server-secret-of-at-least-32-bytes")
PASSWORD = "revocation-password-2026"
REMOVAL_SECONDS = 2  # the bound: removed this soon after the command, or after a rejoin
QUIET_SECONDS = 1.5  # how long one who must stay is watched staying
REMOVED = rtc.DisconnectReason.PARTICIPANT_REMOVED
PUBLIC, PRIVATE = PUBLIC_CHANNEL[0], PRIVATE_CHANNEL[0]


@dataclass
class World:
    stack: local_stack.LocalStack
    first: LiveKitServer
    second: LiveKitServer

    @property
    def webhook_url(self) -> str:
        return lk.api_base(self.stack) + WEBHOOK.public_path

    def servers(self) -> tuple[LiveKitServer, LiveKitServer]:
        return self.first, self.second

    def new_user(self, *channels: int, can_publish: bool = True) -> tuple[str, str]:
        """A fresh active user granted `channels`: (username, user_id)."""
        store = lk.admin_store(self.stack)
        username = f"revoked-{uuid.uuid4().hex[:10]}@example.com"
        user_id = store.create_user(username, hash_password(PASSWORD, BCRYPT_ROUNDS))
        user = store.require_user(username)
        for channel_id in channels:
            channel = store.get_channel(channel_id)
            assert channel is not None
            store.grant(user, channel, Membership(channel_id, channel.name, can_publish=can_publish))
        return username, user_id

    def restart_second(self) -> None:
        """The second server back on its ports with its key (its participants are gone, as after a crash)."""
        self.second = livekit_server.start(dict([SECOND_KEY]), ports=self.second.ports, webhook_url=self.webhook_url)


@pytest.fixture(scope="module")
def world(livekit_binary: None) -> Iterator[World]:
    first_ports = livekit_server.free_ports()
    second_ports = livekit_server.free_ports()
    assert first_ports != second_ports
    first_url, second_url = livekit_server.server_url(first_ports), livekit_server.server_url(second_ports)
    stack = local_stack.start(
        0, 0, bcrypt_rounds=BCRYPT_ROUNDS, env={"LIVEKIT_SERVER_URL": first_url, "ALLOWED_SERVER_URLS": second_url}
    )
    servers: list[LiveKitServer] = []
    try:
        fake_aws.put_livekit_credentials(  # before any request: the function reads it on its first login
            fake_aws.local_client("ssm", stack.emulator_url),
            fake_aws.LIVEKIT_CREDENTIALS_PARAMETER,
            servers={first_url: FIRST_KEY, second_url: SECOND_KEY},
        )
        webhook_url = lk.api_base(stack) + WEBHOOK.public_path
        for ports, key in ((first_ports, FIRST_KEY), (second_ports, SECOND_KEY)):
            servers.append(livekit_server.start(dict([key]), ports=ports, webhook_url=webhook_url))
        running = World(stack, *servers)
        yield running
        servers = [*running.servers()]
    finally:
        for server in servers:
            server.stop()
        stack.stop()


@dataclass(frozen=True)
class Outcome:
    code: int
    out: str
    err: str


def authctl_runner(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], stack: local_stack.LocalStack, **livekit: str
):
    """authctl --local against `stack`, with its LiveKit settings (`livekit`: LIVEKIT_SERVER_URL ...); awaitable,
    run in a thread so the rooms' events keep flowing meanwhile."""
    monkeypatch.setenv("EMULATOR_PORT", str(urlsplit(stack.emulator_url).port))
    for variable, value in livekit.items():
        monkeypatch.setenv(variable, value)
    monkeypatch.setenv("BCRYPT_ROUNDS", str(BCRYPT_ROUNDS))
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    capsys.readouterr()

    async def run(*argv: str) -> Outcome:
        code = await asyncio.to_thread(authctl.main, ["--local", *argv])
        out, err = capsys.readouterr()
        return Outcome(code, out, err)

    return run


@pytest.fixture
def run_authctl(world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """authctl --local against the world's stack, its LiveKit settings as the stack's."""
    return authctl_runner(
        monkeypatch, capsys, world.stack, LIVEKIT_SERVER_URL=world.first.url, ALLOWED_SERVER_URLS=world.second.url
    )


async def join_watched(rooms: lk.Rooms, url: str, token: str) -> tuple[rtc.Room, asyncio.Future]:
    """A participant joined with `token`, and the future of its disconnection's reason (watched from before
    the join, so a removal right after it is not missed)."""
    room = rtc.Room()
    disconnected = lk.watch(room, "disconnected")
    await room.connect(url, token)
    rooms.rooms.append(room)
    return room, disconnected


async def removed_within(disconnected: asyncio.Future, since: float) -> float:
    """Seconds from `since` until the participant was removed; fails after REMOVAL_SECONDS or another reason."""
    reason = await lk.within(disconnected, max(0.0, since + REMOVAL_SECONDS - time.monotonic()))
    assert reason == REMOVED, rtc.DisconnectReason.Name(reason)
    return time.monotonic() - since


async def stays(room: rtc.Room, disconnected: asyncio.Future) -> None:
    await asyncio.sleep(QUIET_SECONDS)
    assert not disconnected.done(), disconnected.result()
    assert room.isconnected()


def channel_token(login: dict, channel_id: int) -> str:
    return login["tokens"][str(channel_id)]["token"]


def test_1_a_disabled_user_is_removed_at_once_and_again_when_rejoining_with_the_same_token(world, run_authctl):
    username, _ = world.new_user(PUBLIC)
    token = channel_token(lk.login(world.stack, username, PASSWORD), PUBLIC)

    async def scenario() -> tuple[Outcome, float, float]:
        async with lk.Rooms() as rooms:
            _, disconnected = await join_watched(rooms, world.first.url, token)
            started = time.monotonic()
            outcome = await run_authctl("user", "disable", username)
            removal = await removed_within(disconnected, started)
            started = time.monotonic()
            _, disconnected = await join_watched(rooms, world.first.url, token)  # unexpired: the server takes it
            rejoin = await removed_within(disconnected, started)  # the webhook's doing: authctl is done
            return outcome, removal, rejoin

    outcome, removal, rejoin = lk.run(scenario)
    assert outcome.code == 0, outcome.err
    print(f"removed {removal:.2f} s after the disable, {rejoin:.2f} s after the rejoin")


def test_2_a_revoked_grant_removes_the_user_from_that_room_only(world, run_authctl):
    username, _ = world.new_user(PUBLIC, PRIVATE)
    login = lk.login(world.stack, username, PASSWORD)

    async def scenario() -> Outcome:
        async with lk.Rooms() as rooms:
            kept, kept_disconnected = await join_watched(rooms, world.first.url, channel_token(login, PUBLIC))
            _, disconnected = await join_watched(rooms, world.first.url, channel_token(login, PRIVATE))
            started = time.monotonic()
            outcome = await run_authctl("revoke", username, str(PRIVATE))
            await removed_within(disconnected, started)
            await stays(kept, kept_disconnected)
            return outcome

    outcome = lk.run(scenario)
    assert outcome.code == 0, outcome.err


def test_3_a_member_made_viewer_stays_and_its_next_publish_is_refused(world, run_authctl):
    username, _ = world.new_user(PUBLIC)
    token = channel_token(lk.login(world.stack, username, PASSWORD), PUBLIC)

    async def scenario() -> tuple[Outcome, bool]:
        async with lk.Rooms() as rooms:
            room, disconnected = await join_watched(rooms, world.first.url, token)
            allowed = rooms.watch(
                room, "participant_permissions_changed", lambda participant, *_: participant.permissions is not None
            )
            outcome = await run_authctl("grant", username, str(PUBLIC), "--no-publish")
            await lk.within(allowed, REMOVAL_SECONDS)
            await stays(room, disconnected)
            try:
                await lk.publish_microphone(room)
            except PublishTrackError:
                return outcome, False
            return outcome, True

    outcome, published = lk.run(scenario)
    assert outcome.code == 0, outcome.err
    assert not published


def test_4_a_logout_removes_that_devices_identity_and_leaves_the_other_device(world):
    username, user_id = world.new_user(PUBLIC)
    phone = lk.login(world.stack, username, PASSWORD, session=True, device="phone")["session"]["token"]
    laptop = lk.login(world.stack, username, PASSWORD, session=True, device="laptop")["session"]["token"]
    tokens = {}
    for device, session in (("phone", phone), ("laptop", laptop)):
        answer = lk.endpoint_token(
            world.stack, session, room_name=room_name(PUBLIC), participant_identity=f"{user_id}:{device}"
        )
        assert answer.status_code == 201, answer.text
        tokens[device] = answer.json()["participant_token"]

    async def scenario() -> int:
        async with lk.Rooms() as rooms:
            kept, kept_disconnected = await join_watched(rooms, world.first.url, tokens["laptop"])
            _, disconnected = await join_watched(rooms, world.first.url, tokens["phone"])
            started = time.monotonic()
            logout = await asyncio.to_thread(
                requests.post,
                lk.api_base(world.stack) + LOGOUT.public_path,
                headers={"Authorization": f"Bearer {phone}"},
                timeout=lk.HTTP_TIMEOUT_SECONDS,
            )
            await removed_within(disconnected, started)
            await stays(kept, kept_disconnected)
            assert kept.local_participant.identity == f"{user_id}:laptop"
            return logout.status_code

    assert lk.run(scenario) == 204


def test_5_each_server_takes_only_its_own_keys_tokens_and_a_disable_removes_the_user_from_both(world, run_authctl):
    username, _ = world.new_user(PUBLIC)
    first = channel_token(lk.login(world.stack, username, PASSWORD), PUBLIC)
    second = channel_token(lk.login(world.stack, username, PASSWORD, server_url=world.second.url), PUBLIC)

    async def scenario() -> tuple[list[bool], Outcome]:
        async with lk.Rooms() as rooms:
            refused = []
            for server, foreign in ((world.first, second), (world.second, first)):
                try:
                    await rooms.join(server.url, foreign)
                    refused.append(False)
                except rtc.ConnectError:
                    refused.append(True)
            _, on_first = await join_watched(rooms, world.first.url, first)
            _, on_second = await join_watched(rooms, world.second.url, second)
            started = time.monotonic()
            outcome = await run_authctl("user", "disable", username)
            await removed_within(on_first, started)
            await removed_within(on_second, started)
            return refused, outcome

    refused, outcome = lk.run(scenario)
    assert refused == [True, True]
    assert outcome.code == 0, outcome.err


def test_6_a_server_down_during_a_disable_is_named_and_its_rejoin_is_removed_once_it_is_back(world, run_authctl):
    username, _ = world.new_user(PUBLIC)
    first = channel_token(lk.login(world.stack, username, PASSWORD), PUBLIC)
    second = channel_token(lk.login(world.stack, username, PASSWORD, server_url=world.second.url), PUBLIC)

    async def scenario() -> tuple[Outcome, float]:
        async with lk.Rooms() as rooms:
            _, on_first = await join_watched(rooms, world.first.url, first)
            on_second, _ = await join_watched(rooms, world.second.url, second)
            world.second.stop()
            await on_second.disconnect()  # else its SDK reconnects by itself once the server is back
            started = time.monotonic()
            outcome = await run_authctl("user", "disable", username)
            await removed_within(on_first, started)
            await asyncio.to_thread(world.restart_second)
            started = time.monotonic()
            _, rejoined = await join_watched(rooms, world.second.url, second)
            return outcome, await removed_within(rejoined, started)

    outcome, rejoin = lk.run(scenario)
    assert outcome.code == 1
    assert world.second.url in outcome.err, outcome.err
    assert world.first.url not in outcome.err
    user = lk.admin_store(world.stack).get_user(username)
    assert user is not None
    assert not user.active
    print(f"rejoin removed after {rejoin:.2f} s")


def three_free_ports() -> int:
    """A port that is free on loopback with the two after it (`make run --livekit-port` takes all three)."""
    for _ in range(50):
        port = livekit_server.free_ports().http
        try:
            for offset, kind in ((0, socket.SOCK_STREAM), (1, socket.SOCK_STREAM), (2, socket.SOCK_DGRAM)):
                with socket.socket(socket.AF_INET, kind) as probe:
                    probe.bind((livekit_server.HOST, port + offset))
        except OSError:
            continue
        return port
    raise RuntimeError("no three consecutive free ports on loopback")


def test_make_run_with_livekit_stores_its_key_as_that_servers_and_its_webhook_removes_a_rejoin(
    livekit_binary, monkeypatch, capsys
):
    """The demo too: `make run --livekit` writes the per-server map and points the server's webhook at its API."""
    port = three_free_ports()
    url = livekit_server.server_url(livekit_server.make_run_ports(port))
    stack = local_stack.start(0, 0, bcrypt_rounds=BCRYPT_ROUNDS, livekit_port=port)
    try:
        ssm = fake_aws.local_client("ssm", stack.emulator_url)
        stored = ssm.get_parameter(Name=fake_aws.LIVEKIT_CREDENTIALS_PARAMETER, WithDecryption=True)
        assert json.loads(stored["Parameter"]["Value"]) == {
            url: {"api_key": fake_aws.DEV_API_KEY, "api_secret": fake_aws.DEV_API_SECRET}
        }
        login = lk.login(stack, DEMO.username, DEMO_PASSWORD)
        assert login["server_url"] == url
        token = channel_token(login, PUBLIC)
        run = authctl_runner(monkeypatch, capsys, stack, LIVEKIT_SERVER_URL=url)

        async def scenario() -> Outcome:
            async with lk.Rooms() as rooms:
                _, disconnected = await join_watched(rooms, url, token)
                started = time.monotonic()
                outcome = await run("user", "disable", DEMO.username)
                await removed_within(disconnected, started)
                started = time.monotonic()
                _, disconnected = await join_watched(rooms, url, token)
                await removed_within(disconnected, started)
                return outcome

        outcome = lk.run(scenario)
        assert outcome.code == 0, outcome.err
    finally:
        stack.stop()
