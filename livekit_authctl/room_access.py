"""authctl's side of revocation: after a command ends someone's access in the tables, take them out of
the LiveKit rooms on every configured server (livekit_auth.revocation says who loses what).

The servers and their keys are the target function's own: its LIVEKIT_SERVER_URL, ALLOWED_SERVER_URLS
and credentials parameter (with --stack, the stack's parameters; read from SSM only when a removal is
due). A server that does not answer leaves the change made: authctl names it and exits 1, and the
function's LiveKit webhook removes the participant if it rejoins.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import boto3
from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import GetParameterError

from livekit_auth import config
from livekit_auth.revocation import Revocation
from livekit_auth.room_service import RemovalReport, RoomRemoval
from livekit_auth.storage.records import Membership
from livekit_authctl import local_stack
from livekit_authctl.storage.stores import Stores

# The stack parameters that tell the function which LiveKit servers and keys (template.yaml) -> its variables.
STACK_PARAMETERS = {
    "LiveKitServerUrl": "LIVEKIT_SERVER_URL",
    "AllowedServerUrls": "ALLOWED_SERVER_URLS",
    "LiveKitCredentialsParameterName": "LIVEKIT_CREDENTIALS_PARAMETER",
    "LiveKitApiKeyParameterName": "LIVEKIT_API_KEY_PARAMETER",
    "LiveKitApiSecretParameterName": "LIVEKIT_API_SECRET_PARAMETER",
}


class RemovalFailed(Exception):
    """The change is made, but these LiveKit servers did not answer the removal."""


@dataclass
class Target:
    """The target function's LiveKit settings (as its environment) and an SSM client to read its keys with."""

    settings: Mapping[str, str]
    ssm_client: Callable[[], Any]

    def revocation(self, stores: Stores) -> Revocation:
        # Here, not at the top: the function's module builds its own SSM client on import, which needs a
        # region, and most commands never read a key.
        from livekit_auth.credentials import server_keys

        settings = config.load_settings(self.settings)
        try:
            keys = server_keys(settings, SSMProvider(boto3_client=self.ssm_client()))
        except GetParameterError as error:  # names the parameter, never a value
            raise RemovalFailed(f"the change is made, but the LiveKit keys could not be read: {error}") from None
        return Revocation(RoomRemoval(keys, local_mode=settings.local_mode), stores.admin)


def local_stack_settings() -> dict[str, str]:
    """The `make run` function's LiveKit variables: this environment's, else the local stack's defaults (as
    `make run` sets them)."""
    defaults = {
        "LIVEKIT_SERVER_URL": local_stack.LIVEKIT_SERVER_URL,
        "LIVEKIT_CREDENTIALS_PARAMETER": local_stack.LIVEKIT_CREDENTIALS_PARAMETER,
    }
    return {variable: os.environ.get(variable) or defaults.get(variable, "") for variable in STACK_PARAMETERS.values()}


def stack_environment(parameters: Mapping[str, str]) -> dict[str, str]:
    """The function's LiveKit variables from a deployed stack's parameters."""
    return {variable: parameters.get(name, "") for name, variable in STACK_PARAMETERS.items()}


def user_cut_off(stores: Stores, args: argparse.Namespace, user_id: str) -> None:
    _report(_revocation(stores, args).user_cut_off(user_id))


def grant_revoked(stores: Stores, args: argparse.Namespace, user_id: str, channel_id: int) -> None:
    _report(_revocation(stores, args).grant_revoked(user_id, channel_id))


def grant_changed(stores: Stores, args: argparse.Namespace, user_id: str, membership: Membership) -> None:
    if membership.can_publish:  # a grant that keeps publishing changes nobody in the room: no key is read
        return
    _report(_revocation(stores, args).grant_changed(user_id, membership))


def ssm_client(args: argparse.Namespace, client_config: Any) -> Callable[[], Any]:
    """How to build the SSM client that reads the target's LiveKit keys (only when a removal is due)."""
    if args.local:
        os.environ.setdefault("AWS_DEFAULT_REGION", local_stack.REGION)  # the emulator's, for any client built
        return lambda: local_stack.local_client("ssm", config=client_config)
    return lambda: boto3.client("ssm", config=client_config)


def _revocation(stores: Stores, args: argparse.Namespace) -> Revocation:
    return args.livekit.revocation(stores)  # cli.main sets args.livekit (a Target)


def _report(report: RemovalReport) -> None:
    if report.removed or report.restricted:
        print(f"LiveKit: removed {report.removed}, restricted {report.restricted} participant(s)")
    for url in report.skipped_servers:
        print(f"LiveKit: {url} not contacted (a local run reaches servers on this machine only)", file=sys.stderr)
    if report.failed_servers:
        raise RemovalFailed(
            "the change is made, but these LiveKit servers did not answer the removal: "
            + ", ".join(report.failed_servers)
            + " (their webhook removes the participant if it rejoins; run the command again to retry)"
        )
