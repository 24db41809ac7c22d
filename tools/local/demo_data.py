"""The demo data `make run` seeds and the tests share: the guide's two channels and one user per guide row."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from livekit_auth.config import SESSION_MAX_AGE
from livekit_auth.passwords import hash_password
from livekit_auth.session_tokens import token_hash
from livekit_auth.storage.records import Membership, SessionRecord
from livekit_auth.storage.sessions import SessionStore
from livekit_authctl.storage.admin import AdminStore

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - the documented demo credential
PUBLIC_CHANNEL = (1234567, "کانال عمومی")
PRIVATE_CHANNEL = (7654321, "کانال خصوصی")
CHANNELS = (PUBLIC_CHANNEL, PRIVATE_CHANNEL)


@dataclass(frozen=True)
class DemoUser:
    username: str
    channel_ids: tuple[int, ...] = ()
    active: bool = True
    channel_record: bool = True
    read_only_channels: tuple[int, ...] = field(default=())


DEMO = DemoUser("demo@example.com", (PUBLIC_CHANNEL[0], PRIVATE_CHANNEL[0]))
INACTIVE = DemoUser("inactive@example.com", (PUBLIC_CHANNEL[0],), active=False)
NO_CHANNELS = DemoUser("nochannels@example.com")
NO_DATA = DemoUser("nodata@example.com", channel_record=False)
VIEWER = DemoUser("viewer@example.com", (PUBLIC_CHANNEL[0],), read_only_channels=(PUBLIC_CHANNEL[0],))
USERS = (DEMO, INACTIVE, NO_CHANNELS, NO_DATA, VIEWER)


def _demo_session_token(purpose: str) -> str:
    """A documented, fixed session token of the demo user (`<22-char id>.<43-char secret>`, like real ones)."""
    return f"{('demo-' + purpose).ljust(22, '0')}.{('demo-secret-' + purpose).ljust(43, '0')}"


# Sessions of DEMO the events/ files use: one per route, so running one event leaves the others' intact.
DEMO_SESSION_TOKENS = {purpose: _demo_session_token(purpose) for purpose in ("token", "refresh", "logout")}


def seed(store: AdminStore, bcrypt_rounds: int) -> dict[str, str]:
    """Create the channels and users; return {username: user_id}. Every user's password is DEMO_PASSWORD."""
    for channel_id, name in CHANNELS:
        store.add_channel(channel_id, name)
    password_hash = hash_password(DEMO_PASSWORD, bcrypt_rounds)
    user_ids = {}
    for demo in USERS:
        user_id = store.create_user(demo.username, password_hash, active=demo.active)
        user = store.require_user(demo.username)
        for channel_id in demo.channel_ids:
            channel = store.get_channel(channel_id)
            if channel is None:
                raise LookupError(f"demo channel {channel_id} is missing")
            read_only = channel_id in demo.read_only_channels
            store.grant(user, channel, Membership(channel_id, channel.name, can_publish=not read_only))
        if not demo.channel_record:
            store.delete_channel_record(user_id)
        user_ids[demo.username] = user_id
    if store.tables.sessions:
        seed_sessions(SessionStore(store.client, store.tables.sessions), user_ids[DEMO.username])
    return user_ids


def seed_sessions(sessions: SessionStore, user_id: str) -> None:
    """Open DEMO_SESSION_TOKENS for DEMO, lasting the default session age from now."""
    now = int(time.time())
    for purpose, token in DEMO_SESSION_TOKENS.items():
        record = SessionRecord(
            session_id=token.split(".", 1)[0],
            user_id=user_id,
            username=DEMO.username,
            generation=0,
            device=f"demo ({purpose} events)",
            server_url=None,
            created_at=now,
            last_used_at=now,
            expires_at=now + SESSION_MAX_AGE.default,
        )
        sessions.create(record, token_hash(token))
