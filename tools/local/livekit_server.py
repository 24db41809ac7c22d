"""LiveKit's own server, built by the project at a pinned release and run on loopback only.

`make livekit` builds it once into a git-ignored cache folder (Go's build cache makes a rebuild
after `make clean` quick); `make run` starts it beside the API when it is there, and the tests in
tests/livekit/ start one per need with the keys they choose. Its configuration is made here from
the caller's key map, so the local stack's key and secret have one home (tools.local.stack).

Only loopback: the server binds 127.0.0.1, announces 127.0.0.1 as its only ICE address, never asks a
STUN server for an external one, and hands clients a STUN address on loopback instead of LiveKit's
public defaults, so no participant reaches out either.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from tools import REPO_ROOT

# The newest release whose `cmd/server` builds from the Go module proxy. v1.13.6 to v1.13.11 replace
# pion's webrtc, dtls and ice modules with LiveKit forks (`replace` lines in their go.mod) whose
# versions the proxy does not serve (403), so neither `go install` nor a wrapper module can build them.
VERSION = "v1.13.5"
GO_PACKAGE = "github.com/livekit/livekit-server/cmd/server"
CACHE_DIR = REPO_ROOT / ".cache" / "livekit-server" / VERSION
BINARY = CACHE_DIR / "server"  # the package's binary name
HOST = "127.0.0.1"
GET_IT = "`make livekit` builds it (needs Go 1.26 on PATH: https://go.dev/doc/install)"
START_TIMEOUT_SECONDS = 30
STOP_TIMEOUT_SECONDS = 10


def missing() -> str | None:
    """Why the server cannot run here, in one line naming what is missing and how to get it; None when it can."""
    if BINARY.is_file():
        return None
    if shutil.which("go") is None:
        return f"Go is not installed, so LiveKit's server ({VERSION}) cannot be built: {GET_IT}"
    return f"LiveKit's server {VERSION} is not built yet: {GET_IT}"


def build() -> Path | None:
    """`go install` the pinned release into CACHE_DIR, once; return the binary.

    Without Go it says what is missing and returns None (the tests that need the server then skip),
    except under CI (`CI` set), where a missing tool is a failure.
    """
    if BINARY.is_file():
        return BINARY
    go = shutil.which("go")
    if go is None:
        if os.environ.get("CI"):
            sys.exit(missing())
        print(missing(), flush=True)
        return None
    CACHE_DIR.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"building LiveKit's server {VERSION} into {CACHE_DIR.relative_to(REPO_ROOT)} ...", flush=True)
    subprocess.run([go, "install", f"{GO_PACKAGE}@{VERSION}"], check=True, env={**os.environ, "GOBIN": str(CACHE_DIR)})
    print(f"built in {time.monotonic() - started:.0f} s: {BINARY.relative_to(REPO_ROOT)}", flush=True)
    return BINARY


# ---- configuration -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ports:
    http: int  # signalling (WebSocket) and the Twirp API (RoomService)
    rtc_tcp: int  # ICE over TCP: the fallback where UDP on loopback misbehaves
    rtc_udp: int  # ICE over UDP, one muxed port


def server_url(ports: Ports) -> str:
    """The URL clients connect to on a server with these ports (known before it starts)."""
    return f"ws://{HOST}:{ports.http}"


def free_ports() -> Ports:
    """Three ports that are free on loopback right now (two TCP, one UDP)."""
    sockets = [socket.socket(socket.AF_INET, kind) for kind in (socket.SOCK_STREAM, socket.SOCK_STREAM)]
    sockets.append(socket.socket(socket.AF_INET, socket.SOCK_DGRAM))
    try:
        for sock in sockets:
            sock.bind((HOST, 0))
        http, rtc_tcp, rtc_udp = (sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()
    return Ports(http, rtc_tcp, rtc_udp)


def server_config(keys: Mapping[str, str], ports: Ports, webhook_url: str | None = None) -> dict:
    """The server's YAML configuration: `keys` ({api_key: api_secret}, the server's `keys:` map) on loopback.

    With `webhook_url` the server posts its webhooks there, signed with the first key.
    """
    config: dict = {
        "port": ports.http,
        "bind_addresses": [HOST],
        "rtc": {
            "tcp_port": ports.rtc_tcp,
            "udp_port": ports.rtc_udp,
            "node_ip": HOST,
            "use_external_ip": False,
            # ICE candidates on loopback only (else the host's other addresses, IPv6 ones included, are offered).
            # A client that gathers no loopback candidate of its own (the Python SDK) reaches 127.0.0.1 over
            # the TCP port; Chromium with --allow-loopback-in-peer-connection uses UDP.
            "interfaces": {"includes": ["lo"]},
            "ips": {"includes": [f"{HOST}/8"]},
            "enable_loopback_candidate": True,
            # Handed to clients as their ICE servers: without it the server gives them public STUN servers.
            "stun_servers": [f"{HOST}:{ports.rtc_udp}"],
        },
        "keys": dict(keys),
        "logging": {"level": "info", "json": False},
    }
    if webhook_url:
        config["webhook"] = {"api_key": next(iter(keys)), "urls": [webhook_url]}
    return config


# ---- a running server ----------------------------------------------------------------------------------


@dataclass
class LiveKitServer:
    """A running server in a child process; stop() ends it."""

    ports: Ports
    keys: dict[str, str] = field(repr=False)
    process: subprocess.Popen[bytes] = field(repr=False)
    workdir: Path = field(repr=False)  # config.yaml and output.log

    @property
    def url(self) -> str:
        """What clients connect to (a token's `server_url`)."""
        return server_url(self.ports)

    @property
    def http_url(self) -> str:
        """The same port over HTTP, for the server API (RoomService)."""
        return f"http://{HOST}:{self.ports.http}"

    def log(self) -> str:
        return (self.workdir / "output.log").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> LiveKitServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(
    keys: Mapping[str, str], *, ports: Ports | None = None, webhook_url: str | None = None, binary: Path = BINARY
) -> LiveKitServer:
    """Start the built server with `keys` on `ports` (free ones when None) and wait until it answers."""
    if not binary.is_file():
        raise FileNotFoundError(missing())
    ports = ports or free_ports()
    workdir = Path(tempfile.mkdtemp(prefix="livekit-server-"))
    config_path = workdir / "config.yaml"
    config_path.write_text(yaml.safe_dump(server_config(keys, ports, webhook_url)), encoding="utf-8")
    with (workdir / "output.log").open("wb") as log:
        process = subprocess.Popen(
            [str(binary), "--config", str(config_path)], stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
        )
    server = LiveKitServer(ports, dict(keys), process, workdir)
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not _answers(server.http_url):
        if process.poll() is not None or time.monotonic() > deadline:
            output = server.log()
            server.stop()
            raise RuntimeError(f"LiveKit's server did not start:\n{output[-4000:]}")
        time.sleep(0.1)
    return server


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 - our own loopback server
            return response.status == 200
    except OSError:
        return False


# ---- `make run` ---------------------------------------------------------------------------------------

DEFAULT_PORT = 7880  # LiveKit's own default; the RTC ports follow it (TCP +1, UDP +2)


@dataclass(frozen=True)
class LocalRoom:
    """What `make run` adds when the server is built: the server's URL and the join page's origin."""

    server_url: str
    page_origin: str


def make_run_ports(port: int) -> Ports:
    """`make run`'s server ports: `port` and the two after it (0: free ones)."""
    return Ports(port, port + 1, port + 2) if port else free_ports()


@contextmanager
def for_make_run(
    keys: Mapping[str, str], ports: Ports, page_port: int, webhook_url: str | None = None
) -> Iterator[LocalRoom | None]:
    """The server with `keys` on `ports`, posting its webhooks to `webhook_url` (the local API's, so a removed
    participant who rejoins is removed again), and the join page on `page_port`, when the server is built;
    otherwise say how to get it and yield None (the API then answers with its usual server_url)."""
    if missing():
        print(f"LiveKit's server: not started. {GET_IT}, then `make run` starts it here.", flush=True)
        yield None
        return
    from tools.local import join_page

    with start(keys, ports=ports, webhook_url=webhook_url) as server, join_page.serving(page_port) as page_origin:
        yield LocalRoom(server.url, page_origin)


def how_to_join(room: LocalRoom, api_base: str, username: str, password: str, room_name: str) -> str:
    """What `make run` prints for a newcomer: how to join, and what authctl --local needs to reach the room."""
    from tools.local import join_page

    page = join_page.join_url(room.page_origin, api_base, username, password, room_name)
    return (
        f"  LiveKit {VERSION}: {room.server_url}; join {room_name} as the demo user: open {page} and press Join\n"
        f"  authctl --local removes participants there with LIVEKIT_SERVER_URL={room.server_url} set"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local.livekit_server", description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["build", "path"], help="build: once into the cache; path: print it")
    args = parser.parse_args(argv)
    if args.command == "build":
        build()
    else:
        print(BINARY)
    return 0


if __name__ == "__main__":
    sys.exit(main())
