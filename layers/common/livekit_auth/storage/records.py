"""The records the stores hand out, and the codecs between them and DynamoDB items."""

from __future__ import annotations

from dataclasses import dataclass

from livekit_auth.storage.dynamo import Item


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


def user_from_item(item: Item) -> User:
    return User(
        username=item["username"]["S"],
        user_id=item["user_id"]["S"],
        password_hash=item["password_hash"]["S"],
        active=item.get("active", {"BOOL": True})["BOOL"],
        session_generation=int(item.get("session_generation", {"N": "0"})["N"]),
        display_name=item.get("display_name", {}).get("S"),
    )


def membership_from_item(item: Item) -> Membership:
    return Membership(
        channel_id=int(item["channel_id"]["N"]),
        name=item["channel_name"]["S"],
        can_publish=item.get("can_publish", {"BOOL": True})["BOOL"],
        can_subscribe=item.get("can_subscribe", {"BOOL": True})["BOOL"],
        can_publish_data=item.get("can_publish_data", {"BOOL": True})["BOOL"],
    )


def channel_from_item(item: Item) -> Channel:
    return Channel(channel_id=int(item["channel_id"]["N"]), name=item["channel_name"]["S"])


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
