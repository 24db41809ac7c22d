"""authctl: manage the login service's users, channels and grants.

Which tables: --local (the `make run` stack), --stack NAME (a deployed stack, from its outputs), or
USERS_TABLE, CHANNELS_TABLE, ATTEMPTS_TABLE and SESSIONS_TABLE in the environment. Credentials, region and endpoint
come from boto3's usual settings (AWS_PROFILE, AWS_DEFAULT_REGION, AWS_ENDPOINT_URL ...).

Passwords are read from stdin (--password-stdin) or a prompt, never from the command line, where
shell history and the process list would keep them. They are hashed here, at the function's bcrypt
cost: with --stack the stack's BcryptRounds parameter, otherwise BCRYPT_ROUNDS (default 12); and
never printed. `user sessions` ends sessions at the function's idle limit the same way: the stack's
SessionIdleSeconds, otherwise SESSION_IDLE_SECONDS (default in livekit_auth.config).
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
import sys
import time
from collections.abc import Callable, Mapping
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from livekit_auth import config
from livekit_auth.display_names import UnusableDisplayName, normalize_display_name
from livekit_auth.errors import AdminError, ConfigurationError, MissingTable, UnknownChannel, UserExists
from livekit_auth.passwords import UnusablePassword, check_new_password, hash_password
from livekit_auth.sessions import session_ends_at
from livekit_auth.storage.admin import AdminStore
from livekit_auth.storage.dynamo import MAX_CHANNEL_ID
from livekit_auth.storage.records import Membership
from livekit_auth.storage.sessions import SessionAdmin
from livekit_auth.usernames import MAX_USERNAME_LENGTH, normalize_username
from tools.admin import room_access, transfer
from tools.local import fake_aws

# The stack outputs that name the tables (template.yaml) -> the variables the function reads.
STACK_OUTPUTS = {
    "UsersTableName": "USERS_TABLE",
    "ChannelsTableName": "CHANNELS_TABLE",
    "AttemptsTableName": "ATTEMPTS_TABLE",
    "SessionsTableName": "SESSIONS_TABLE",
}
# The function's settings authctl must share, each from its stack parameter with --stack (template.yaml).
STACK_SETTINGS = (config.BCRYPT_ROUNDS, config.SESSION_IDLE)
EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
CLIENT_CONFIG = Config(connect_timeout=2, retries={"mode": "standard", "max_attempts": 3})
clock: Callable[[], float] = time.time  # the tests' to set, as the function's services' clock


class UsageError(Exception):
    """A request authctl refuses before changing anything; the message says what to do instead."""


# ---- arguments ---------------------------------------------------------------------------------------


def email_address(text: str) -> str:
    """The username as logins compare it (trimmed, lower-cased), if it is an email address."""
    username = normalize_username(text)
    if len(username) > MAX_USERNAME_LENGTH or not username.isprintable() or not EMAIL_PATTERN.fullmatch(username):
        raise UsageError(f"not an email address: {text!r}")
    return username


def channel_id(text: str) -> int:
    """argparse type: a channel id as the guide uses them, a positive whole number (ASCII digits only)."""
    if not re.fullmatch(r"[0-9]+", text) or not 1 <= int(text) <= MAX_CHANNEL_ID:
        raise argparse.ArgumentTypeError(f"a channel id is a whole number from 1 to {MAX_CHANNEL_ID}, not {text!r}")
    return int(text)


def channel_name(text: str) -> str:
    """argparse type: the name members see, trimmed; not blank."""
    name = text.strip()
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        raise argparse.ArgumentTypeError("the channel name is not valid Unicode text") from None
    if not name:
        raise argparse.ArgumentTypeError("the channel name is empty")
    return name


def display_name(text: str) -> str | None:
    """argparse type: the name other participants see, trimmed; blank means none (the username)."""
    try:
        return normalize_display_name(text)
    except UnusableDisplayName as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authctl",
        description=__doc__.split("\n\n")[0].removeprefix("authctl: "),
        epilog="Exit status: 0 done, 1 refused or failed, 2 bad command line.",
        allow_abbrev=False,  # `--password=...` must not pass for --password-stdin
    )
    target = parser.add_mutually_exclusive_group()
    target.add_argument("--local", action="store_true", help="the `make run` stack (emulator on $EMULATOR_PORT)")
    target.add_argument("--stack", metavar="NAME", help="the tables of this deployed CloudFormation stack")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(group: Any, name: str, run: Callable[[AdminStore, argparse.Namespace], None], summary: str) -> Any:
        sub = group.add_parser(name, help=summary, description=summary, allow_abbrev=False)
        sub.set_defaults(run=run)
        return sub

    users = commands.add_parser("user", help="add, change and inspect users").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    add = command(users, "add", add_user, "add a user (with no channel yet) and print its user_id")
    add.add_argument("email", metavar="EMAIL")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    add.add_argument("--inactive", action="store_true", help="create the account disabled")
    add.add_argument("--name", type=display_name, help="the name other participants see (default: the email)")
    rename = command(users, "rename", rename_user, "set the name other participants see; '' for the email again")
    rename.add_argument("email", metavar="EMAIL")
    rename.add_argument("name", metavar="NAME", type=display_name)
    command(
        users, "disable", disable_user, "refuse the user's logins (403) until enabled; end their sessions"
    ).add_argument("email", metavar="EMAIL")
    command(users, "enable", enable_user, "allow the user's logins again").add_argument("email", metavar="EMAIL")
    passwd = command(users, "passwd", change_password, "set a new password (lift a lockout, end the sessions)")
    passwd.add_argument("email", metavar="EMAIL")
    passwd.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    command(users, "show", show_user, "the user's state and channels (never the hash)").add_argument(
        "email", metavar="EMAIL"
    )
    listing = command(users, "list", list_users, "every user: username, active or inactive, user_id")
    listing.add_argument("--legacy", action="store_true", help="only users whose password hash is not yet upgraded")
    command(
        users, "sessions", list_sessions, "the user's open sessions: device, created, last used, expires"
    ).add_argument("email", metavar="EMAIL")
    command(users, "logout", log_out_user, "end every session of the user at once").add_argument(
        "email", metavar="EMAIL"
    )

    channels = commands.add_parser("channel", help="add, rename and list channels").add_subparsers(
        dest="action", required=True, metavar="ACTION"
    )
    for name, run, summary in (
        ("add", add_channel, "add a channel"),
        ("rename", rename_channel, "rename a channel, as every member's login shows it"),
    ):
        sub = command(channels, name, run, summary)
        sub.add_argument("channel_id", metavar="ID", type=channel_id)
        sub.add_argument("name", metavar="NAME", type=channel_name)
    command(channels, "list", list_channels, "every channel: id and name")

    grant = command(commands, "grant", grant_channel, "let a user join a channel (or change what they may do)")
    grant.add_argument("email", metavar="EMAIL")
    grant.add_argument("channel_id", metavar="CHANNEL_ID", type=channel_id)
    grant.add_argument("--no-publish", action="store_true", help="may not publish audio or video")
    grant.add_argument("--no-subscribe", action="store_true", help="may not receive others' tracks")
    grant.add_argument("--no-data", action="store_true", help="may not send data messages")
    revoke = command(commands, "revoke", revoke_channel, "remove a user's access to a channel")
    revoke.add_argument("email", metavar="EMAIL")
    revoke.add_argument("channel_id", metavar="CHANNEL_ID", type=channel_id)
    transfer.add_commands(commands, command, email_address)  # export, import (tools/admin/transfer.py)
    return parser


# ---- which tables ------------------------------------------------------------------------------------


def open_store(args: argparse.Namespace) -> tuple[AdminStore, Mapping[str, str]]:
    """The store of the target tables, and the target function's settings (STACK_SETTINGS) as its environment."""
    if args.local:
        client = fake_aws.local_client("dynamodb", config=CLIENT_CONFIG)
        settings = {**os.environ, **room_access.local_stack_settings(), "LOCAL_MODE": "true"}  # as `make run` runs
        return AdminStore(client, config.table_names(fake_aws.local_table_names())), settings
    if args.stack:
        tables, settings = stack_settings(args.stack)
    else:
        tables, settings = config.table_names(), os.environ
    if not all((tables.users, tables.channels, tables.attempts, tables.sessions)):
        raise UsageError(
            "which tables? Use --local, --stack NAME, or set USERS_TABLE, CHANNELS_TABLE, ATTEMPTS_TABLE and "
            "SESSIONS_TABLE"
        )
    return AdminStore(boto3.client("dynamodb", config=CLIENT_CONFIG), tables), settings


