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
import sys

from botocore.exceptions import BotoCoreError, ClientError

from livekit_auth import config
from livekit_auth.errors import AdminError, ConfigurationError, MissingTable
from livekit_auth.passwords import UnusablePassword
from livekit_authctl import channels, grants, room_access, sessions, transfer, users
from livekit_authctl.common import UsageError, email_address
from livekit_authctl.targets import CLIENT_CONFIG, open_stores


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
    sessions.add_commands(users.add_commands(commands))
    channels.add_commands(commands)
    grants.add_commands(commands)
    transfer.add_commands(commands)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unexpected = parser.parse_known_args(argv)
    if unexpected:  # not echoed: it may be a password typed where it does not belong
        parser.error(
            f"{len(unexpected)} unexpected argument(s), not shown in case one is a password; "
            "passwords are read from stdin (--password-stdin) or a prompt"
        )
    try:
        stores, settings = open_stores(args)
        args.bcrypt_rounds = config.bcrypt_rounds(settings)
        args.bcrypt_floor = config.bcrypt_floor(settings)
        args.session_idle_seconds = config.session_idle_seconds(settings)
        args.livekit = room_access.Target(settings, room_access.ssm_client(args, CLIENT_CONFIG))
        if "email" in args:
            args.email = email_address(args.email)
        args.run(stores, args)
    except MissingTable as error:
        tables = ", ".join(vars(stores.tables).values())
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
