"""`authctl user sessions` and `authctl user logout`: a user's open sessions, and ending them all."""

from __future__ import annotations

import argparse
from typing import Any

from livekit_auth.sessions import session_ends_at
from livekit_authctl import common, room_access
from livekit_authctl.common import command, utc
from livekit_authctl.storage.stores import Stores


def add_commands(users: Any) -> None:
    """Register the session actions under `user` (users.add_commands' subparsers)."""
    command(
        users, "sessions", list_sessions, "the user's open sessions: device, created, last used, expires"
    ).add_argument("email", metavar="EMAIL")
    command(users, "logout", log_out_user, "end every session of the user at once").add_argument(
        "email", metavar="EMAIL"
    )


def list_sessions(stores: Stores, args: argparse.Namespace) -> None:
    """The sessions the token endpoint still accepts (not revoked, neither expired nor idle past the target's
    limit, cli.main sets args.session_idle_seconds), each expiring when it ends unless used again."""
    user = stores.admin.require_user(args.email)
    now = common.clock()
    sessions = [
        (session, session_ends_at(session, args.session_idle_seconds))
        for session in stores.sessions.sessions_of(user.user_id)
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


def log_out_user(stores: Stores, args: argparse.Namespace) -> None:
    print(f"{args.email}: {end_sessions(stores, args.email)}")
    room_access.user_cut_off(stores, args, stores.admin.require_user(args.email).user_id)


def end_sessions(stores: Stores, username: str) -> str:
    """Revoke every session of the user (see SessionAdmin.revoke_all); say how many were open."""
    user = stores.admin.require_user(username)
    ended = stores.sessions.revoke_all(user.username, user.user_id)
    return f"ended {ended} session(s)"
