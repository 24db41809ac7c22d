"""What every area's commands share: the refusal, argument types, the new password, the clock and output."""

from __future__ import annotations

import argparse
import getpass
import re
import sys
import time
from collections.abc import Callable
from typing import Any

from livekit_auth.display_names import UnusableDisplayName, normalize_display_name
from livekit_auth.passwords import check_new_password, hash_password
from livekit_auth.storage.dynamo import MAX_CHANNEL_ID
from livekit_auth.usernames import MAX_USERNAME_LENGTH, normalize_username
from livekit_authctl.storage.stores import Stores

EMAIL_PATTERN = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
clock: Callable[[], float] = time.time  # the tests' to set, as the function's services' clock

Handler = Callable[[Stores, argparse.Namespace], None]


class UsageError(Exception):
    """A request authctl refuses before changing anything; the message says what to do instead."""


def command(group: Any, name: str, run: Handler, summary: str) -> argparse.ArgumentParser:
    """Add the subcommand `name` to `group` (an argparse subparsers action), run by `run(stores, args)`."""
    sub = group.add_parser(name, help=summary, description=summary, allow_abbrev=False)
    sub.set_defaults(run=run)
    return sub


# ---- argument types ----------------------------------------------------------------------------------


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


def display_name(text: str) -> str | None:
    """argparse type: the name other participants see, trimmed; blank means none (the username)."""
    try:
        return normalize_display_name(text)
    except UnusableDisplayName as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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
    """The hash of the new password, at the target's bcrypt cost (cli.main sets args.bcrypt_rounds)."""
    return hash_password(read_password(args.password_stdin), args.bcrypt_rounds)


# ---- output ------------------------------------------------------------------------------------------


def utc(moment: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(moment))


def note(message: str) -> None:
    """A remark on stderr, beside the command's output on stdout."""
    print(f"authctl: {message}", file=sys.stderr)
