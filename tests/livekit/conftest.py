"""Fixtures of the tier against LiveKit's own software: a real livekit-server (tools/local/livekit_server.py,
built by `make livekit`) on loopback, the local API pointed at it, and headless Chromium for the browser.

Reusable pieces: `livekit_server_factory(keys, webhook_url=None)` starts a server with that keys map on
free ports (stopped after the test); `livekit` is one server for the session holding server_keys();
`livekit_stack` is the local stack answering with that server's URL (lk.start_stack(server, **settings)
makes another). Without the built server (or Go)
the tier skips with one line saying how to get it; under CI it fails instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

import pytest

from tests.support import livekit as lk
from tests.support.missing_tools import require
from tools.local import livekit_server
from tools.local import stack as local_stack
from tools.local.livekit_server import LiveKitServer

StartServer = Callable[..., LiveKitServer]


@pytest.fixture(scope="session")
def livekit_binary() -> None:
    require(livekit_server.missing())


@pytest.fixture
def livekit_server_factory(livekit_binary: None) -> Iterator[StartServer]:
    """start(keys, webhook_url=None, ports=None) -> a running server with that `keys:` map on loopback, on
    `ports` (a stopped server's, to restart it with other keys) or free ones; each is stopped after the test."""
    started: list[LiveKitServer] = []

    def start(
        keys: Mapping[str, str], webhook_url: str | None = None, ports: livekit_server.Ports | None = None
    ) -> LiveKitServer:
        server = livekit_server.start(keys, webhook_url=webhook_url, ports=ports)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(scope="session")
def livekit(livekit_binary: None) -> Iterator[LiveKitServer]:
    """One server for the session, holding the key pairs of every token these tests mint (lk.server_keys())."""
    with livekit_server.start(lk.server_keys()) as server:
        yield server


@pytest.fixture(scope="session")
def livekit_stack(livekit: LiveKitServer) -> Iterator[local_stack.LocalStack]:
    """The local stack with demo data whose answers send clients to the session's server."""
    running = lk.start_stack(livekit)
    yield running
    running.stop()
