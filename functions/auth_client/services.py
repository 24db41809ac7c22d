"""The function's wiring: its AWS client, its settings and the login and session services over them.

Built on the first request and kept by the container (cold start pays once; a warm request pays
nothing). The handler (app.py) reaches them as `services.configured()` and `services.session_service()`;
tests build them with `build_*` on a clock they control.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Callable

import boto3
import urllib3

from livekit_auth.aws import CLIENT_CONFIG
from livekit_auth.config import Settings, allowed_origins, load_settings, require_function_settings
from livekit_auth.credentials import server_keys, ssm_provider
from livekit_auth.login import LoginPolicy, LoginService
from livekit_auth.password_upgrades import PasswordUpgrader
from livekit_auth.passwords import dummy_hash
from livekit_auth.revocation import JoinCheck, Revocation
from livekit_auth.room_service import RoomRemoval
from livekit_auth.server_keys import ServerKeys
from livekit_auth.sessions import SessionPolicy, SessionService
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.attempts import LoginThrottle
from livekit_auth.storage.sessions import SessionStore
from livekit_auth.storage.upgrades import HashUpgrades

try:  # Lambda's Python runtime (3.12+) provides it; elsewhere the hooks below are plain functions
    from snapshot_restore_py import register_after_restore, register_before_snapshot
except ImportError:

    def register_before_snapshot(hook: Callable[[], None]) -> Callable[[], None]:
        return hook

    def register_after_restore(hook: Callable[[], None]) -> Callable[[], None]:
        return hook


dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)
livekit_http = urllib3.PoolManager(num_pools=8, maxsize=2)  # RoomService calls (livekit_auth.room_service)


@functools.cache
def configured() -> tuple[Settings, LoginService]:
    """Settings and the login service, built on the first request and kept by the container."""
    settings = require_function_settings(load_settings())
    return settings, build_service(settings)


def build_service(settings: Settings, clock: Callable[[], float] = time.time) -> LoginService:
    """The login service over the function's own clients; tests hand it a clock they control."""
    throttle = LoginThrottle(
        dynamodb,
        settings.tables.attempts,
        threshold=settings.lockout_threshold,
        max_lock_seconds=settings.lockout_max_seconds,
    )
    dummy_hash(settings.bcrypt_rounds)  # now, so no login pays for it
    return LoginService(
        AccountReader(dynamodb, settings.tables),
        throttle,
        credentials=lambda: server_keys(settings),
        policy=LoginPolicy(bcrypt_rounds=settings.bcrypt_rounds, token_ttl_seconds=settings.token_ttl_seconds),
        clock=clock,
        upgrader=PasswordUpgrader(HashUpgrades(dynamodb, settings.tables.users), settings.bcrypt_rounds),
    )


@functools.cache
def session_service() -> SessionService:
    """The session routes' service, built on first use beside the login's."""
    return build_session_service(configured()[0])


def build_session_service(settings: Settings, clock: Callable[[], float] = time.time) -> SessionService:
    """Sessions over the function's own clients; tests hand it a clock they control."""
    return SessionService(
        SessionStore(dynamodb, settings.tables.sessions),
        AccountReader(dynamodb, settings.tables),
        credentials=lambda: server_keys(settings),
        policy=SessionPolicy.from_settings(settings),
        default_server_url=settings.livekit_url,
        allowed_server_urls=settings.allowed_server_urls,
        clock=clock,
    )


def keys() -> ServerKeys:
    """Every LiveKit server's key pair, from the credentials cache (a rotation applies within its max age)."""
    return server_keys(configured()[0])


def room_removal(clock: Callable[[], float] = time.time) -> RoomRemoval:
    settings = configured()[0]
    return RoomRemoval(keys(), livekit_http, local_mode=settings.local_mode, clock=clock)


def revocation() -> Revocation:
    """Removal from the rooms when a session ends (the logout route)."""
    return Revocation(room_removal(), AccountReader(dynamodb, configured()[0].tables))


def join_check() -> JoinCheck:
    """The webhook's check of a participant that just joined."""
    settings = configured()[0]
    return JoinCheck(
        room_removal(),
        AccountReader(dynamodb, settings.tables),
        SessionStore(dynamodb, settings.tables.sessions),
        idle_seconds=settings.session_idle_seconds,
    )


def cors_allowlist() -> tuple[str, ...]:
    """The origins CORS admits; a misconfigured function still answers its 500 with the right CORS headers."""
    try:
        return configured()[0].allowed_origins
    except Exception:
        return allowed_origins()


# ---- SnapStart (template.yaml, EnableSnapStart): one snapshot of the initialised container, many restores ----


@register_before_snapshot
def before_snapshot() -> None:
    """Build settings and the login service (the dummy hash's bcrypt) into the snapshot, so no restored
    container's first login pays for them. No AWS call and no secret: those stay per restore."""
    try:
        configured()
    except Exception:  # a misconfigured function still starts; its requests answer the guide's 500
        configured.cache_clear()


@register_after_restore
def after_restore() -> None:
    """Every restore of one snapshot starts with the same memory. Drop the cached LiveKit credentials
    (they may have been rotated while the snapshot slept) and re-seed `random` (botocore's retry jitter),
    which would otherwise repeat itself in every restored container. Session and token ids come from
    `secrets` (the OS's randomness), which a snapshot does not copy."""
    ssm_provider.clear_cache()
    random.seed()
