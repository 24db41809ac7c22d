"""A stand-in for LiveKit's server where the real one is not needed: its RoomService (Twirp JSON) on
loopback, and webhooks signed the way it signs them.

The RoomService keeps rooms as sets of identities, checks each call's admin token as LiveKit does
(HS256 with its own key, `video.roomAdmin` on the room the call names) and records the calls, so
tests see what the service asked of it. `stop()` makes it a server that does not answer. The real
server's behaviour (disconnect reasons, refreshed tokens, webhooks it sends) is the job of the tests
that run livekit-server itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
import warnings
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt

from livekit_auth.room_service import TWIRP_PREFIX
from livekit_auth.tokens import LiveKitCredentials

HOST = "127.0.0.1"


def sign_webhook(body: bytes, pair: LiveKitCredentials, *, issued_at: float | None = None, ttl: int = 86400) -> str:
    """The `Authorization` value LiveKit sends with a webhook: a JWT by the server's key over the body's hash."""
    now = int(time.time() if issued_at is None else issued_at)
    claims = {
        "iss": pair.api_key,
        "nbf": now,
        "exp": now + ttl,
        "sha256": base64.b64encode(hashlib.sha256(body).digest()).decode(),
    }
    return jwt.encode(claims, pair.api_secret, algorithm="HS256")


def webhook_body(event: str, room: str, identity: str, *, can_publish: bool = True) -> bytes:
    """A webhook's JSON body, in the field spelling livekit-server writes (camelCase)."""
    participant = {"identity": identity, "permission": {"canPublish": can_publish, "canSubscribe": True}}
    return json.dumps({"event": event, "room": {"name": room}, "participant": participant, "id": "EV_test"}).encode()


@dataclass
class Call:
    method: str
    body: dict[str, Any]


@dataclass
class FakeRoomService:
    """RoomService on loopback for one key pair; `rooms` maps a room to its participants' identities."""

    pair: LiveKitCredentials
    rooms: dict[str, set[str]] = field(default_factory=dict)
    permissions: dict[tuple[str, str], dict] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    refused: int = 0  # calls whose token this server did not accept

    def start(self) -> FakeRoomService:
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                status, answer = service.answer(self.path, self.headers.get("Authorization", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self._server = ThreadingHTTPServer((HOST, 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def url(self) -> str:
        """The server's URL as clients are given it (ws://), which RoomService calls turn into http://."""
        return f"ws://{HOST}:{self._server.server_address[1]}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, authorization: str, body: dict[str, Any]) -> tuple[int, dict]:
        method = path.removeprefix(TWIRP_PREFIX)
        room = body.get("room", "")
        try:
            with warnings.catch_warnings():  # `livekit-server --dev`'s secret is short on purpose
                warnings.simplefilter("ignore", jwt.InsecureKeyLengthWarning)
                claims = jwt.decode(authorization.removeprefix("Bearer "), self.pair.api_secret, algorithms=["HS256"])
        except jwt.PyJWTError:
            self.refused += 1
            return 401, {"code": "unauthenticated", "msg": "invalid token"}
        grant = claims.get("video", {})
        if claims.get("iss") != self.pair.api_key or not grant.get("roomAdmin") or grant.get("room") != room:
            self.refused += 1
            return 403, {"code": "permission_denied", "msg": "permissions denied"}
        self.calls.append(Call(method, body))
        present = self.rooms.get(room)
        if method == "ListParticipants":
            if present is None:
                return 404, {"code": "not_found", "msg": "requested room does not exist"}
            return 200, {"participants": [{"identity": identity} for identity in sorted(present)]}
        if present is None or body.get("identity") not in present:
            return 404, {"code": "not_found", "msg": "participant not found"}
        if method == "RemoveParticipant":
            present.discard(body["identity"])
            return 200, {}
        if method == "UpdateParticipant":
            self.permissions[(room, body["identity"])] = body.get("permission", {})
            return 200, {"identity": body["identity"]}
        return 404, {"code": "bad_route", "msg": "no such method"}

    def methods(self) -> list[str]:
        return [call.method for call in self.calls]
