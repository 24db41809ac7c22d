"""When access ends, so does presence in the room: the removals the function and authctl make.

Each use case names who loses what (livekit_auth.room_service does the calls on every server):
- a user cut off (disabled, password changed, every session ended): every identity of the user, from
  the rooms of all their channels;
- one session logged out or revoked: that session's identity only (`<user_id>:<device>`, or
  `<user_id>` for a session without a device), from the same rooms;
- a grant revoked: every identity of the user, from that channel's room only;
- a grant changed to no publishing: every identity of the user in that room stays, unable to publish.

And on a LiveKit webhook (`participant_joined`), `JoinCheck` applies livekit_auth.webhooks.decide.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from livekit_auth.room_service import Participants, Permission, RemovalReport, RoomRemoval
from livekit_auth.sessions import session_ends_at
from livekit_auth.storage.accounts import AccountReader
from livekit_auth.storage.records import Membership, SessionRecord
from livekit_auth.storage.sessions import SessionStore
from livekit_auth.tokens import room_name
from livekit_auth.webhooks import Account, Verdict, VerifiedWebhook, channel_of, decide, parse_identity


@dataclass(frozen=True)
class Revocation:
    removal: RoomRemoval
    accounts: AccountReader

    def user_cut_off(self, user_id: str) -> RemovalReport:
        return self.removal.remove(Participants.of_user(user_id, self._channel_ids(user_id)))

    def session_ended(self, session: SessionRecord) -> RemovalReport:
        channels = self._channel_ids(session.user_id)
        return self.removal.remove(Participants.of_session(session.user_id, session.device, channels))

    def grant_revoked(self, user_id: str, channel_id: int) -> RemovalReport:
        return self.removal.remove(Participants.of_user(user_id, (channel_id,)))

    def grant_changed(self, user_id: str, membership: Membership) -> RemovalReport:
        """Only a grant that lost publishing changes anyone in the room (a widened one applies at the next token)."""
        if membership.can_publish:
            return RemovalReport()
        return self.removal.restrict(user_id, room_name(membership.channel_id), permission_of(membership))

    def _channel_ids(self, user_id: str) -> list[int]:
        return [membership.channel_id for membership in self.accounts.get_memberships(user_id) or []]


def permission_of(membership: Membership) -> Permission:
    return Permission(membership.can_publish, membership.can_subscribe, membership.can_publish_data)


@dataclass(frozen=True)
class JoinOutcome:
    verdict: Verdict
    report: RemovalReport


@dataclass(frozen=True)
class JoinCheck:
    """The webhook's use case: check a participant that just joined against its account as it stands now."""

    removal: RoomRemoval
    accounts: AccountReader
    sessions: SessionStore
    idle_seconds: int
    clock: Callable[[], float] = time.time

    def participant_joined(self, webhook: VerifiedWebhook) -> JoinOutcome:
        identity, channel_id = parse_identity(webhook.identity), channel_of(webhook.room)
        if identity is None or channel_id is None:
            return JoinOutcome(Verdict.NOT_OURS, RemovalReport())
        account = self._account(identity.user_id, identity.device)
        verdict = decide(identity, channel_id, account, webhook.can_publish)
        who = Participants(identity.user_id, (webhook.room,), device=identity.device, every_device=False)
        if verdict is Verdict.REMOVE:
            return JoinOutcome(verdict, self.removal.remove(who, webhook.servers))
        if verdict is Verdict.RESTRICT:
            membership = account.memberships[channel_id]
            report = self.removal.restrict(identity.user_id, webhook.room, permission_of(membership), webhook.servers)
            return JoinOutcome(verdict, report)
        return JoinOutcome(verdict, RemovalReport())

    def _account(self, user_id: str, device: str | None) -> Account:
        username, memberships = self.accounts.get_channel_record(user_id)
        user = self.accounts.get_user(username) if username else None
        live = None
        if device is not None and user is not None:
            now = self.clock()
            live = any(
                session.generation == user.session_generation and now < session_ends_at(session, self.idle_seconds)
                for session in self.sessions.sessions_of_device(user_id, device)
            )
        return Account(user, {m.channel_id: m for m in memberships or []}, live)
