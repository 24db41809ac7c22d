"""authctl export and import: users, channels and grants out as JSON lines, and back in (or in from Django).

Import compares each record with the tables (import_plan.py) and writes only what is missing or differs,
never deleting: running it again changes nothing, and running it again after an interruption completes it.
The format: docs/migration.md.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from livekit_auth.storage.records import Channel
from livekit_authctl.common import command, email_address, note
from livekit_authctl.import_plan import ImportRules, Plan, plan_import
from livekit_authctl.import_users import COLLISION_RULES
from livekit_authctl.progress import Progress
from livekit_authctl.storage.stores import Stores
from livekit_authctl.storage.transfer import BatchNotDone, GrantRecord, UserRecord
from livekit_authctl.transfer_formats import USERNAME_FIELDS, read_records

EXPORT_FILE_MODE = 0o600  # the export holds password hashes


class TransferError(Exception):
    """An export or import that did not (fully) happen; the message says what to do."""


def add_commands(commands: Any) -> None:
    """Register `export` and `import` beside authctl's other commands."""
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
    imported.add_argument(
        "--on-collision",
        choices=COLLISION_RULES,
        default="refuse",
        help="a username on several rows, or a Django row naming an account it did not create: refuse the rows "
        "(default); keep the first row and the account here; or adopt that account (the row updates it)",
    )
    imported.add_argument(
        "--allow-weak-bcrypt",
        action="store_true",
        help="keep bcrypt hashes below the cost floor (refused by default); the next login re-hashes them",
    )


# ---- export -------------------------------------------------------------------------------------------------


def export_command(stores: Stores, args: argparse.Namespace) -> None:
    snapshot = stores.transfer.snapshot()
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


# ---- import -------------------------------------------------------------------------------------------------


def import_command(stores: Stores, args: argparse.Namespace) -> None:
    text = read_input(args.file)
    incoming = read_records(text, email_address, args.username_field)
    rules = ImportRules(
        rounds=args.bcrypt_rounds,
        floor=args.bcrypt_floor,  # cli.main: config.bcrypt_floor of the target
        allow_weak_bcrypt=args.allow_weak_bcrypt,
        on_collision=args.on_collision,
    )
    plan = plan_import(stores.transfer, incoming, rules)
    if args.dry_run:
        for action in plan.actions:
            print(f"would {action}")
    else:
        apply(stores, plan)
    print_summary(plan, source=incoming.source, name=args.file, dry_run=args.dry_run, floor=rules.floor)
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


def apply(stores: Stores, plan: Plan) -> None:
    """Write the plan in its three passes; an interruption leaves what a re-run completes."""
    progress = Progress(plan.writes)
    try:
        stores.transfer.write(plan.users, progress.advance)
        for update in plan.updates:  # one conditional write each: a concurrent change fails that row only
            if not stores.transfer.update_user(update):
                plan.conflict(update)
            elif update.ends_sessions:  # revoked by the update's generation; now their items go, as passwd does
                stores.sessions.forget_sessions(update.user_id)
            progress.advance(1)
        stores.transfer.write(plan.records, progress.advance)
        for channel in plan.renames:
            stores.admin.rename_channel(channel.channel_id, channel.name)
            progress.advance(1)
        stores.transfer.write(plan.grants, progress.advance)
    except BaseException as error:
        progress.finish()
        note(f"import interrupted after {progress.done} of {plan.writes} write(s): run it again to complete it")
        if isinstance(error, BatchNotDone):
            raise TransferError(f"DynamoDB kept throttling: {error}") from None
        raise
    progress.finish()


def print_summary(plan: Plan, *, source: str, name: str, dry_run: bool, floor: int) -> None:
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
    for reason, labels in plan.skipped.items():
        if labels:
            print(f"{len(labels)} user(s) skipped: {reason}: {', '.join(labels)}")
    if plan.weak:
        kept = f"{plan.weak} user(s) keep a bcrypt hash below cost {floor} (--allow-weak-bcrypt)"
        print(f"{kept}: upgraded at next login")
    if plan.legacy:
        print(f"{plan.legacy} user(s) with a legacy or other-cost hash: upgraded at their next login")
