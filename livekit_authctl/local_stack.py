"""Where `authctl --local` finds the `make run` stack: the emulator's address, fake credentials, table names.

Standard-library only at import (boto3 is imported where a client is built): the tests' fake AWS plugin
(tools/local/fake_aws.py, which takes these facts from here) loads it before boto3 may be imported.
"""

from __future__ import annotations

import os
from typing import Any

REGION = "eu-west-1"
# Credentials the emulator accepts; real ones must never be used with it.
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
HOST = "127.0.0.1"
DEFAULT_EMULATOR_PORT = 5000
# Fixed, so that `make invoke` and `authctl --local` find the running stack's tables and data.
TABLE_PREFIX = "local"
# The `make run` function's LiveKit server (`livekit-server --dev`'s address; LIVEKIT_SERVER_URL overrides it
# for both) and where the emulator keeps its key pair: tools/local/stack.py starts the function with these.
LIVEKIT_SERVER_URL = "ws://localhost:7880"
LIVEKIT_CREDENTIALS_PARAMETER = "/livekit-auth/local/livekit-credentials"
# template.yaml's tables (logical ids) and the variables that name them to the function and to authctl.
TABLE_ENV = {
    "UsersTable": "USERS_TABLE",
    "ChannelsTable": "CHANNELS_TABLE",
    "AttemptsTable": "ATTEMPTS_TABLE",
    "SessionsTable": "SESSIONS_TABLE",
}


def local_table_names() -> dict[str, str]:
    """{USERS_TABLE: name, ...} of the local stack; cfn_template.create_tables names them <prefix>-<LogicalId>."""
    return {env_var: f"{TABLE_PREFIX}-{logical_id}" for logical_id, env_var in TABLE_ENV.items()}


def local_emulator_url(port: int | None = None) -> str:
    """The URL of the `make run` emulator: on `port`, else $EMULATOR_PORT, else the default port."""
    if port is None:
        port = int(os.environ.get("EMULATOR_PORT", DEFAULT_EMULATOR_PORT))
    return f"http://{HOST}:{port}"


def local_client(service: str, url: str | None = None, **options: Any) -> Any:
    """A boto3 client of the running `make run` emulator (at `url`, else local_emulator_url()), whatever the
    caller's own AWS settings are; `options` go to boto3.client (e.g. config=...)."""
    import boto3  # here, not at the top: see the docstring

    return boto3.client(
        service,
        endpoint_url=url or local_emulator_url(),
        region_name=REGION,
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        **options,
    )
