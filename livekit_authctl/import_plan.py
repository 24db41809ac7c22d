"""What an import would change: each incoming record compared with the tables, by reading only the keys it names.

The plan creates or updates, never deletes. Its writes go in three passes (users; channel records and
channels; grants), so a user item always exists before anything that names its user_id. Which rows may
touch which users, and how: import_users.py. Writing the plan and reporting on it: transfer.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from livekit_auth.storage.dynamo import Item
from livekit_auth.storage.records import Channel, catalog_key, channel_item, membership_item, membership_key
from livekit_authctl.import_users import ImportRules, UserPlanner
from livekit_authctl.storage.transfer import GrantRecord, Put, TransferStore, UserUpdate, pair
from livekit_authctl.transfer_formats import KINDS, Incoming

__all__ = ["ImportRules", "Plan", "plan_import"]


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
    skipped: dict[str, list[str]] = field(default_factory=dict)  # import_users.SKIP_*: users (or rows) not taken
    weak: int = 0  # bcrypt below the floor, kept by --allow-weak-bcrypt for the next login to upgrade
    users: list[Put] = field(default_factory=list)  # new users
    updates: list[UserUpdate] = field(default_factory=list)  # existing users: conditional, per user
    records: list[Put] = field(default_factory=list)  # channel records (profiles) and new channels
    renames: list[Channel] = field(default_factory=list)
    grants: list[Put] = field(default_factory=list)

    @property
    def writes(self) -> int:
        return len(self.users) + len(self.updates) + len(self.records) + len(self.renames) + len(self.grants)

    def count(self, kind: str, outcome: str, label: str, detail: str = "") -> None:
        tally = self.tallies[kind]
        setattr(tally, outcome, getattr(tally, outcome) + 1)
        if outcome in ("created", "updated"):
            verb = "create" if outcome == "created" else "update"
            self.actions.append(f"{verb} {kind} {label}{': ' + detail if detail else ''}")

    def conflict(self, update: UserUpdate) -> None:
        """An update that lost to a concurrent change (`user passwd`, a login's upgrade ...): that row fails."""
        self.tallies["user"].updated -= 1
        self.refuse("user", update.where, f"{update.username} changed here while importing: run the import again")

    def refuse(self, kind: str, where: str, reason: str) -> None:
        """`kind` "record" (not JSON, no known kind) counts in the `other` row of the summary."""
        self.tallies.setdefault(kind if kind in KINDS else "other", Tally()).refused += 1
        self.refusals.append(f"{where}: {kind}: {reason}")


def plan_import(store: TransferStore, incoming: Incoming, rules: ImportRules) -> Plan:
    """What importing `incoming` would change, found by reading only the keys it names (and, for a row
    with a user_id new here, one projected scan of the users: who owns that user_id)."""
    return Planner(store, rules).run(incoming)


class Planner:
    def __init__(self, store: TransferStore, rules: ImportRules) -> None:
        self.store = store
        self.rules = rules
        self.plan = Plan()
        self.refused_users: set[str] = set()  # their grants are refused, not looked up

    def run(self, incoming: Incoming) -> Plan:
        for kind, where, reason in incoming.refusals:
            self.plan.refuse(kind, where, reason)
        users = UserPlanner(self.store, self.plan, self.rules)
        user_ids = users.run(incoming.users)
        self.refused_users = users.refused
        channel_names = self.channels(incoming.channels)
        self.grants(incoming.grants, user_ids, channel_names)
        return self.plan

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
