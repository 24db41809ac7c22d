"""`authctl channel ...`: add, rename and list channels."""

from __future__ import annotations

import argparse
from typing import Any

from livekit_authctl.common import channel_id, command
from livekit_authctl.storage.stores import Stores


def add_commands(commands: Any) -> None:
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


def add_channel(stores: Stores, args: argparse.Namespace) -> None:
    stores.admin.add_channel(args.channel_id, args.name)
    print(f"added channel {args.channel_id} {args.name}")


def rename_channel(stores: Stores, args: argparse.Namespace) -> None:
    members = stores.admin.rename_channel(args.channel_id, args.name)
    print(f"renamed channel {args.channel_id} to {args.name} for its {members} member(s)")


def list_channels(stores: Stores, args: argparse.Namespace) -> None:
    for channel in stores.admin.list_channels():
        print(f"{channel.channel_id}\t{channel.name}")