def stack_settings(stack_name: str) -> tuple[config.TableNames, dict[str, str]]:
    """The table names a deployed stack reports in its outputs, and the STACK_SETTINGS its parameters give
    the function, as {variable: value}."""
    cloudformation = boto3.client("cloudformation", config=CLIENT_CONFIG)
    try:
        stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    except ClientError as error:
        if error.response["Error"]["Code"] == "ValidationError":  # CloudFormation's answer for an unknown stack
            raise UsageError(f"no stack {stack_name} in {cloudformation.meta.region_name}") from None
        raise
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    missing = [key for key in STACK_OUTPUTS if key not in outputs]
    if missing:
        raise UsageError(f"stack {stack_name} has no output {', '.join(missing)}: is it this service's stack?")
    parameters = {entry["ParameterKey"]: entry.get("ParameterValue", "") for entry in stack.get("Parameters", [])}
    missing = [setting.parameter for setting in STACK_SETTINGS if not parameters.get(setting.parameter)]
    if missing:
        raise UsageError(f"stack {stack_name} has no parameter {', '.join(missing)}: is it this service's stack?")
    tables = config.table_names({variable: outputs[key] for key, variable in STACK_OUTPUTS.items()})
    settings = {setting.variable: parameters[setting.parameter] for setting in STACK_SETTINGS}
    return tables, settings | room_access.stack_environment(parameters)


