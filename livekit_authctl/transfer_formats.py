"""What `authctl import` reads: this service's export (JSON lines) or Django's `dumpdata auth.user`, by content.

Each record becomes a transfer record (livekit_authctl.storage.transfer) or a refusal naming where it
stood (line N of JSON lines, index N of a JSON array) and why, never its password hash. The export
format is documented in docs/migration.md.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from livekit_auth import legacy_hashes
from livekit_auth.display_names import UnusableDisplayName, normalize_display_name
from livekit_auth.storage.dynamo import MAX_CHANNEL_ID
from livekit_auth.storage.records import Channel, Membership
from livekit_authctl.storage.transfer import GrantRecord, UserRecord

KINDS = ("user", "channel", "grant")
DJANGO_MODEL = "auth.user"
USERNAME_FIELDS = ("auto", "username", "email")  # --username-field
EXPORT_FORMAT = "authctl export"
DJANGO_FORMAT = "Django dumpdata auth.user"

UNUSABLE = "unusable password"  # IncomingUser.locked of Django's `!...`: it always wins over a hash here (L6)
DJANGO_SOURCE = "django:"  # + the row's pk: the source_id of a user a Django row created

UsernameCheck = Callable[[str], str]  # the username as stored, or raises with a reason


class Refused(Exception):
    """One record cannot be imported; the message is the reason (never a hash)."""


@dataclass(frozen=True)
class IncomingUser:
    where: str
    record: UserRecord  # user_id "" when the record carries none (a new one is made unless the user exists)
    locked: str | None = None  # why this account cannot log in until `authctl user passwd`

    @property
    def unusable(self) -> bool:
        """The source made this password unusable: the account must not log in with any password here."""
        return self.locked == UNUSABLE


@dataclass
class Incoming:
    source: str = EXPORT_FORMAT
    users: list[IncomingUser] = field(default_factory=list)
    channels: list[tuple[str, Channel]] = field(default_factory=list)
    grants: list[tuple[str, GrantRecord]] = field(default_factory=list)
    refusals: list[tuple[str, str, str]] = field(default_factory=list)  # (kind, where, reason)

    @property
    def size(self) -> int:
        return len(self.users) + len(self.channels) + len(self.grants) + len(self.refusals)


def read_records(text: str, check_username: UsernameCheck, username_field: str = "auto") -> Incoming:
    """Every record of `text`; a JSON array is Django's dumpdata, anything else JSON lines of either format."""
    incoming = Incoming()
    if text.lstrip().startswith("["):
        incoming.source = DJANGO_FORMAT
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as error:
            incoming.refusals.append(("file", "the file", f"not valid JSON: {error.msg} at line {error.lineno}"))
            return incoming
        for index, entry in enumerate(entries):
            _take(incoming, f"index {index}", entry, check_username, username_field)
        return incoming
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as error:
            incoming.refusals.append(("record", f"line {number}", f"not valid JSON: {error.msg}"))
            continue
        if isinstance(entry, dict) and "model" in entry:
            incoming.source = DJANGO_FORMAT  # dumpdata --format jsonl
        _take(incoming, f"line {number}", entry, check_username, username_field)
    return incoming


def _take(incoming: Incoming, where: str, entry: Any, check_username: UsernameCheck, username_field: str) -> None:
    kind = _kind(entry)
    try:
        if kind == "django":
            pk = entry.get("pk")
            where = f"{where} (pk {pk})" if isinstance(pk, int | str) else where
            incoming.users.append(django_user(where, entry, check_username, username_field))
        elif kind == "user":
            incoming.users.append(export_user(where, entry, check_username))
        elif kind == "channel":
            incoming.channels.append((where, export_channel(entry)))
        elif kind == "grant":
            incoming.grants.append((where, export_grant(entry, check_username)))
        else:
            raise Refused(kind)
    except Refused as refused:
        incoming.refusals.append(
            (kind if kind in KINDS else "user" if kind == "django" else "record", where, str(refused))
        )


def _kind(entry: Any) -> str:
    """'django', one of KINDS, or the reason the entry is neither."""
    if not isinstance(entry, dict):
        return "not a JSON object"
    if "model" in entry:
        return "django" if entry["model"] == DJANGO_MODEL else f"not an {DJANGO_MODEL} record ({entry['model']!r})"
    kind = entry.get("kind")
    return kind if kind in KINDS else f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})"


# ---- this service's export ------------------------------------------------------------------------------


def export_user(where: str, entry: dict[str, Any], check_username: UsernameCheck) -> IncomingUser:
    user_id = _optional_str(entry, "user_id")
    password_hash, locked = stored_hash(_required_str(entry, "password_hash"))
    record = UserRecord(
        username=_username(entry.get("username"), check_username),
        user_id=_user_id(user_id) if user_id else "",
        password_hash=password_hash,
        active=_bool(entry, "active"),
        display_name=_display_name(_optional_str(entry, "display_name") or ""),
        created_at=_optional_str(entry, "created_at"),
        updated_at=_optional_str(entry, "updated_at"),
        channel_record=_bool(entry, "channel_record"),
        password_changed_at=_moment(entry, "password_changed_at"),
        source_id=_optional_str(entry, "source_id"),
    )
    return IncomingUser(where, record, locked)


