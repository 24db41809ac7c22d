"""authctl export and import: users, channels and grants out as JSON lines, and back in (or in from Django).

Import compares each record with the tables and writes only what is missing or differs, never deleting:
running it again changes nothing, and running it again after an interruption completes it.
Writes go in three passes (users; channel records and channels; grants), so a user item always
exists before anything that names its user_id. The format: docs/migration.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TextIO

from livekit_auth import legacy_hashes
from livekit_auth.storage.admin import AdminStore
from livekit_auth.storage.dynamo import Item, now_iso
from livekit_auth.storage.records import Channel
from livekit_auth.storage.transfer import (
    BatchNotDone,
    GrantRecord,
    Put,
    TransferStore,
    UserRecord,
    catalog_item,
    catalog_key,
    membership_item,
    membership_key,
    profile_item,
    profile_key,
    user_from_item,
    user_item,
)
from tools.admin.transfer_formats import (
    KINDS,
    USERNAME_FIELDS,
    Incoming,
    IncomingUser,
    UsernameCheck,
    read_records,
    with_user_id,
)

EXPORT_FILE_MODE = 0o600  # the export holds password hashes


class TransferError(Exception):
    """An export or import that did not (fully) happen; the message says what to do."""


def add_commands(commands: Any, command: Callable[..., Any], check_username: UsernameCheck) -> None:
    """Register `export` and `import` beside authctl's other commands (`command` is authctl's helper)."""
    export = command(commands, "export", export_command, "write every user, channel and grant as JSON lines")
    export.add_argument("-o", "--output", metavar="FILE", help=f"write to FILE (mode {EXPORT_FILE_MODE:o}), not stdout")
    imported = command(
        commands, "import", import_command, "create or update users, channels and grants from an export or Django"
    )
    imported.add_argument("file", metavar="FILE", help="an `authctl export` file, Django dumpdata auth.user JSON, or -")
    imported.add_argument("--dry-run", action="store_true", help="say what would change; write nothing")
    imported.add_argument(
        "--username-field",
        choices=USERNAME_FIELDS,
        default="auto",
        help="Django: which field is the username (auto: `username` if an email, else `email`)",
    )
    imported.set_defaults(check_username=check_username)


# ---- export -------------------------------------------------------------------------------------------------


def export_command(store: AdminStore, args: argparse.Namespace) -> None:
    snapshot = TransferStore.of(store).snapshot()
    lines = [json.dumps(export_line(record), ensure_ascii=False) + "\n" for record in snapshot.users]
    lines += [json.dumps(export_line(record), ensure_ascii=False) + "\n" for record in snapshot.channels]
    lines += [json.dumps(export_line(record), ensure_ascii=False) + "\n" for record in snapshot.grants]
    counts = f"{len(snapshot.users)} user(s), {len(snapshot.channels)} channel(s), {len(snapshot.grants)} grant(s)"
    if args.output:
        descriptor = os.open(args.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, EXPORT_FILE_MODE)
        os.fchmod(descriptor, EXPORT_FILE_MODE)  # also when the file existed with a wider mode
        with os.fdopen(descriptor, "w", encoding="utf-8") as output:
            output.writelines(lines)
        note(f"wrote {counts} to {args.output} (mode {EXPORT_FILE_MODE:o}: it holds password hashes)")
    else:
        sys.stdout.writelines(lines)
        note(f"exported {counts}; the output holds password hashes: keep it private")
    if snapshot.orphans:
        note(f"skipped {snapshot.orphans} channel-table item(s) of users that no longer exist")


def export_line(record: UserRecord | Channel | GrantRecord) -> dict[str, Any]:
    if isinstance(record, Channel):
        return {"kind": "channel", "channel_id": record.channel_id, "name": record.name}
    if isinstance(record, GrantRecord):
        flags = {name: value for name, value in vars(record.membership).items() if name != "name"}
        return {"kind": "grant", "username": record.username, **flags}
    line = {"kind": "user", **{name: value for name, value in vars(record).items() if value is not None}}
    if record.channel_record:
        del line["channel_record"]  # the usual case goes unsaid
    return line


# ---- import: the plan --------------------------------------------------------------------------------------


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
            profile = profiles.get(profile_key(user.record.user_id))
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
            item = existing.get(catalog_key(channel_id))
            label = f"{channel_id} {channel.name}"
            if item is None:
                self.plan.records.append(Put(self.store.tables.channels, catalog_item(channel)))
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
                    current.get(membership_key(user_id, grant.channel_id)),
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


def downgrade(stored: str, imported: str, rounds: int) -> bool:
    """Whether `imported` would replace bcrypt made here (an upgrade on login, `user passwd`) by an older format.

    Re-running a Django import after users logged in or had their password reset must not bring the
    old hash (and with it, after a reset, the old password) back: not a non-bcrypt one over any bcrypt,
    nor native bcrypt of another cost (or $2a$/$2y$) over the $2b$ at `rounds` that this service makes.
    """
    made_here = stored.startswith(legacy_hashes.NATIVE_PREFIX) and legacy_hashes.is_current(stored, rounds)
    older = not (imported.startswith(legacy_hashes.NATIVE_PREFIX) and legacy_hashes.is_current(imported, rounds))
    return (stored.startswith("$2") and not imported.startswith("$2")) or (made_here and older)


# ---- import: the command ---------------------------------------------------------------------------------


def import_command(store: AdminStore, args: argparse.Namespace) -> None:
    text = read_input(args.file)
    incoming = read_records(text, args.check_username, args.username_field)
    transfer = TransferStore.of(store)
    plan = plan_import(transfer, incoming, args.bcrypt_rounds)
    if args.dry_run:
        for action in plan.actions:
            print(f"would {action}")
    else:
        apply(transfer, plan)
    print_summary(plan, source=incoming.source, name=args.file, dry_run=args.dry_run)
    refused = len(plan.refusals)
    if refused:
        rest = "nothing written" if args.dry_run else "the rest is imported"
        raise TransferError(f"{refused} record(s) refused (listed above); {rest}")


def read_input(name: str) -> str:
    try:
        if name == "-":
            return sys.stdin.read()
        with open(name, encoding="utf-8") as source:
            return source.read()
    except OSError as error:
        raise TransferError(f"cannot read {name}: {error.strerror}") from None
    except UnicodeDecodeError:
        raise TransferError(f"{name} is not UTF-8 text") from None


def apply(store: TransferStore, plan: Plan) -> None:
    """Write the plan in its three passes; an interruption leaves what a re-run completes."""
    progress = Progress(plan.writes)
    try:
        store.write(plan.users, progress.advance)
        store.write(plan.records, progress.advance)
        for channel in plan.renames:
            store.rename_channel(channel.channel_id, channel.name)
            progress.advance(1)
        store.write(plan.grants, progress.advance)
    except BaseException as error:
        progress.finish()
        note(f"import interrupted after {progress.done} of {plan.writes} write(s): run it again to complete it")
        if isinstance(error, BatchNotDone):
            raise TransferError(f"DynamoDB kept throttling: {error}") from None
        raise
    progress.finish()


class Progress:
    """Items written so far, on stderr: a bar redrawn in place on a terminal, else a line per tenth."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.done = 0
        self.stream = stream or sys.stderr
        self.bar = self.stream.isatty()
        self._last_tenth = 0

    def advance(self, count: int) -> None:
        self.done += count
        if self.bar:
            filled = self.WIDTH * self.done // max(self.total, 1)
            self.stream.write(f"\r[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done}/{self.total} writes")
            self.stream.flush()
            return
        tenth = 10 * self.done // max(self.total, 1)
        if tenth > self._last_tenth:
            self._last_tenth = tenth
            self.stream.write(f"import: {self.done}/{self.total} writes\n")

    def finish(self) -> None:
        if self.bar and self.total:
            self.stream.write("\n")


