"""`authctl grant` and `authctl revoke`: who may join which channel, and what they may do there."""

from __future__ import annotations

import argparse
from typing import Any

from livekit_auth.errors import UnknownChannel
from livekit_auth.storage.records import Membership
from livekit_authctl import room_access
from livekit_authctl.common import channel_id, command
from livekit_authctl.storage.stores import Stores


def add_commands(commands: Any) -> None:
    grant = command(commands, "grant", grant_channel, "let a user join a channel (or change what they may do)")
    grant.add_argument("email", metavar="EMAIL")
    grant.add_argument("channel_id", metavar="CHANNEL_ID", type=channel_id)
    grant.add_argument("--no-publish", action="store_true", help="may not publish audio or video")
    grant.add_argument("--no-subscribe", action="store_true", help="may not receive others' tracks")
    grant.add_argument("--no-data", action="store_true", help="may not send data messages")
    revoke = command(commands, "revoke", revoke_channel, "remove a user's access to a channel")
    revoke.add_argument("email", metavar="EMAIL")
    revoke.add_argument("channel_id", metavar="CHANNEL_ID", type=channel_id)


def grant_channel(stores: Stores, args: argparse.Namespace) -> None:
    store = stores.admin
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
    room_access.grant_changed(stores, args, user.user_id, membership)


def revoke_channel(stores: Stores, args: argparse.Namespace) -> None:
    user = stores.admin.require_user(args.email)
    stores.admin.revoke(user, args.channel_id)
    print(f"revoked {args.email} from channel {args.channel_id}")
    room_access.grant_revoked(stores, args, user.user_id, args.channel_id)


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
