"""What an import would change: each incoming record compared with the tables, by reading only the keys it names.

The plan creates or updates, never deletes. Its writes go in three passes (users; channel records and
channels; grants), so a user item always exists before anything that names its user_id. Writing it and
reporting on it are the command's (transfer.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace

from livekit_auth import legacy_hashes
from livekit_auth.storage.dynamo import Item, now_iso
from livekit_auth.storage.records import (
    Channel,
    catalog_key,
    channel_item,
    membership_item,
    membership_key,
    profile_key,
)
from livekit_authctl.hashes import downgrade
from livekit_authctl.storage.transfer import (
    GrantRecord,
    Put,
    TransferStore,
    pair,
    profile_item,
    user_from_item,
    user_item,
)
from livekit_authctl.transfer_formats import KINDS, Incoming, IncomingUser, with_user_id


@dataclass
class Tally:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0


@dataclass
class Plan:
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    actions: list[str] = field(default_factory=list)  # "create user a@example.com", ...
    refusals: list[str] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)  # accounts that cannot log in until `user passwd`
    legacy: int = 0  # users whose hash the first login upgrades
    kept: list[str] = field(default_factory=list)  # users whose bcrypt hash the file's older one did not replace
    users: list[Put] = field(default_factory=list)
    records: list[Put] = field(default_factory=list)  # channel records (profiles) and new channels
    renames: list[Channel] = field(default_factory=list)
    grants: list[Put] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.users) + len(self.records) + len(self.renames) + len(self.grants)

    def count(self, kind: str, outcome: str, label: str, detail: str = "") -> None:
        tally = self.tallies[kind]
        setattr(tally, outcome, getattr(tally, outcome) + 1)
        if outcome in ("created", "updated"):
            verb = "create" if outcome == "created" else "update"
            self.actions.append(f"{verb} {kind} {label}{': ' + detail if detail else ''}")

    def refuse(self, kind: str, where: str, reason: str) -> None:
        """`kind` "record" (not JSON, no known kind) counts in the `other` row of the summary."""
        self.tallies.setdefault(kind if kind in KINDS else "other", Tally()).refused += 1
        self.refusals.append(f"{where}: {kind}: {reason}")


def plan_import(store: TransferStore, incoming: Incoming, rounds: int) -> Plan:
    """What importing `incoming` would change, found by reading only the keys it names."""
    return Planner(store, rounds).run(incoming)


class Planner:
    def __init__(self, store: TransferStore, rounds: int) -> None:
        self.store = store
        self.rounds = rounds
        self.plan = Plan()
        self.refused_users: set[str] = set()  # their grants are refused, not looked up

    def run(self, incoming: Incoming) -> Plan:
        for kind, where, reason in incoming.refusals:
            self.plan.refuse(kind, where, reason)
        user_ids = self.users(incoming.users)
        channel_names = self.channels(incoming.channels)
        self.grants(incoming.grants, user_ids, channel_names)
        return self.plan

    # ---- users ----------------------------------------------------------------------------------------------

    def users(self, incoming: list[IncomingUser]) -> dict[str, str]:
        """Plan the users; return {username: user_id} of those a grant may name."""
        users: dict[str, IncomingUser] = {}
        for user in incoming:
            if user.record.username in users:
                first = users[user.record.username].where
                self.refuse_user(user, f"{user.record.username} again (first at {first})")
            else:
                users[user.record.username] = user
        existing = self.store.user_items(users)
        chosen: dict[str, IncomingUser] = {}
        claimed: dict[str, str] = {}  # user_id -> where, within the file
        for username, user in users.items():
            if username in existing:
                current = existing[username]["user_id"]["S"]
                if user.record.user_id and user.record.user_id != current:
                    self.refuse_user(user, f"{username} exists here with another user_id ({current})")
                    continue
                user = with_user_id(user, current)
            elif not user.record.user_id:
                user = with_user_id(user, str(uuid.uuid4()))
            if user.record.user_id in claimed:
                self.refuse_user(user, f"user_id {user.record.user_id} again (first at {claimed[user.record.user_id]})")
                continue
            claimed[user.record.user_id] = user.where
            chosen[username] = user
        profiles = self.store.channel_items(profile_key(user.record.user_id) for user in chosen.values())
        user_ids = {}
        for username, user in chosen.items():
            profile = profiles.get(pair(profile_key(user.record.user_id)))
            if profile and profile.get("username", {}).get("S", username) != username:
                self.refuse_user(user, f"user_id {user.record.user_id} belongs to another user here")
                continue
            self.user(user, existing.get(username), has_profile=profile is not None)
            user_ids[username] = user.record.user_id
        return user_ids

    def user(self, user: IncomingUser, existing: Item | None, *, has_profile: bool) -> None:
        record, plan, tables = user.record, self.plan, self.store.tables
        current = user_from_item(existing, channel_record=has_profile) if existing else None
        if current and downgrade(current.password_hash, record.password_hash, self.rounds):
            record = replace(record, password_hash=current.password_hash)
            plan.kept.append(record.username)
        elif user.locked:
            plan.locked.append(f"{record.username} ({user.locked})")
        if not legacy_hashes.is_current(record.password_hash, self.rounds):
            plan.legacy += 1
        wants_profile = record.channel_record and not has_profile
        if wants_profile:
            plan.records.append(Put(tables.channels, profile_item(record)))
        if current is None:
            plan.users.append(Put(tables.users, user_item(record)))
            plan.count("user", "created", record.username)
            return
        changes = [name for name in ("password_hash", "active") if getattr(record, name) != getattr(current, name)]
        if record.display_name is not None and record.display_name != current.display_name:
            changes.append("display_name")
        if changes:
            plan.users.append(Put(tables.users, user_item(replace(record, updated_at=now_iso()), existing)))
        if wants_profile:
            changes.append("channel record")
        plan.count("user", "updated" if changes else "unchanged", record.username, ", ".join(changes))

    def refuse_user(self, user: IncomingUser, reason: str) -> None:
        self.refused_users.add(user.record.username)
        self.plan.refuse("user", user.where, reason)

    # ---- channels -------------------------------------------------------------------------------------------

    def channels(self, incoming: list[tuple[str, Channel]]) -> dict[int, str]:
        """Plan the channels; return {channel_id: name} of the file's channels."""
        channels: dict[int, tuple[str, Channel]] = {}
        for where, channel in incoming:
            if channel.channel_id in channels:
                first = channels[channel.channel_id][0]
                self.plan.refuse("channel", where, f"channel {channel.channel_id} again (first at {first})")
            else:
                channels[channel.channel_id] = (where, channel)
        existing = self.store.channel_items(catalog_key(channel_id) for channel_id in channels)
        for channel_id, (_, channel) in channels.items():
            item = existing.get(pair(catalog_key(channel_id)))
            label = f"{channel_id} {channel.name}"
            if item is None:
                self.plan.records.append(Put(self.store.tables.channels, channel_item(channel)))
                self.plan.count("channel", "created", label)
            elif item["channel_name"]["S"] != channel.name:
                self.plan.renames.append(channel)
                self.plan.count("channel", "updated", label, "name (and every member's copy of it)")
            else:
                self.plan.count("channel", "unchanged", label)
        return {channel_id: channel.name for channel_id, (_, channel) in channels.items()}

    # ---- grants ---------------------------------------------------------------------------------------------

    def grants(self, grants: list[tuple[str, GrantRecord]], user_ids: dict[str, str], names: dict[int, str]) -> None:
        """Plan the grants, naming users and channels of the file or already in the tables."""
        others = {grant.username for _, grant in grants} - user_ids.keys() - self.refused_users
        user_ids = {**{name: item["user_id"]["S"] for name, item in self.store.user_items(others).items()}, **user_ids}
        catalog = self.store.channel_items(
            catalog_key(grant.channel_id) for _, grant in grants if grant.channel_id not in names
        )
        names = {**{int(item["channel_id"]["N"]): item["channel_name"]["S"] for item in catalog.values()}, **names}
        known = [grant for _, grant in grants if grant.username in user_ids and grant.channel_id in names]
        current = self.store.channel_items(
            membership_key(user_ids[grant.username], grant.channel_id) for grant in known
        )
        seen: dict[tuple[str, int], str] = {}
        for where, grant in grants:
            label = f"{grant.username} {grant.channel_id}"
            if grant.username not in user_ids:
                self.plan.refuse("grant", where, f"no user {grant.username} (here or imported)")
            elif grant.channel_id not in names:
                self.plan.refuse("grant", where, f"no channel {grant.channel_id} (here or imported)")
            elif (grant.username, grant.channel_id) in seen:
                self.plan.refuse("grant", where, f"{label} again (first at {seen[grant.username, grant.channel_id]})")
            else:
                seen[grant.username, grant.channel_id] = where
                user_id = user_ids[grant.username]
                self.grant(
                    label,
                    membership_item(user_id, grant.username, replace(grant.membership, name=names[grant.channel_id])),
                    current.get(pair(membership_key(user_id, grant.channel_id))),
                )

    def grant(self, label: str, item: Item, existing: Item | None) -> None:
        if existing is None:
            self.plan.grants.append(Put(self.store.tables.channels, item))
            self.plan.count("grant", "created", label)
            return
        changed = sorted(name for name in item if existing.get(name) != item[name])
        if changed:
            self.plan.grants.append(Put(self.store.tables.channels, {**existing, **item}))
        self.plan.count("grant", "updated" if changed else "unchanged", label, ", ".join(changed))