def print_summary(plan: Plan, *, source: str, name: str, dry_run: bool) -> None:
    """The per-kind table, then the refusals, the locked accounts and the legacy hashes left to upgrade."""
    print(f"{'dry run: nothing written; ' if dry_run else ''}{name} read as {source}")
    print(f"{'':8}{'created':>9}{'updated':>9}{'unchanged':>11}{'refused':>9}")
    for kind, tally in plan.tallies.items():
        print(f"{kind:8}{tally.created:>9}{tally.updated:>9}{tally.unchanged:>11}{tally.refused:>9}")
    if not any(tally.created or tally.updated for tally in plan.tallies.values()):
        print("nothing to change: the tables already hold every accepted record as it is")
    for refusal in plan.refusals:
        print(f"refused {refusal}")
    if plan.locked:
        print(f"{len(plan.locked)} account(s) cannot log in until `authctl user passwd`:")
        for account in plan.locked:
            print(f"  {account}")
    if plan.kept:
        print(f"{len(plan.kept)} user(s) keep their bcrypt hash over the file's older format (upgraded or reset here)")
    if plan.legacy:
        print(f"{plan.legacy} user(s) with a legacy or other-cost hash: upgraded at their next login")


# ---- user list --legacy -------------------------------------------------------------------------------------


def list_legacy(store: AdminStore, args: argparse.Namespace) -> None:
    """Users whose hash is not native bcrypt at the target's cost, with its format and what happens next."""
    users = sorted(store.list_users(), key=lambda user: user.username)
    outdated = [user for user in users if not legacy_hashes.is_current(user.password_hash, args.bcrypt_rounds)]
    locked = [user for user in users if user.password_hash.startswith(legacy_hashes.LOCKED_PREFIX)]
    for user in outdated:
        print(f"{user.username}\t{hash_description(user.password_hash)}\tupgraded at next login")
    for user in locked:
        print(f"{user.username}\t{hash_description(user.password_hash)}\tcannot log in until `authctl user passwd`")
    note(
        f"{len(outdated)} of {len(users)} user(s) have a legacy hash (bcrypt cost {args.bcrypt_rounds} is current); "
        f"{len(locked)} cannot log in"
    )


def hash_description(encoded: str) -> str:
    """The format's name, never the hash: 'pbkdf2_sha256', 'bcrypt cost 10', 'locked (md5)'."""
    if encoded.startswith(legacy_hashes.WEAK_MARKER):
        return f"locked ({encoded.removeprefix(legacy_hashes.WEAK_MARKER)})"
    try:
        name = legacy_hashes.format_name(encoded)
    except legacy_hashes.UnknownHashFormat:
        return "unknown format"
    return f"bcrypt cost {encoded[4:6]}" if name == "bcrypt" else name


def note(message: str) -> None:
    print(f"authctl: {message}", file=sys.stderr)
