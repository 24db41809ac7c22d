"""Helpers of the tests against LiveKit's own software (tests/livekit/): the tools they need, the local API
pointed at a real server, and LiveKit's Python realtime SDK driven from synchronous tests.

Each test runs its asyncio work with run(); Rooms connects participants and disconnects every one of
them at the end (a room left connected when its event loop closes crashes the SDK's native threads).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import requests
from livekit import api

from livekit_auth import config
from livekit_auth.routes import LOGIN, TOKEN
from livekit_authctl.storage.admin import AdminStore
from tests.support.settings import BCRYPT_ROUNDS
from tools.local import fake_aws
from tools.local import stack as local_stack
from tools.local.livekit_server import LiveKitServer

if TYPE_CHECKING:  # the realtime SDK is imported where a room is made: the unit tests (python3.13 too) need none
    from livekit import rtc

T = TypeVar("T")
# Debian's package (.ci/run installs it); playwright-core drives it and downloads no browser. $CHROMIUM names
# another build of Chromium or Chrome (a GitHub runner's /usr/bin/google-chrome).
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
EVENT_TIMEOUT_SECONDS = 15
TEST_TIMEOUT_SECONDS = 90
HTTP_TIMEOUT_SECONDS = 10


# ---- the tools the tier needs ------------------------------------------------------------------------------


def chromium_missing() -> str | None:
    if os.access(CHROMIUM, os.X_OK):
        return None
    return f"no Chromium at {CHROMIUM}: `apt-get install chromium` (Debian; .ci/run does it), or set CHROMIUM"


def node_missing() -> str | None:
    if shutil.which("node") is None:
        return "node is not on PATH: install Node 20+"
    return None


# ---- the local API in front of a real server ----------------------------------------------------------------


def start_stack(server: LiveKitServer, **env: str) -> local_stack.LocalStack:
    """The local stack (emulator, demo data, API) with the server's URL as its LIVEKIT_SERVER_URL; `env`
    overrides other settings (ALLOWED_ORIGINS, LOCKOUT_THRESHOLD ...). Its key pair is local_stack's, which
    the server must hold (server_keys())."""
    settings = {"LIVEKIT_SERVER_URL": server.url, **env}
    return local_stack.start(0, 0, bcrypt_rounds=BCRYPT_ROUNDS, env=settings)


def server_keys() -> dict[str, str]:
    """The keys map a server needs for every token these tests mint: the local stack's pair (HTTP API) and
    the emulated function's (the handler called in-process), first: observer_token() signs with it, as its
    secret is long enough for PyJWT."""
    return {fake_aws.API_KEY: fake_aws.API_SECRET, fake_aws.DEV_API_KEY: fake_aws.DEV_API_SECRET}


def api_base(stack: local_stack.LocalStack) -> str:
    return stack.api_url.removesuffix(LOGIN.public_path)


def admin_store(stack: local_stack.LocalStack) -> AdminStore:
    """The stack's tables, as authctl --local sees them."""
    return AdminStore(fake_aws.local_client("dynamodb", stack.emulator_url), config.table_names(stack.tables))


def login(stack: local_stack.LocalStack, username: str, password: str, **extra: Any) -> dict[str, Any]:
    """The guide's login over HTTP; the answer's body (asserts 200)."""
    body = {"username": username, "password": password, **extra}
    response = requests.post(stack.api_url, json=body, timeout=HTTP_TIMEOUT_SECONDS)
    assert response.status_code == 200, response.text
    return response.json()


def endpoint_token(stack: local_stack.LocalStack, session_token: str, **request: Any) -> requests.Response:
    """POST the token endpoint with a session token and a TokenSourceRequest body."""
    return requests.post(
        api_base(stack) + TOKEN.public_path,
        json=request,
        headers={"Authorization": f"Bearer {session_token}"},
        timeout=HTTP_TIMEOUT_SECONDS,
    )


def observer_token(keys: Mapping[str, str], room: str, identity: str = "observer") -> str:
    """A token of the test's own (LiveKit's SDK, first key of `keys`) for a participant who watches `room`."""
    key, secret = next(iter(keys.items()))
    grants = api.VideoGrants(room_join=True, room=room, can_publish=False, can_subscribe=True)
    return api.AccessToken(key, secret).with_identity(identity).with_name(identity).with_grants(grants).to_jwt()


# ---- LiveKit's Python realtime SDK ---------------------------------------------------------------------------


def run(work: Callable[[], Awaitable[T]], timeout: float = TEST_TIMEOUT_SECONDS) -> T:
    """Run a test's asyncio work to its end (or the timeout) on a fresh event loop."""

    async def bounded() -> T:
        return await asyncio.wait_for(work(), timeout)

    return asyncio.run(bounded())


class Rooms(AbstractAsyncContextManager["Rooms"]):
    """`async with Rooms() as rooms:` connects participants with rooms.join(url, token); all leave at the end."""

    def __init__(self) -> None:
        self.rooms: list[rtc.Room] = []

    async def join(self, url: str, token: str) -> rtc.Room:
        """A participant connected with `token` (raises rtc.ConnectError when the server refuses it)."""
        from livekit import rtc

        room = rtc.Room()
        await room.connect(url, token)
        self.rooms.append(room)
        return room

    def watch(self, room: rtc.Room, event: str, accept: Callable[..., bool] = lambda *_: True) -> asyncio.Future:
        """A future of the first `event` on `room` whose arguments `accept` takes; set it up before the event."""
        return watch(room, event, accept)

    async def __aexit__(self, *exc: object) -> None:
        for room in self.rooms:
            if room.isconnected():
                await room.disconnect()


def watch(room: rtc.Room, event: str, accept: Callable[..., bool] = lambda *_: True) -> asyncio.Future:
    """A future of the first `event` on `room` whose arguments `accept` takes (a tuple of them, or the one)."""
    future: asyncio.Future = asyncio.get_running_loop().create_future()

    def seen(*arguments: Any) -> None:
        if not future.done() and accept(*arguments):
            future.set_result(arguments[0] if len(arguments) == 1 else arguments)

    room.on(event, seen)
    return future


async def within(future: Awaitable[T], timeout: float = EVENT_TIMEOUT_SECONDS) -> T:
    return await asyncio.wait_for(future, timeout)


async def publish_microphone(room: rtc.Room, name: str = "microphone") -> rtc.LocalTrackPublication:
    """Publish a (silent) audio track; livekit.rtc.participant.PublishTrackError when the server does not take it."""
    from livekit import rtc

    track = rtc.LocalAudioTrack.create_audio_track(name, rtc.AudioSource(48000, 1))
    options = rtc.TrackPublishOptions(source=rtc.TrackSource.SOURCE_MICROPHONE)
    return await room.local_participant.publish_track(track, options)
