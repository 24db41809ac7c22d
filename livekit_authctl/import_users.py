"""The users of an import: which rows may touch which accounts, and what each changes (import_plan.py runs it).

The rules (docs/security.md, issue 18):
- a username twice in the file refuses every such row, unless --on-collision picks the first;
- a Django row updates only the account it created (its source_id, "django:<pk>"); another account of that
  name is refused unless --on-collision keeps it (skipped) or adopts it;
- a row's user_id that belongs to another username here is refused;
- bcrypt below the floor (config.bcrypt_floor) is refused unless --allow-weak-bcrypt keeps it for the login
  to upgrade;
- a hash here wins over the file's older one (hashes.downgrade, hashes.changed_here_after), except a source's
  unusable password, which always wins;
- an existing user is changed by a conditional UpdateItem (storage.transfer.UserUpdate), never a blind put.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from livekit_auth import legacy_hashes
from livekit_auth.storage.dynamo import Item, now_iso
from livekit_auth.storage.records import PASSWORD_CHANGED_AT, SOURCE_ID, optional_text, profile_key
from livekit_authctl.hashes import changed_here_after, downgrade
from livekit_authctl.storage.transfer import (
    Put,
    TransferStore,
    UserUpdate,
    pair,
    profile_item,
    user_from_item,
    user_item,
)
from livekit_authctl.transfer_formats import DJANGO_SOURCE, IncomingUser, with_user_id

if TYPE_CHECKING:
    from livekit_authctl.import_plan import Plan

COLLISION_RULES = ("refuse", "keep", "adopt")  # --on-collision
SKIP_CHANGED_HERE = "their password changed here after the file's (password_changed_at)"
SKIP_NOT_CREATED = "an account here that this source did not create"
SKIP_LATER_ROW = "a later row of a username already in the file (the first is imported)"


@dataclass(frozen=True)
class ImportRules:
    rounds: int  # the target's bcrypt cost
    floor: int  # config.bcrypt_floor
    allow_weak_bcrypt: bool = False
    on_collision: str = "refuse"


class UserPlanner:
    def __init__(self, store: TransferStore, plan: Plan, rules: ImportRules) -> None:
        self.store, self.plan, self.rules = store, plan, rules
        self.refused: set[str] = set()  # usernames whose grants are refused, not looked up

    def run(self, incoming: list[IncomingUser]) -> dict[str, str]:
        """Plan the users; return {username: user_id} of those a grant may name."""
        users = self.without_collisions(incoming)
        existing = self.store.user_items(users)
        owners: dict[str, str] | None = None  # {user_id: username} here, read once if a row needs it
        chosen: dict[str, IncomingUser] = {}
        claimed: dict[str, str] = {}  # user_id -> where, within the file
        for username, user in users.items():
            if not self.strong_enough(user):
                continue
            if username in existing:
                item = existing[username]
                current = item["user_id"]["S"]
                if user.record.user_id and user.record.user_id != current:
                    self.refuse(user, f"{username} exists here with another user_id ({current})")
                    continue
                if not self.may_update(user, item):
                    continue
                user = with_user_id(user, current)
            elif user.record.user_id:
                owners = self.store.usernames_by_user_id() if owners is None else owners
                if owners.get(user.record.user_id, username) != username:
                    self.refuse(user, f"user_id {user.record.user_id} belongs to {owners[user.record.user_id]} here")
                    continue
            else:
                user = with_user_id(user, str(uuid.uuid4()))
            if user.record.user_id in claimed:
                self.refuse(user, f"user_id {user.record.user_id} again (first at {claimed[user.record.user_id]})")
                continue
            claimed[user.record.user_id] = user.where
            chosen[username] = user
        profiles = self.store.channel_items(profile_key(user.record.user_id) for user in chosen.values())
        user_ids = {}
        for username, user in chosen.items():
            profile = profiles.get(pair(profile_key(user.record.user_id)))
            owner = profile.get("username", {}).get("S", username) if profile else username
            if owner != username:
                self.refuse(user, f"user_id {user.record.user_id} belongs to {owner} here")
                continue
            self.user(user, existing.get(username), has_profile=profile is not None)
            user_ids[username] = user.record.user_id
        return user_ids

    def without_collisions(self, incoming: list[IncomingUser]) -> dict[str, IncomingUser]:
        """One row per username: a name on several rows refuses them all, unless a rule imports the first."""
        rows: dict[str, list[IncomingUser]] = {}
        for user in incoming:
            rows.setdefault(user.record.username, []).append(user)
        users = {}
        for username, same in rows.items():
            if len(same) > 1 and self.rules.on_collision == "refuse":
                for user in same:
                    others = ", ".join(other.where for other in same if other is not user)
                    self.refuse(user, f"{username} also at {others} (--on-collision picks a rule)")
                continue
            users[username] = same[0]
            self.plan.skipped.setdefault(SKIP_LATER_ROW, []).extend(user.where for user in same[1:])
        return users

    def strong_enough(self, user: IncomingUser) -> bool:
        """bcrypt at or above the floor, or kept below it on purpose (the login upgrades it: floor <= rounds)."""
        cost = legacy_hashes.bcrypt_cost(user.record.password_hash)
        if cost is None or cost >= self.rules.floor:
            return True
        if not self.rules.allow_weak_bcrypt:
            hint = "--allow-weak-bcrypt keeps it until the user's next login"
            self.refuse(user, f"bcrypt cost {cost:02d} is below the floor of {self.rules.floor} ({hint})")
            return False
        self.plan.weak += 1
        return True

    def may_update(self, user: IncomingUser, item: Item) -> bool:
        """A row with a source_id updates only the account that source created, unless a rule says otherwise."""
        source = user.record.source_id
        if source is None or optional_text(item, SOURCE_ID) == source:
            return True
        if self.rules.on_collision == "adopt":
            return True
        if self.rules.on_collision == "keep":
            self.plan.skipped.setdefault(SKIP_NOT_CREATED, []).append(user.record.username)
            return False
        origin = source.replace(DJANGO_SOURCE, "Django pk ")
        self.refuse(user, f"{user.record.username} exists here and was not imported from {origin} (see --on-collision)")
        return False

    def user(self, user: IncomingUser, existing: Item | None, *, has_profile: bool) -> None:
        record, plan, tables = user.record, self.plan, self.store.tables
        current = user_from_item(existing, channel_record=has_profile) if existing else None
        if current and not user.unusable and record.password_hash != current.password_hash:
            kept = {"password_hash": current.password_hash, "password_changed_at": current.password_changed_at}
            if downgrade(current.password_hash, record.password_hash, self.rules.rounds):
                record = replace(record, **kept)
                plan.kept.append(record.username)
            elif changed_here_after(current.password_changed_at, record.password_changed_at):
                record = replace(record, **kept)
                plan.skipped.setdefault(SKIP_CHANGED_HERE, []).append(record.username)
        if user.locked and record.password_hash.startswith(legacy_hashes.LOCKED_PREFIX):
            plan.locked.append(f"{record.username} ({user.locked})")
        if not legacy_hashes.is_current(record.password_hash, self.rules.rounds):
            plan.legacy += 1
        wants_profile = record.channel_record and not has_profile
        if wants_profile:
            plan.records.append(Put(tables.channels, profile_item(record)))
        if existing is None or current is None:
            plan.users.append(Put(tables.users, user_item(record)))
            plan.count("user", "created", record.username)
            return
        sets: Item = {}
        if record.password_hash != current.password_hash:
            sets["password_hash"] = {"S": record.password_hash}
        if record.active != current.active:
            sets["active"] = {"BOOL": record.active}
        if record.display_name is not None and record.display_name != current.display_name:
            sets["display_name"] = {"S": record.display_name}
        if "password_hash" in sets and record.password_changed_at:
            sets[PASSWORD_CHANGED_AT] = {"S": record.password_changed_at}
        if record.source_id and record.source_id != current.source_id:
            sets[SOURCE_ID] = {"S": record.source_id}  # --on-collision adopt, or a row with a source_id over none
        changes = [name for name in ("password_hash", "active", "display_name", SOURCE_ID) if name in sets]
        if sets:
            plan.updates.append(
                UserUpdate(
                    where=user.where,
                    username=record.username,
                    user_id=record.user_id,
                    read=existing,
                    sets={**sets, "updated_at": {"S": now_iso()}},
                    ends_sessions="password_hash" in sets or "active" in sets,
                )
            )
        if wants_profile:
            changes.append("channel record")
        plan.count("user", "updated" if changes else "unchanged", record.username, ", ".join(changes))

    def refuse(self, user: IncomingUser, reason: str) -> None:
        self.refused.add(user.record.username)
        self.plan.refuse("user", user.where, reason)
