"""`make invoke EVENT=events/<file>.json`: what `sam local invoke` does, without Docker.

The function runs in this process, as in a fresh Lambda container, against the running `make run`
stack: its emulator holds the tables, the demo data and the LiveKit key pair. The function's own
log goes to stderr and the result to stdout: for one event the result, for several {file: result}.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from tools.local import fake_aws
from tools.local import stack as local_stack
from tools.local.events import LocalContext

# Fail fast when nothing listens: the question is only whether `make run` is up.
PROBE_CONFIG = Config(connect_timeout=1, read_timeout=5, retries={"total_max_attempts": 1})


class StackNotRunning(Exception):
    pass


def check_stack(emulator_url: str) -> None:
    """Raise StackNotRunning unless the emulator at `emulator_url` holds the local stack's tables."""
    dynamodb = fake_aws.local_client("dynamodb", emulator_url, config=PROBE_CONFIG)
    users_table = fake_aws.local_table_names()["USERS_TABLE"]
    try:
        dynamodb.describe_table(TableName=users_table)
    except ClientError as error:
        raise StackNotRunning(
            f"the emulator at {emulator_url} has no table {users_table}: is it the `make run` stack? "
            f"({error.response['Error']['Code']})"
        ) from None
    except BotoCoreError:
        raise StackNotRunning(f"no local stack answers at {emulator_url}: start one with `make run`") from None


def invoke_events(paths: list[Path], emulator_url: str) -> dict[str, dict[str, Any]]:
    """Run each event through one freshly imported function; return {path: the function's result}."""
    events = {str(path): json.loads(path.read_text(encoding="utf-8")) for path in paths}
    check_stack(emulator_url)
    fake_aws.use_fake_aws(emulator_url)
    settings = local_stack.function_settings(fake_aws.local_table_names(), os.environ)
    with redirect_stdout(sys.stderr):  # Powertools binds its log stream when the function is imported
        handler = local_stack.load_function(settings)
        return {path: handler(event, LocalContext()) for path, event in events.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.local.invoke", description=__doc__.splitlines()[0])
    fake_aws.add_emulator_port(parser)
    parser.add_argument(
        "events", nargs="+", type=Path, metavar="EVENT", help="an API Gateway event file, e.g. events/login_ok.json"
    )
    args = parser.parse_args(argv)
    try:
        results = invoke_events(args.events, fake_aws.local_emulator_url(args.emulator_port))
    except (OSError, ValueError, StackNotRunning) as error:
        print(f"invoke: {error}", file=sys.stderr)
        return 1
    document = next(iter(results.values())) if len(results) == 1 else results
    print(json.dumps(document, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
