"""The records the stores hand out, and one codec per item between them and DynamoDB items.

Every layout (user, channel record, channel, grant, session, attempt) is written here once; the
function's stores and authctl's (livekit_authctl.storage) both read and write through these codecs.
"""

from __future__ import annotations

from dataclasses import dataclass

from livekit_auth.storage.dynamo import (
    CATALOG_PK,
    PROFILE_SK,
    Item,
    channel_member_key,
    channel_sort_key,
    number,
    user_key,
)

SESSION_SK = "SESSION"
PASSWORD_CHANGED_AT = "password_changed_at"  # noqa: S105 - an attribute name; users table: see user_item
SOURCE_ID = "source_id"


@dataclass(frozen=True)
class User:
    username: str
    user_id: str
    password_hash: str
    active: bool
    display_name: str | None = None  # the token's `name`; None: the username
    # Sessions opened under an older generation are revoked (authctl user logout / disable / passwd).
    session_generation: int = 0

    @property
    def shown_name(self) -> str:
        """The name other participants see (the tokens' `name`): the display name, else the username."""
        return self.display_name or self.username


@dataclass(frozen=True)
class Membership:
    channel_id: int
    name: str
    can_publish: bool = True
    can_subscribe: bool = True
    can_publish_data: bool = True


@dataclass(frozen=True)
class Channel:
    channel_id: int
    name: str


@dataclass(frozen=True)
class AttemptState:
    attempts: int
    locked_until: float | None  # refused until then after a failure past the threshold
    held_until: float | None  # an attempt past the threshold is being checked: others wait
    expires_at: float


@dataclass(frozen=True)
class SessionRecord:
    session_id: str
    user_id: str
    username: str
    generation: int  # the user's session_generation when the session was opened
    device: str | None
    server_url: str | None  # the login's server_url; None: the deployment's default
    created_at: int
    last_used_at: int
    expires_at: int  # absolute; the same for every token of the session


# ---- user (users table) --------------------------------------------------------------------------


def username_key(username: str) -> Item:
    return {"username": {"S": username}}


def user_from_item(item: Item) -> User:
    return User(
        username=item["username"]["S"],
        user_id=item["user_id"]["S"],
        password_hash=item["password_hash"]["S"],
        active=item.get("active", {"BOOL": True})["BOOL"],
        session_generation=int(item.get("session_generation", {"N": "0"})["N"]),
        display_name=item.get("display_name", {}).get("S"),
    )


def user_item(
    user: User,
    *,
    created_at: str,
    updated_at: str,
    password_changed_at: str | None = None,
    source_id: str | None = None,
) -> Item:
    """The users-table item; session_generation is only ever added to (ADD), never written whole.

    password_changed_at: when a password was last set (user add, user passwd, or the import's file), never
    by the login's upgrade of a hash; an import older than it keeps the hash. source_id: the source account
    an import created this user from ("django:<pk>"); only that source's row may update it.
    """
    item = {
        **username_key(user.username),
        "user_id": {"S": user.user_id},
        "password_hash": {"S": user.password_hash},
        "active": {"BOOL": user.active},
        "created_at": {"S": created_at},
        "updated_at": {"S": updated_at},
    }
    if user.display_name:
        item["display_name"] = {"S": user.display_name}
    if password_changed_at:
        item[PASSWORD_CHANGED_AT] = {"S": password_changed_at}
    if source_id:
        item[SOURCE_ID] = {"S": source_id}
    return item


def optional_text(item: Item, name: str) -> str | None:
    return item.get(name, {}).get("S")


# ---- channel record (channels table: a user's PROFILE, there even with no channel) -------------------


def profile_key(user_id: str) -> Item:
    return {"pk": {"S": user_key(user_id)}, "sk": {"S": PROFILE_SK}}


def profile_item(user_id: str, username: str, created_at: str) -> Item:
    return {**profile_key(user_id), "username": {"S": username}, "created_at": {"S": created_at}}


# ---- channel (channels table: the CATALOG) ----------------------------------------------------------------


def catalog_key(channel_id: int) -> Item:
    return {"pk": {"S": CATALOG_PK}, "sk": {"S": channel_sort_key(channel_id)}}


def channel_from_item(item: Item) -> Channel:
    return Channel(channel_id=int(item["channel_id"]["N"]), name=item["channel_name"]["S"])


def channel_item(channel: Channel) -> Item:
    return {
        **catalog_key(channel.channel_id),
        "channel_id": number(channel.channel_id),
        "channel_name": {"S": channel.name},
    }


# ---- grant (channels table: a membership under its user) ------------------------------------------------


def membership_key(user_id: str, channel_id: int) -> Item:
    return {"pk": {"S": user_key(user_id)}, "sk": {"S": channel_sort_key(channel_id)}}


def membership_from_item(item: Item) -> Membership:
    return Membership(
        channel_id=int(item["channel_id"]["N"]),
        name=item["channel_name"]["S"],
        can_publish=item.get("can_publish", {"BOOL": True})["BOOL"],
        can_subscribe=item.get("can_subscribe", {"BOOL": True})["BOOL"],
        can_publish_data=item.get("can_publish_data", {"BOOL": True})["BOOL"],
    )


def membership_item(user_id: str, username: str, membership: Membership) -> Item:
    return {
        **membership_key(user_id, membership.channel_id),
        "member_of": {"S": channel_member_key(membership.channel_id)},
        "username": {"S": username},
        "channel_id": number(membership.channel_id),
        "channel_name": {"S": membership.name},
        "can_publish": {"BOOL": membership.can_publish},
        "can_subscribe": {"BOOL": membership.can_subscribe},
        "can_publish_data": {"BOOL": membership.can_publish_data},
    }


# ---- session (sessions table) -------------------------------------------------------------------------------


def session_key(session_id: str, sort_key: str = SESSION_SK) -> Item:
    return {"pk": {"S": session_id}, "sk": {"S": sort_key}}


def session_from_item(item: Item) -> SessionRecord:
    return SessionRecord(
        session_id=item["pk"]["S"],
        user_id=item["user_id"]["S"],
        username=item["username"]["S"],
        generation=int(item.get("generation", {"N": "0"})["N"]),
        device=item["device"]["S"] if "device" in item else None,
        server_url=item["server_url"]["S"] if "server_url" in item else None,
        created_at=int(item["created_at"]["N"]),
        last_used_at=int(item["last_used_at"]["N"]),
        expires_at=int(item["expires_at"]["N"]),
    )


def session_item(session: SessionRecord) -> Item:
    item = {
        **session_key(session.session_id),
        "user_id": {"S": session.user_id},
        "username": {"S": session.username},
        "generation": number(session.generation),
        "created_at": number(session.created_at),
        "last_used_at": number(session.last_used_at),
        "expires_at": number(session.expires_at),
    }
    if session.device:
        item["device"] = {"S": session.device}
    if session.server_url:
        item["server_url"] = {"S": session.server_url}
    return item


# ---- attempt (attempts table; written by attempts.py's conditional updates) ---------------------------------


def attempt_state_from_item(item: Item | None) -> AttemptState | None:
    if not item or "attempts" not in item:
        return None
    locked, held = item.get("locked_until"), item.get("held_until")
    return AttemptState(
        attempts=int(item["attempts"]["N"]),
        locked_until=float(locked["N"]) if locked else None,
        held_until=float(held["N"]) if held else None,
        expires_at=float(item.get("expires_at", {"N": "0"})["N"]),
    )
