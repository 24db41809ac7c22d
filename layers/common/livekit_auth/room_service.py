"""Taking people out of LiveKit rooms when their access ends, on every configured server.

A small client of LiveKit's RoomService over its Twirp JSON API (`POST <server>/twirp/livekit.RoomService/
<Method>`, JSON bodies, `Authorization: Bearer <admin token>`), on urllib3, which comes with boto3: it
adds nothing to the package and next to nothing to a cold start (`python -m tools.bench.cold_init`
compares it with LiveKit's own `livekit-api`). Each call carries a short-lived token signed with that
server's key, granting roomAdmin on that one room only.

`RoomRemoval` fans one removal out to every server at once. A server that does not answer is reported,
not raised: the database change that ended the access stands, the caller names the failed servers and
counts them, and the webhook (livekit_auth.webhooks) removes the participant if it comes back.
"""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import urllib3

from livekit_auth.server_keys import ServerKeys, room_service_url
from livekit_auth.tokens import LiveKitCredentials, RoomAdminGrant, mint_token
from livekit_auth.tokens import room_name as channel_room

TWIRP_PREFIX = "/twirp/livekit.RoomService/"
ADMIN_TOKEN_TTL_SECONDS = 60  # long enough for one call, short enough to be useless if it leaked
ADMIN_IDENTITY = "livekit-auth-admin"
CONNECT_TIMEOUT_SECONDS = 1.0
READ_TIMEOUT_SECONDS = 2.0
DEVICE_SEPARATOR = ":"  # identities are `<user_id>` and `<user_id>:<device>` (livekit_auth.sessions)


class RoomServiceError(Exception):
    """A server refused a call or could not be reached; the message names the server, never a token."""