def export_channel(entry: dict[str, Any]) -> Channel:
    name = _required_str(entry, "name").strip()
    if not name:
        raise Refused("the channel name is empty")
    return Channel(_channel_id(entry.get("channel_id")), name)


def export_grant(entry: dict[str, Any], check_username: UsernameCheck) -> GrantRecord:
    membership = Membership(
        channel_id=_channel_id(entry.get("channel_id")),
        name="",  # the channel's, found when the import is planned
        can_publish=_bool(entry, "can_publish"),
        can_subscribe=_bool(entry, "can_subscribe"),
        can_publish_data=_bool(entry, "can_publish_data"),
    )
    return GrantRecord(_username(entry.get("username"), check_username), membership)


# ---- Django ---------------------------------------------------------------------------------------------


def django_user(where: str, entry: dict[str, Any], check_username: UsernameCheck, username_field: str) -> IncomingUser:
    """username: Django's `username` if it is an email, else `email` (or the field --username-field names)."""
    fields = entry.get("fields")
    if not isinstance(fields, dict):
        raise Refused("the record has no `fields` object")
    username = _django_username(fields, check_username, username_field)
    user_id = _optional_str(fields, "user_id")
    password = fields.get("password")
    password_hash, locked = stored_hash(password if isinstance(password, str) else "")
    names = [fields.get(name) for name in ("first_name", "last_name")]
    display_name = _display_name(" ".join(name.strip() for name in names if isinstance(name, str)))
    is_active = fields.get("is_active", True)
    if not isinstance(is_active, bool):
        raise Refused("`is_active` is not true or false")
    joined = fields.get("date_joined")
    pk = entry.get("pk")
    record = UserRecord(
        username=username,
        user_id=_user_id(user_id) if user_id else "",
        password_hash=password_hash,
        active=is_active,
        display_name=display_name,
        created_at=joined if isinstance(joined, str) else None,
        source_id=f"{DJANGO_SOURCE}{pk}" if isinstance(pk, int | str) and not isinstance(pk, bool) else None,
    )
    return IncomingUser(where, record, locked)


def _django_username(fields: dict[str, Any], check_username: UsernameCheck, username_field: str) -> str:
    candidates = ("username", "email") if username_field == "auto" else (username_field,)
    reasons = []
    for name in candidates:
        value = fields.get(name)
        if not isinstance(value, str) or not value.strip():
            reasons.append(f"`{name}` is empty")
            continue
        try:
            return check_username(value)
        except Exception as error:  # the check's own refusal, as its message words it
            reasons.append(f"`{name}`: {error}")
    raise Refused("no usable username: " + "; ".join(reasons))


# ---- fields ---------------------------------------------------------------------------------------------


def stored_hash(encoded: str) -> tuple[str, str | None]:
    """What to store for an imported hash, and why the account is locked (None when it can log in).

    Usable formats are kept as they are (the first login upgrades them); locked markers too; weak and
    unsupported formats are replaced by a marker naming the format, so the weak hash is not kept.
    """
    if encoded.startswith(legacy_hashes.LOCKED_PREFIX):
        return encoded, UNUSABLE
    unkept = legacy_hashes.unkept_format(encoded)
    if unkept:
        return legacy_hashes.WEAK_MARKER + unkept, f"{unkept} hash not kept"
    try:
        legacy_hashes.format_name(encoded)
    except legacy_hashes.UnknownHashFormat:
        raise Refused("the password hash is in no format this service knows") from None
    return encoded, None


def with_user_id(user: IncomingUser, user_id: str) -> IncomingUser:
    return replace(user, record=replace(user.record, user_id=user_id))


def _username(value: Any, check_username: UsernameCheck) -> str:
    if not isinstance(value, str):
        raise Refused("`username` is missing or not text")
    try:
        return check_username(value)
    except Exception as error:  # the check's own refusal, as its message words it
        raise Refused(str(error)) from None


def _display_name(text: str) -> str | None:
    """As `authctl user add --name` stores it (livekit_auth.display_names); None: tokens show the username."""
    try:
        return normalize_display_name(text)
    except UnusableDisplayName as error:
        raise Refused(str(error)) from None


def _user_id(value: str) -> str:
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Refused("`user_id` is not a UUID") from None


def _channel_id(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CHANNEL_ID:
        raise Refused(f"`channel_id` is not a whole number from 1 to {MAX_CHANNEL_ID}")
    return value


def _bool(entry: dict[str, Any], name: str) -> bool:
    value = entry.get(name, True)
    if not isinstance(value, bool):
        raise Refused(f"`{name}` is not true or false")
    return value


def _required_str(entry: dict[str, Any], name: str) -> str:
    value = entry.get(name)
    if not isinstance(value, str):
        raise Refused(f"`{name}` is missing or not text")
    return value


def _moment(entry: dict[str, Any], name: str) -> str | None:
    """An ISO 8601 time with its offset, as written (now_iso), or None."""
    value = _optional_str(entry, name)
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise Refused(f"`{name}` is not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise Refused(f"`{name}` has no UTC offset")
    return value


def _optional_str(entry: dict[str, Any], name: str) -> str | None:
    value = entry.get(name)
    if value is not None and not isinstance(value, str):
        raise Refused(f"`{name}` is not text")
    return value or None
