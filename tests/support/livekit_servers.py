"""Two stand-in LiveKit servers on loopback (tools.local.fake_livekit), each with its own key, set up as
the function's configured servers: the credentials parameter holds the map of both, LIVEKIT_SERVER_URL
names the first and ALLOWED_SERVER_URLS the second."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass

import boto3
import pytest

from livekit_auth.tokens import LiveKitCredentials
from tools.local import fake_aws
from tools.local.fake_livekit import FakeRoomService

FIRST = LiveKitCredentials("APIfirstServer", "first-server-secret-of-at-least-32-bytes")
SECOND = LiveKitCredentials("APIsecondServer", "second-server-secret-of-at-least-32-bytes")


@dataclass
class Servers:
    first: FakeRoomService
    second: FakeRoomService

    def both(self) -> tuple[FakeRoomService, FakeRoomService]:
        return self.first, self.second

    def seat(self, room: str, *identities: str) -> None:
        """Put these participants in the room on both servers."""
        for server in self.both():
            server.rooms.setdefault(room, set()).update(identities)


def credentials_map(*servers: FakeRoomService) -> str:
    """The credentials parameter's value in the per-server shape."""
    return json.dumps(
        {server.url: {"api_key": server.pair.api_key, "api_secret": server.pair.api_secret} for server in servers}
    )


@contextlib.contextmanager
def running_servers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Servers]:
    """Both servers running and configured for the function (and authctl, which reads the same environment)."""
    servers = Servers(FakeRoomService(FIRST).start(), FakeRoomService(SECOND).start())
    fake_aws.put_livekit_credentials(
        boto3.client("ssm"),
        servers={server.url: (server.pair.api_key, server.pair.api_secret) for server in servers.both()},
    )
    monkeypatch.setenv("LIVEKIT_SERVER_URL", servers.first.url)
    monkeypatch.setenv("ALLOWED_SERVER_URLS", servers.second.url)
    try:
        yield servers
    finally:
        for server in servers.both():
            server.stop()


@contextlib.contextmanager
def dev_room_service() -> Iterator[FakeRoomService]:
    """A stand-in for `livekit-server --dev` (its public dev key pair), for a local stack to name as its
    LIVEKIT_SERVER_URL, so nothing reaches a LiveKit server someone may run on the default port."""
    server = FakeRoomService(LiveKitCredentials(fake_aws.DEV_API_KEY, fake_aws.DEV_API_SECRET)).start()
    try:
        yield server
    finally:
        server.stop()
