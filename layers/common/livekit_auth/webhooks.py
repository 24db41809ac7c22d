"""LiveKit's webhooks: checking that one came from a configured server, and what a join may keep.

LiveKit signs a webhook the way it signs everything: the `Authorization` header is an HS256 JWT whose
`iss` is the server's API key, signed with that key's secret, whose `sha256` claim is the base64
SHA-256 of the raw body. `verify` checks all of it (the key must be configured, the signature, `exp`
and `nbf`, the body's hash) and raises WebhookRejected otherwise: the route answers a bare 401.

On `participant_joined`, `decide` says what the participant may keep, from the account as it stands
now: nothing (removed at once) when the user is gone or disabled, is no member of the room's
channel, or joined as a device whose session has ended; the room without publishing (restricted)
when the membership no longer allows it; else everything. A participant removed by authctl that
rejoins with the token LiveKit refreshed for it is therefore out again about a second later.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum

import jwt

from livekit_auth.errors import Refused
from livekit_auth.server_keys import ServerKeys
from livekit_auth.storage.records import Membership, User
from livekit_auth.tokens import LiveKitCredentials, room_name

LEEWAY_SECONDS = 10  # the servers' clocks and this one's may differ this much
PARTICIPANT_JOINED = "participant_joined"
DEVICE_SEPARATOR = ":"


class WebhookRejected(Refused):
    """Not a webhook of a configured server: its row answers a bare 401; `cause` goes to the log line only."""

    def __init__(self, cause: str) -> None:
        super().__init__(cause)
        self.cause = cause


@dataclass(frozen=True)
class VerifiedWebhook:
    """A webhook whose signature and body checked out, and the servers whose key signed it."""

    event: dict
    servers: list[tuple[str, LiveKitCredentials]]

    @property
    def kind(self) -> str:
        return str(self.event.get("event", ""))

    @property
    def room(self) -> str:
        room = self.event.get("room")
        return str(room.get("name", "")) if isinstance(room, dict) else ""

    @property
    def identity(self) -> str:
        participant = self.event.get("participant")
        return str(participant.get("identity", "")) if isinstance(participant, dict) else ""

    @property
    def can_publish(self) -> bool:
        """What the joined participant's token allowed (LiveKit's JSON may use either field spelling)."""
        participant = self.event.get("participant")
        permission = participant.get("permission") if isinstance(participant, dict) else None
        if not isinstance(permission, dict):
            return False
        return bool(permission.get("canPublish", permission.get("can_publish", False)))


def verify(body: bytes, authorization: str | None, keys: ServerKeys) -> VerifiedWebhook:
    """The webhook, if a configured server signed exactly this body; WebhookRejected otherwise."""
    if not authorization:
        raise WebhookRejected("no_authorization")
    token = authorization.removeprefix("Bearer ").strip()
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
    except jwt.PyJWTError:
        raise WebhookRejected("malformed_token") from None
    servers = keys.by_key(issuer) if isinstance(issuer, str) else []
    if not servers:
        raise WebhookRejected("unknown_key")
    secret = servers[0][1].api_secret  # one key, one secret
    try:
        claims = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            options={"require": ["exp", "iss", "sha256"], "verify_aud": False},
            leeway=LEEWAY_SECONDS,
            issuer=issuer,
        )
    except jwt.ExpiredSignatureError:
        raise WebhookRejected("expired_token") from None
    except jwt.PyJWTError:
        raise WebhookRejected("invalid_token") from None
    expected = base64.b64encode(hashlib.sha256(body).digest()).decode()
    if not isinstance(claims["sha256"], str) or not hmac.compare_digest(claims["sha256"], expected):
        raise WebhookRejected("body_mismatch")
    try:
        event = json.loads(body)
    except ValueError:
        raise WebhookRejected("body_not_json") from None
    if not isinstance(event, dict):
        raise WebhookRejected("body_not_an_object")
    return VerifiedWebhook(event, servers)


class Verdict(Enum):
    KEEP = "keep"
    RESTRICT = "restrict"  # stays, may no longer publish
    REMOVE = "remove"
    NOT_OURS = "not_ours"  # an identity or room this service never issues (agents, egress ...)


@dataclass(frozen=True)
class Identity:
    user_id: str
    device: str | None


def parse_identity(identity: str) -> Identity | None:
    """`<user_id>` or `<user_id>:<device>`, as the service issues them (user ids are UUIDs in their
    canonical form); None for anything else: an agent, a recorder, another service's participant."""
    user_id, separator, device = identity.partition(DEVICE_SEPARATOR)
    try:
        canonical = str(uuid.UUID(user_id))
    except ValueError:
        return None
    if canonical != user_id or (separator and not device):
        return None
    return Identity(user_id, device or None)


def channel_of(room: str) -> int | None:
    """The channel whose room this is (`channel-<id>`), or None."""
    prefix = room_name(0).removesuffix("0")
    number = room.removeprefix(prefix)
    if number == room or not number.isascii() or not number.isdigit() or room_name(int(number)) != room:
        return None
    return int(number)


@dataclass(frozen=True)
class Account:
    """What the decision reads: the user as stored now, their memberships, and whether the joined
    device's session is live (None for an identity without a device, which no session pins)."""

    user: User | None
    memberships: Mapping[int, Membership]
    device_session_live: bool | None


def decide(identity: Identity, channel_id: int, account: Account, joined_can_publish: bool) -> Verdict:
    """What a participant that just joined may keep (see the module's docstring)."""
    user = account.user
    if user is None or user.user_id != identity.user_id or not user.active:
        return Verdict.REMOVE
    if identity.device is not None and not account.device_session_live:
        return Verdict.REMOVE
    membership = account.memberships.get(channel_id)
    if membership is None:
        return Verdict.REMOVE
    if joined_can_publish and not membership.can_publish:
        return Verdict.RESTRICT
    return Verdict.KEEP