def ssm_client(args: argparse.Namespace) -> Callable[[], Any]:
    """How to build the SSM client that reads the target's LiveKit keys (only when a removal is due)."""
    if args.local:
        os.environ.setdefault("AWS_DEFAULT_REGION", fake_aws.REGION)  # the emulator's, for any client built on the way
        return lambda: fake_aws.local_client("ssm", config=CLIENT_CONFIG)
    return lambda: boto3.client("ssm", config=CLIENT_CONFIG)


# ---- passwords ---------------------------------------------------------------------------------------


def read_password(from_stdin: bool) -> str:
    """The new password, from stdin (exactly one line; its line ending dropped) or typed twice at a prompt."""
    if from_stdin:
        try:
            password = sys.stdin.read().removesuffix("\n").removesuffix("\r")
        except UnicodeDecodeError:
            raise UsageError("the password on stdin is not UTF-8 text") from None
        if "\n" in password or "\r" in password:  # not a password with a line break: a mistake
            raise UsageError("the password on stdin must be exactly one line")
    else:
        if not sys.stdin.isatty():
            raise UsageError("no terminal to ask for the password: pipe it in with --password-stdin")
        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat the password: ") != password:
            raise UsageError("the two passwords differ")
    check_new_password(password)  # UnusablePassword: too short, over passwords.MAX_PASSWORD_BYTES, or not Unicode text
    return password


def new_password_hash(args: argparse.Namespace) -> str:
    """The hash of the new password, at the target's bcrypt cost (main() sets args.bcrypt_rounds)."""
    return hash_password(read_password(args.password_stdin), args.bcrypt_rounds)


# ---- commands ----------------------------------------------------------------------------------------


def add_user(store: AdminStore, args: argparse.Namespace) -> None:
    if store.get_user(args.email) is not None:  # before asking for a password that cannot be used
        raise UserExists(f"user {args.email} already exists")
    print(store.create_user(args.email, new_password_hash(args), active=not args.inactive, display_name=args.name))


def rename_user(store: AdminStore, args: argparse.Namespace) -> None:
    store.set_display_name(args.email, args.name)
    shown = f"as {args.name}" if args.name else "by email (no display name)"
    print(f"{args.email} is shown {shown}")


def disable_user(store: AdminStore, args: argparse.Namespace) -> None:
    store.set_active(args.email, False)
    end_sessions(store, args.email)
    print(f"disabled {args.email}")
    room_access.user_cut_off(store, args, store.require_user(args.email).user_id)


def enable_user(store: AdminStore, args: argparse.Namespace) -> None:
    store.set_active(args.email, True)
    print(f"enabled {args.email}")


def change_password(store: AdminStore, args: argparse.Namespace) -> None:
    user = store.require_user(args.email)  # before asking for a password that cannot be used
    # One transaction: the hash, the lockout forgotten, the sessions revoked; then their items go.
    store.change_password(args.email, new_password_hash(args))
    SessionAdmin(store.client, store.tables).forget_sessions(user.user_id)
    print(f"changed the password of {args.email}")
    room_access.user_cut_off(store, args, user.user_id)


def show_user(store: AdminStore, args: argparse.Namespace) -> None:
    user = store.require_user(args.email)
    memberships = store.get_memberships(user.user_id)
    print(f"username: {user.username}")
    print(f"user_id:  {user.user_id}")
    print(f"name:     {user.display_name or '(none: tokens show the username)'}")
    print(f"active:   {'yes' if user.active else 'no'}")
    if memberships is None:
        print("channels: no channel record (logins get the guide's 404, user data not found)")
    elif not memberships:
        print("channels: none (logins get the guide's 403, no channels)")
    else:
        print("channels:")
        for membership in memberships:
            print(f"  {membership.channel_id}\t{membership.name}\t{permissions(membership)}")
    attempts = store.get_attempts(user.username)
    now = clock()
    if attempts and attempts.expires_at > now:
        locked = attempts.locked_until and attempts.locked_until > now
        until = f", locked until {time.strftime('%H:%M:%S', time.localtime(attempts.locked_until))}" if locked else ""
        print(f"failed logins: {attempts.attempts}{until}")