@dataclass(frozen=True)
class Permission:
    """What a participant may do; UpdateParticipant replaces the whole permission, so all three are sent."""

    can_publish: bool
    can_subscribe: bool
    can_publish_data: bool

    def body(self) -> dict[str, bool]:
        return {
            "can_publish": self.can_publish,
            "can_subscribe": self.can_subscribe,
            "can_publish_data": self.can_publish_data,
        }


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class RoomServiceClient:
    """RoomService's three calls the service needs, for one server with its pair."""

    def __init__(
        self,
        server_url: str,
        pair: LiveKitCredentials,
        http: urllib3.PoolManager,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.server_url = server_url
        self._base = room_service_url(server_url)
        self._pair = pair
        self._http = http
        self._clock = clock

    def list_identities(self, room: str) -> list[str]:
        """Who is in the room now; an unknown room has nobody."""
        answer = self._call("ListParticipants", room, {"room": room}, missing_ok=True)
        return [participant.get("identity", "") for participant in (answer or {}).get("participants", [])]

    def remove(self, room: str, identity: str) -> bool:
        """Disconnect the participant (LiveKit tells it PARTICIPANT_REMOVED); False if it was not there."""
        return self._call("RemoveParticipant", room, {"room": room, "identity": identity}, missing_ok=True) is not None

    def update_permission(self, room: str, identity: str, permission: Permission) -> bool:
        """Change what the participant may do without disconnecting it; False if it was not there."""
        body = {"room": room, "identity": identity, "permission": permission.body()}
        return self._call("UpdateParticipant", room, body, missing_ok=True) is not None

    def _call(self, method: str, room: str, body: dict, *, missing_ok: bool) -> dict | None:
        now = int(self._clock())
        token = mint_token(
            credentials=self._pair,
            identity=ADMIN_IDENTITY,
            display_name="",
            grant=RoomAdminGrant(room),
            issued_at=now,
            ttl_seconds=ADMIN_TOKEN_TTL_SECONDS,
        )
        try:
            response = self._http.request(
                "POST",
                self._base + TWIRP_PREFIX + method,
                body=json.dumps(body).encode(),
                headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                timeout=urllib3.Timeout(connect=CONNECT_TIMEOUT_SECONDS, read=READ_TIMEOUT_SECONDS),
                retries=False,
            )
        except urllib3.exceptions.HTTPError as error:
            raise RoomServiceError(f"{self.server_url}: {method} failed: {type(error).__name__}") from None
        if response.status == 200:
            try:
                return json.loads(response.data or b"{}")
            except ValueError:
                raise RoomServiceError(f"{self.server_url}: {method} answered something other than JSON") from None
        if missing_ok and response.status == 404:  # Twirp's not_found: no such room or participant
            return None
        raise RoomServiceError(f"{self.server_url}: {method} answered {response.status}")


@dataclass(frozen=True)
class RemovalReport:
    """What one removal did: participants removed or restricted, and the servers that failed (by URL)."""

    removed: int = 0
    restricted: int = 0
    failed_servers: tuple[str, ...] = ()
    skipped_servers: tuple[str, ...] = ()  # LOCAL_MODE: never contacted off the machine

    @property
    def complete(self) -> bool:
        return not self.failed_servers


@dataclass(frozen=True)
class Participants:
    """Whom a removal targets: one user's identities (every device, or one) in some rooms."""

    user_id: str
    rooms: tuple[str, ...]
    device: str | None = None  # one device's identity only (a logout); None with every_device: all
    every_device: bool = True

    def matches(self, identity: str) -> bool:
        if self.every_device:
            return identity == self.user_id or identity.startswith(self.user_id + DEVICE_SEPARATOR)
        return identity == self.exact_identity

    @property
    def exact_identity(self) -> str:
        return self.user_id + DEVICE_SEPARATOR + self.device if self.device else self.user_id

    @classmethod
    def of_user(cls, user_id: str, channel_ids: Iterable[int]) -> Participants:
        return cls(user_id, tuple(channel_room(channel_id) for channel_id in channel_ids))

    @classmethod
    def of_session(cls, user_id: str, device: str | None, channel_ids: Iterable[int]) -> Participants:
        """A session's one identity: `<user_id>:<device>`, or `<user_id>` for a session without a device."""
        rooms = tuple(channel_room(channel_id) for channel_id in channel_ids)
        return cls(user_id, rooms, device=device, every_device=False)


@dataclass
class RoomRemoval:
    """Removal and restriction on every configured server at once (one thread per server)."""

    keys: ServerKeys
    http: urllib3.PoolManager = field(default_factory=lambda: urllib3.PoolManager(num_pools=8, maxsize=2))
    local_mode: bool = False  # contact loopback servers only (tests and `make run` never leave the machine)
    clock: Callable[[], float] = time.time

    def remove(self, who: Participants, servers: list[tuple[str, LiveKitCredentials]] | None = None) -> RemovalReport:
        """Remove `who` from its rooms on `servers` (every configured one by default)."""
        return self._each_server(lambda client: self._remove_on(client, who), servers)

    def restrict(
        self,
        user_id: str,
        room: str,
        permission: Permission,
        servers: list[tuple[str, LiveKitCredentials]] | None = None,
    ) -> RemovalReport:
        """Give every identity of the user in `room` this permission, without disconnecting anyone."""
        who = Participants(user_id, (room,))

        def restrict_on(client: RoomServiceClient) -> tuple[int, int]:
            changed = 0
            for identity in client.list_identities(room):
                if who.matches(identity) and client.update_permission(room, identity, permission):
                    changed += 1
            return 0, changed

        return self._each_server(restrict_on, servers)

    @staticmethod
    def _remove_on(client: RoomServiceClient, who: Participants) -> tuple[int, int]:
        removed = 0
        for room in who.rooms:
            if who.every_device:
                identities = [identity for identity in client.list_identities(room) if who.matches(identity)]
            else:
                identities = [who.exact_identity]  # one known identity: no need to list the room
            removed += sum(client.remove(room, identity) for identity in identities)
        return removed, 0

    def _each_server(
        self,
        work: Callable[[RoomServiceClient], tuple[int, int]],
        servers: list[tuple[str, LiveKitCredentials]] | None,
    ) -> RemovalReport:
        servers = self.keys.servers() if servers is None else servers
        reachable = [(url, pair) for url, pair in servers if not self.local_mode or is_loopback(url)]
        skipped = tuple(url for url, pair in servers if (url, pair) not in reachable)
        if not reachable:
            return RemovalReport(skipped_servers=skipped)
        clients = [RoomServiceClient(url, pair, self.http, self.clock) for url, pair in reachable]
        with ThreadPoolExecutor(max_workers=len(clients), thread_name_prefix="room-service") as pool:
            futures = [(client, pool.submit(work, client)) for client in clients]
        removed = restricted = 0
        failed = []
        for client, future in futures:
            try:
                done_removed, done_restricted = future.result()
            except RoomServiceError:
                failed.append(client.server_url)
                continue
            removed, restricted = removed + done_removed, restricted + done_restricted
        return RemovalReport(removed, restricted, tuple(failed), skipped)
