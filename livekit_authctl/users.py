"""`authctl user ...`: add, rename, disable, enable, passwd, show and list users (sessions: sessions.py)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from livekit_auth import legacy_hashes
from livekit_auth.errors import UserExists
from livekit_authctl import common, room_access
from livekit_authctl.common import command, display_name, new_password_hash, note
from livekit_authctl.grants import permissions
from livekit_authctl.hashes import hash_description
from livekit_authctl.sessions import end_sessions
from livekit_authctl.storage.stores import Stores


def add_commands(commands: Any) -> Any:
    """Register `user` and its actions; return its subparsers, for sessions.py's actions."""
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
    return users


def add_user(stores: Stores, args: argparse.Namespace) -> None:
    store = stores.admin
    if store.get_user(args.email) is not None:  # before asking for a password that cannot be used
        raise UserExists(f"user {args.email} already exists")
    print(store.create_user(args.email, new_password_hash(args), active=not args.inactive, display_name=args.name))


def rename_user(stores: Stores, args: argparse.Namespace) -> None:
    stores.admin.set_display_name(args.email, args.name)
    shown = f"as {args.name}" if args.name else "by email (no display name)"
    print(f"{args.email} is shown {shown}")


def disable_user(stores: Stores, args: argparse.Namespace) -> None:
    stores.admin.set_active(args.email, False)
    end_sessions(stores, args.email)
    print(f"disabled {args.email}")
    room_access.user_cut_off(stores, args, stores.admin.require_user(args.email).user_id)


def enable_user(stores: Stores, args: argparse.Namespace) -> None:
    stores.admin.set_active(args.email, True)
    print(f"enabled {args.email}")


def change_password(stores: Stores, args: argparse.Namespace) -> None:
    user = stores.admin.require_user(args.email)  # before asking for a password that cannot be used
    # One transaction: the hash, the lockout forgotten, the sessions revoked; then their items go.
    stores.admin.change_password(args.email, new_password_hash(args))
    stores.sessions.forget_sessions(user.user_id)
    print(f"changed the password of {args.email}")
    room_access.user_cut_off(stores, args, user.user_id)


def show_user(stores: Stores, args: argparse.Namespace) -> None:
    store = stores.admin
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
    now = common.clock()
    if attempts and attempts.expires_at > now:
        locked = attempts.locked_until and attempts.locked_until > now
        until = f", locked until {time.strftime('%H:%M:%S', time.localtime(attempts.locked_until))}" if locked else ""
        print(f"failed logins: {attempts.attempts}{until}")


def list_users(stores: Stores, args: argparse.Namespace) -> None:
    users = sorted(stores.admin.list_users(), key=lambda user: user.username)
    if args.legacy:
        return list_legacy(users, args.bcrypt_rounds)
    for user in users:
        print(f"{user.username}\t{'active' if user.active else 'inactive'}\t{user.user_id}")


def list_legacy(users: list, rounds: int) -> None:
    """Users whose hash is not native bcrypt at the target's cost, with its format and what happens next."""
    outdated = [user for user in users if not legacy_hashes.is_current(user.password_hash, rounds)]
    locked = [user for user in users if user.password_hash.startswith(legacy_hashes.LOCKED_PREFIX)]
    for user in outdated:
        print(f"{user.username}\t{hash_description(user.password_hash)}\tupgraded at next login")
    for user in locked:
        print(f"{user.username}\t{hash_description(user.password_hash)}\tcannot log in until `authctl user passwd`")
    note(
        f"{len(outdated)} of {len(users)} user(s) have a legacy hash (bcrypt cost {rounds} is current); "
        f"{len(locked)} cannot log in"
    )