def list_sessions(store: AdminStore, args: argparse.Namespace) -> None:
    """The sessions the token endpoint still accepts (not revoked, neither expired nor idle past the target's
    limit, main() sets args.session_idle_seconds), each expiring when it ends unless used again."""
    user = store.require_user(args.email)
    now = clock()
    sessions = [
        (session, session_ends_at(session, args.session_idle_seconds))
        for session in SessionAdmin(store.client, store.tables).sessions_of(user.user_id)
        if session.generation == user.session_generation
    ]
    sessions = [(session, ends_at) for session, ends_at in sessions if ends_at > now]
    if not sessions:
        print(f"{user.username} has no open session")
        return
    print("device\tcreated\tlast used\texpires")
    for session, ends_at in sessions:
        times = "\t".join(utc(moment) for moment in (session.created_at, session.last_used_at, ends_at))
        print(f"{session.device or '-'}\t{times}")


def log_out_user(store: AdminStore, args: argparse.Namespace) -> None:
    print(f"{args.email}: {end_sessions(store, args.email)}")
    room_access.user_cut_off(store, args, store.require_user(args.email).user_id)


def end_sessions(store: AdminStore, username: str) -> str:
    """Revoke every session of the user (see SessionAdmin.revoke_all); say how many were open."""
    user = store.require_user(username)
    ended = SessionAdmin(store.client, store.tables).revoke_all(user.username, user.user_id)
    return f"ended {ended} session(s)"


def utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(moment))


def list_users(store: AdminStore, args: argparse.Namespace) -> None:
    if args.legacy:
        return transfer.list_legacy(store, args)
    for user in sorted(store.list_users(), key=lambda user: user.username):
        print(f"{user.username}\t{'active' if user.active else 'inactive'}\t{user.user_id}")


def add_channel(store: AdminStore, args: argparse.Namespace) -> None:
    store.add_channel(args.channel_id, args.name)
    print(f"added channel {args.channel_id} {args.name}")


def rename_channel(store: AdminStore, args: argparse.Namespace) -> None:
    members = store.rename_channel(args.channel_id, args.name)
    print(f"renamed channel {args.channel_id} to {args.name} for its {members} member(s)")


def list_channels(store: AdminStore, args: argparse.Namespace) -> None:
    for channel in store.list_channels():
        print(f"{channel.channel_id}\t{channel.name}")


def grant_channel(store: AdminStore, args: argparse.Namespace) -> None:
    user = store.require_user(args.email)
    channel = store.get_channel(args.channel_id)
    if channel is None:
        raise UnknownChannel(f"no channel {args.channel_id}")
    membership = Membership(
        channel.channel_id,
        channel.name,
        can_publish=not args.no_publish,
        can_subscribe=not args.no_subscribe,
        can_publish_data=not args.no_data,
    )
    store.grant(user, channel, membership)
    print(f"granted {user.username} channel {channel.channel_id} ({permissions(membership)})")
    room_access.grant_changed(store, args, user.user_id, membership)


def revoke_channel(store: AdminStore, args: argparse.Namespace) -> None:
    user = store.require_user(args.email)
    store.revoke(user, args.channel_id)
    print(f"revoked {args.email} from channel {args.channel_id}")
    room_access.grant_revoked(store, args, user.user_id, args.channel_id)


def permissions(membership: Membership) -> str:
    granted = [
        word
        for word, allowed in (
            ("publish", membership.can_publish),
            ("subscribe", membership.can_subscribe),
            ("data", membership.can_publish_data),
        )
        if allowed
    ]
    return ", ".join(granted) or "join only"


# ---- entry point -------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unexpected = parser.parse_known_args(argv)
    if unexpected:  # not echoed: it may be a password typed where it does not belong
        parser.error(
            f"{len(unexpected)} unexpected argument(s), not shown in case one is a password; "
            "passwords are read from stdin (--password-stdin) or a prompt"
        )
    try:
        store, settings = open_store(args)
        args.bcrypt_rounds = config.bcrypt_rounds(settings)
        args.session_idle_seconds = config.session_idle_seconds(settings)
        args.livekit = room_access.Target(settings, ssm_client(args))
        if "email" in args:
            args.email = email_address(args.email)
        args.run(store, args)
    except MissingTable as error:
        tables = ", ".join(vars(store.tables).values())
        return fail(f"{error}: one of the tables {tables} does not exist (check --local, --stack or *_TABLE)")
    except (
        AdminError,
        UsageError,
        UnusablePassword,
        ConfigurationError,
        transfer.TransferError,
        room_access.RemovalFailed,
    ) as error:
        return fail(str(error))
    except (BotoCoreError, ClientError) as error:
        hint = " (is `make run` running?)" if args.local else ""
        return fail(f"AWS refused or could not be reached: {error}{hint}")
    return 0


def fail(message: str) -> int:
    print(f"authctl: {message}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
