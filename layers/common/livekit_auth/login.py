"""The login use case: a username and a password in, one LiveKit token per channel out.

AWS cost of a login: the attempt gate and the user read run side by side (one round trip),
then the channels Query runs beside the attempt reset and the LiveKit credentials (a second round
trip), then tokens are minted locally. The credentials come from a cache that SSM refills only on
a cold start or after its max age.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING

from livekit_auth.errors import AccountInactive, InvalidCredentials, NoChannels, UserDataNotFound
from livekit_auth.passwords import verify_password
from livekit_auth.server_keys import ServerKeys
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.attempts import LoginThrottle
from livekit_auth.storage.records import Membership
from livekit_auth.tokens import LiveKitCredentials, VideoGrant, mint_token, room_name
from livekit_auth.usernames import MAX_USERNAME_LENGTH, normalize_username

if TYPE_CHECKING:
    from livekit_auth.password_upgrades import PasswordUpgrader

# Beside the Query, a login runs at most two other calls (the reset, the credentials).
# Threads outlive invocations, like the clients.
_side_by_side = ThreadPoolExecutor(max_workers=2, thread_name_prefix="login-io")


@dataclass(frozen=True)
class ChannelToken:
    channel_id: int
    name: str
    room: str
    token: str


@dataclass(frozen=True)
class LoginResult:
    user_id: str
    username: str
    channels: list[ChannelToken]
    session_generation: int = 0  # what a session opened by this login is checked against


@dataclass(frozen=True)
class LoginPolicy:
    bcrypt_rounds: int
    token_ttl_seconds: int


class LoginService:
    def __init__(
        self,
        accounts: AccountReader,
        throttle: LoginThrottle,
        credentials: Callable[[], ServerKeys],
        policy: LoginPolicy,
        clock: Callable[[], float] = time.time,
        upgrader: PasswordUpgrader | None = None,
    ) -> None:
        self._accounts = accounts
        self._throttle = throttle
        self._credentials = credentials
        self._policy = policy
        self._clock = clock
        self._upgrader = upgrader

    def log_in(self, username: str, password: str, server_url: str | None = None) -> LoginResult:
        """Raise a Refused subclass for every outcome the guide lists as an error. The tokens are signed
        with the key of `server_url` (the default server's when None)."""
        username = normalize_username(username)
        if len(username) > MAX_USERNAME_LENGTH:  # cannot be an account: same cost, nothing stored
            verify_password(password, None, self._policy.bcrypt_rounds)
            raise InvalidCredentials()

        now = self._clock()
        pending_user = _side_by_side.submit(self._accounts.get_user, username)
        try:
            admission = self._throttle.admit(username, now)
        except Exception:
            wait([pending_user])  # the read's own outcome no longer matters: a lock is a 429
            raise
        user = pending_user.result()

        stored_hash = user.password_hash if user else None
        if not verify_password(password, stored_hash, self._policy.bcrypt_rounds) or user is None:
            self._throttle.record_failure(username, admission, self._clock())
            raise InvalidCredentials()

        pending_reset = _side_by_side.submit(self._throttle.record_success, username)
        if self._upgrader is not None:  # an outdated hash becomes bcrypt at the configured cost (beside the reset)
            self._upgrader.after_verified(user, password)
        if not user.active:
            pending_reset.result()
            raise AccountInactive()
        pending_credentials = _side_by_side.submit(self._credentials)
        try:
            memberships = self._accounts.get_memberships(user.user_id)
        finally:
            wait([pending_reset, pending_credentials])
        pending_reset.result()
        if memberships is None:
            raise UserDataNotFound()
        if not memberships:
            raise NoChannels()
        channels = self._mint(
            pending_credentials.result().for_server(server_url), user.user_id, user.shown_name, memberships
        )
        return LoginResult(user.user_id, username, channels, user.session_generation)

    def _mint(
        self, credentials: LiveKitCredentials, user_id: str, shown_name: str, memberships: list[Membership]
    ) -> list[ChannelToken]:
        issued_at = int(self._clock())
        channels = []
        for membership in memberships:
            room, token = membership_token(
                credentials, membership, user_id, shown_name, issued_at, self._policy.token_ttl_seconds
            )
            channels.append(ChannelToken(membership.channel_id, membership.name, room, token))
        return channels


def membership_token(
    credentials: LiveKitCredentials,
    membership: Membership,
    identity: str,
    display_name: str,
    issued_at: int,
    ttl_seconds: int,
) -> tuple[str, str]:
    """The room of one membership and a token for it with the membership's grants; the login and the
    token endpoint both mint through here."""
    room = room_name(membership.channel_id)
    grant = VideoGrant(room, membership.can_publish, membership.can_subscribe, membership.can_publish_data)
    token = mint_token(
        credentials=credentials,
        identity=identity,
        display_name=display_name,
        grant=grant,
        issued_at=issued_at,
        ttl_seconds=ttl_seconds,
    )
    return room, token
