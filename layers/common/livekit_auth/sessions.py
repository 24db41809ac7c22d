"""Sessions: a login opens one, and its opaque token then buys short LiveKit tokens without the password.

Lifecycle (docs/design.md, "Sessions"): a login with `"session": true` opens a session; the token
endpoint mints one short LiveKit token per call, re-reading the user and their memberships each time;
refresh rotates the session token (the old one keeps working ROTATION_GRACE_SECONDS, a refresh with it
within that window answers the successor already issued, and coming back after it revokes the whole
session); logout ends it. Sessions end at an absolute age and after an
idle time, both checked here on every call (TTL only cleans up). No bcrypt and no lockout: the
password was checked once, when the session was opened.

AWS cost of a token: the session and token items in one BatchGetItem, then the user read, the
memberships Query and (at most once an hour) the last-use write side by side: two round trips.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from livekit_auth.config import Settings
from livekit_auth.errors import (
    AccountInactive,
    IdentityNotAllowed,
    NoChannels,
    RoomNotAllowed,
    SessionExpired,
    SessionMissing,
    SessionReused,
    SessionUnknown,
    UserDataNotFound,
)
from livekit_auth.login import LoginResult, membership_token
from livekit_auth.server_keys import ServerKeys
from livekit_auth.server_urls import is_allowed
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.records import Membership, SessionRecord, User
from livekit_auth.storage.sessions import SessionStore, TokenRecord
from livekit_auth.tokens import room_name

ROTATION_GRACE_SECONDS = 30  # two tabs refreshing at once, or a client retrying a lost answer, get one successor
LAST_USE_WRITE_SECONDS = 3600  # last use is written at most this often per session
SESSION_ID_BYTES = 16
SECRET_BYTES = 32  # 256 bits from the OS CSPRNG
TOKEN_PATTERN = re.compile(r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")  # token_urlsafe of 16 and 32 bytes
DEVICE_IDENTITY = re.compile(r"[A-Za-z0-9_-]{1,64}")  # the <device> of `<user_id>:<device>`
SUCCESSOR_PAD_CONTEXT = b"livekit-auth session token successor v1"  # what seal_successor's pad is for

# Beside the memberships Query: the user read, the last-use write, the credentials (on a cold start).
_side_by_side = ThreadPoolExecutor(max_workers=3, thread_name_prefix="session-io")


def token_hash(token: str) -> str:
    """What is stored instead of the token: its SHA-256, hex.

    A fast hash is enough here, unlike for passwords: the token carries 256 random bits, so nobody
    can guess their way back from a leaked hash, and a slow hash (bcrypt) would only cost every
    token call. Unsalted on purpose, so the hash itself is the lookup key.
    """
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_session_token(session_id: str) -> str:
    return f"{session_id}.{secrets.token_urlsafe(SECRET_BYTES)}"


def seal_successor(presented: str, successor: str) -> str:
    """The successor's secret as the old token's item keeps it: XORed with a pad only the old token computes.

    A refresh replayed within the grace window must answer the successor already issued, but the table
    keeps no token a client could present. The pad is HMAC-SHA256 keyed with the presented token, which
    is never stored (its SHA-256 is: HMAC's output tells nothing of it), so a read of the table opens
    nothing, and whoever presents the old token could have had the successor from the refresh anyway.
    Each token is rotated at most once (the store's condition), so each pad seals one secret: a one-time
    pad. The standard library's HMAC, where AES-GCM would add a native dependency to the layer.
    """
    secret = base64.urlsafe_b64decode(successor.split(".", 1)[1] + "=")
    return _b64(_xor(secret, _successor_pad(presented)))


def open_successor(presented: str, token: TokenRecord) -> str | None:
    """The successor seal_successor sealed on the presented token's item, or None without one (or a bad one)."""
    if token.successor_sealed is None or token.successor_hash is None:
        return None
    sealed = base64.urlsafe_b64decode(token.successor_sealed + "=")
    if len(sealed) != SECRET_BYTES:
        return None
    successor = f"{presented.split('.', 1)[0]}.{_b64(_xor(sealed, _successor_pad(presented)))}"
    return successor if hmac.compare_digest(token_hash(successor), token.successor_hash) else None


def _successor_pad(presented: str) -> bytes:
    return hmac.new(presented.encode("ascii"), SUCCESSOR_PAD_CONTEXT, hashlib.sha256).digest()


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def device_identity(record: SessionRecord) -> str:
    """`<user_id>:<device>`: the one identity besides the bare user id a session's tokens may carry."""
    return f"{record.user_id}:{record.device}"


def session_ends_at(record: SessionRecord, idle_seconds: int) -> int:
    """When the session ends unless used again: at its absolute expiry, or a whole idle period after its
    recorded last use, whichever comes first. The token endpoint refuses it from then on; authctl lists
    it until then (the one home of this rule)."""
    return min(record.expires_at, record.last_used_at + idle_seconds)


@dataclass(frozen=True)
class SessionPolicy:
    max_age_seconds: int
    idle_seconds: int
    token_ttl_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> SessionPolicy:
        return cls(settings.session_max_age_seconds, settings.session_idle_seconds, settings.token_endpoint_ttl_seconds)


@dataclass(frozen=True, slots=True)
class IssuedSession:
    """What the client keeps: the opaque token, and when the session ends at the latest."""

    token: str
    expires_at: int


@dataclass(frozen=True, slots=True)
class OpenSession:
    """A session the presented token opened: the stored record, which token it was and its item."""

    record: SessionRecord
    token_hash: str
    token: TokenRecord
    presented: str = field(repr=False)  # the token itself: it opens its sealed successor


@dataclass(frozen=True, slots=True)
class ParticipantToken:
    server_url: str
    token: str
    room: str
    name: str


@dataclass(frozen=True)
class SessionService:
    """The session use case over its store and the account reader; the clock is the tests' to set."""

    store: SessionStore
    accounts: AccountReader
    credentials: Callable[[], ServerKeys]  # each server's signing pair
    policy: SessionPolicy
    default_server_url: str
    allowed_server_urls: tuple[str, ...] = ()  # ALLOWED_SERVER_URLS as it is now, not as it was at the login
    clock: Callable[[], float] = time.time

    def open(self, login: LoginResult, *, server_url: str | None, device: str | None) -> IssuedSession:
        """A new session for a login that just succeeded."""
        now = int(self.clock())
        session_id = secrets.token_urlsafe(SESSION_ID_BYTES)
        token = new_session_token(session_id)
        record = SessionRecord(
            session_id=session_id,
            user_id=login.user_id,
            username=login.username,
            generation=login.session_generation,
            device=device,
            server_url=server_url,
            created_at=now,
            last_used_at=now,
            expires_at=now + self.policy.max_age_seconds,
        )
        self.store.create(record, token_hash(token))
        return IssuedSession(token, record.expires_at)

    def authenticate(self, token: str | None) -> OpenSession:
        """The session the token belongs to, or a refusal. A rotated-out token presented after the grace
        window means the family was copied: the session is revoked."""
        if not token:
            raise SessionMissing()
        if not TOKEN_PATTERN.fullmatch(token):
            raise SessionUnknown()
        now = self.clock()
        presented = token_hash(token)
        record, token_item = self.store.get(token.split(".", 1)[0], presented)
        if record is None or token_item is None:
            raise SessionUnknown()
        if token_item.rotated_at is not None and now > token_item.rotated_at + ROTATION_GRACE_SECONDS:
            self.store.delete(record.session_id)
            raise SessionReused()
        if now >= session_ends_at(record, self.policy.idle_seconds):
            raise SessionExpired()
        return OpenSession(record, presented, token_item, token)

    def participant_token(
        self, session: OpenSession, requested_room: str | None, requested_identity: str | None
    ) -> ParticipantToken:
        """One LiveKit token for one of the user's channels, as they stand now."""
        record = session.record
        identity = self._identity(record, requested_identity)
        now = self.clock()
        pending: list[Future] = []
        if now >= record.last_used_at + LAST_USE_WRITE_SECONDS:
            due = int(now) - LAST_USE_WRITE_SECONDS
            pending.append(_side_by_side.submit(self.store.touch, record.session_id, int(now), due))
        pending_user = _side_by_side.submit(self.accounts.get_user, record.username)
        pending_credentials = _side_by_side.submit(self.credentials)
        pending += [pending_user, pending_credentials]
        try:
            memberships = self.accounts.get_memberships(record.user_id)
        finally:
            wait(pending)
        for done in pending:
            done.result()
        user = self._check_user(record, pending_user.result())
        membership = self._membership(requested_room, memberships)
        server_url = self._server_url(record.server_url)
        pair = pending_credentials.result().for_server(server_url)
        room, token = membership_token(
            pair, membership, identity, user.shown_name, int(now), self.policy.token_ttl_seconds
        )
        return ParticipantToken(server_url, token, room, user.shown_name)

    def _server_url(self, remembered: str | None) -> str:
        """The login's server_url while the allowlist still admits it; the configured one otherwise."""
        if remembered and is_allowed(remembered, self.default_server_url, self.allowed_server_urls):
            return remembered
        return self.default_server_url

    def refresh(self, session: OpenSession) -> IssuedSession:
        """A new token for the same session (same absolute expiry); the presented one enters its grace window.

        A token already rotated (authenticate let it through: within its grace) gets the successor its
        rotation issued, never a second one, so the session stays one chain that reuse detection sees
        whole. Two refreshes of one token at the same moment: the store's condition lets one rotate, and
        the other answers that one's successor.
        """
        record = session.record
        self._check_user(record, self.accounts.get_user(record.username))
        rotated = session.token
        if rotated.rotated_at is None:
            token = new_session_token(record.session_id)
            sealed = seal_successor(session.presented, token)
            if self.store.rotate(record, session.token_hash, token_hash(token), sealed, int(self.clock())):
                return IssuedSession(token, record.expires_at)
            current, item = self.store.get(record.session_id, session.token_hash)  # lost to a concurrent refresh?
            if current is None or item is None:
                raise SessionUnknown()  # logged out or revoked meanwhile
            rotated = item
        successor = open_successor(session.presented, rotated)
        if successor is None:
            raise SessionUnknown()  # rotated with no successor to answer: refuse rather than mint a second
        return IssuedSession(successor, record.expires_at)

    def log_out(self, session: OpenSession) -> None:
        self.store.delete(session.record.session_id)

    # ---- the rules ------------------------------------------------------------------------------

    @staticmethod
    def _identity(record: SessionRecord, requested: str | None) -> str:
        """The user's id (absent, or asked for by name), or `<user_id>:<device>` with the device this session
        was opened for, so two devices of one user can share a room; anything else is refused. Tied to the
        session's device: one device's session cannot take (and kick out) another device's identity."""
        if requested is None or requested == record.user_id:
            return record.user_id
        if record.device and DEVICE_IDENTITY.fullmatch(record.device) and requested == device_identity(record):
            return requested
        raise IdentityNotAllowed()

    @staticmethod
    def _check_user(record: SessionRecord, user: User | None) -> User:
        """The account as it stands now, unless gone or replaced, disabled, or its sessions revoked."""
        if user is None or user.user_id != record.user_id:
            raise SessionUnknown()
        if not user.active:
            raise AccountInactive()
        if user.session_generation != record.generation:
            raise SessionUnknown()
        return user

    @staticmethod
    def _membership(requested_room: str | None, memberships: list[Membership] | None) -> Membership:
        """The requested room's membership; with no room, the user's first channel by channel id."""
        if memberships is None:
            raise UserDataNotFound()
        if not memberships:
            raise NoChannels()
        if not requested_room:
            return min(memberships, key=lambda membership: membership.channel_id)
        for membership in memberships:
            if room_name(membership.channel_id) == requested_room:
                return membership
        raise RoomNotAllowed()
