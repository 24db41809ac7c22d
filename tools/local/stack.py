"""`make run`: the login API on 127.0.0.1 over an in-memory AWS emulator; no Docker, no AWS account.

One process holds moto in server mode (DynamoDB and SSM) with the tables of template.yaml and the
demo data, and an HTTP server standing in for API Gateway: each request becomes the REST proxy
event the deployed function receives, and the function runs in-process. Everything lives in
memory and is gone when the process stops.

Other code runs the same process as a child with start() (the whole stack) or serve_api() (only
the API, over tables that already exist). A child, because the function binds its AWS clients
and settings when it is imported, as a Lambda container does: a fresh process gets them right
without touching the caller's environment or its own imported copy of the function.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Mapping
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import jwt

from livekit_auth import config, tokens
from livekit_auth.routes import LOGIN, WEBHOOK
from livekit_authctl.storage.admin import AdminStore
from tools import REPO_ROOT
from tools.ci import cfn_template
from tools.local import demo_data, fake_aws, livekit_server, output
from tools.local.api_gateway import ApiGateway, LambdaHandler
from tools.local.emulator import emulator_running
from tools.local.fake_aws import DEFAULT_EMULATOR_PORT, HOST, TABLE_PREFIX, local_table_names

MODULE = "tools.local.stack"
DEFAULT_API_PORT = 3000
FUNCTION_PATH = REPO_ROOT / "functions" / "auth_client" / "app.py"

START_TIMEOUT_SECONDS = 60
STOP_TIMEOUT_SECONDS = 10


# ---- the function's environment -------------------------------------------------------------------


def function_settings(tables: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """The `make run` function's environment over `tables` ({USERS_TABLE: name, ...}): fake_aws.function_environment's
    for the local stack, then any of its names but the tables' found in `overrides` (so `LOCKOUT_THRESHOLD=20
    make run` works)."""
    settings = fake_aws.function_environment(tables, local_stack=True)
    return settings | {name: overrides[name] for name in settings.keys() - tables.keys() if name in overrides}


def load_function(environment: Mapping[str, str]) -> LambdaHandler:
    """Import functions/auth_client/app.py as a Lambda container does: its environment set first, and
    its folder (the task root) on the import path, where its own modules are found."""
    os.environ.update(environment)
    if str(FUNCTION_PATH.parent) not in sys.path:
        sys.path.insert(0, str(FUNCTION_PATH.parent))
    # Local tokens are signed with LiveKit's short development secret on purpose.
    warnings.filterwarnings("ignore", category=jwt.InsecureKeyLengthWarning)
    spec = importlib.util.spec_from_file_location("app", FUNCTION_PATH)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {FUNCTION_PATH}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    return module.lambda_handler


# ---- the emulator ----------------------------------------------------------------------------------


def fill_emulator(settings: Mapping[str, str], *, seed_demo: bool, livekit_url: str | None = None) -> None:
    """Create the template's tables (named as local_table_names() says), store the dev key pair in SSM
    and seed the demo data. With `livekit_url` (the LiveKit server `make run` starts), the pair is stored as
    that server's in the per-server map, as a deployment with several servers stores its keys."""
    dynamodb = boto3.client("dynamodb")
    tables = cfn_template.create_tables(dynamodb, TABLE_PREFIX)
    parameter = settings["LIVEKIT_CREDENTIALS_PARAMETER"]
    pair = (fake_aws.DEV_API_KEY, fake_aws.DEV_API_SECRET)
    servers = {livekit_url: pair} if livekit_url else None
    fake_aws.put_livekit_credentials(boto3.client("ssm"), parameter, *pair, servers=servers)
    if seed_demo:
        demo_data.seed(AdminStore(dynamodb, config.table_names(tables)), config.bcrypt_rounds(settings))


# ---- make run ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m " + MODULE, description=__doc__.splitlines()[0])
    parser.add_argument("--api-port", type=int, default=int(os.environ.get("API_PORT", DEFAULT_API_PORT)))
    fake_aws.add_emulator_port(parser)
    parser.add_argument("--no-demo-data", action="store_true", help="start with empty tables")
    parser.add_argument(
        "--existing-tables",
        action="store_true",
        help=f"start no emulator: serve the API over {', '.join(cfn_template.TABLE_ENV.values())} "
        "wherever boto3's standard settings point (AWS_ENDPOINT_URL, AWS_PROFILE, AWS_DEFAULT_REGION ...)",
    )
    parser.add_argument("--livekit", action="store_true", help="also run LiveKit's server (when built) and a join page")
    parser.add_argument("--livekit-port", type=int, default=int(os.environ.get("LIVEKIT_PORT", 0)) or 7880)
    parser.add_argument("--page-port", type=int, default=int(os.environ.get("PAGE_PORT", 0)))
    parser.add_argument("--ready-file", type=Path, help=argparse.SUPPRESS)  # start() waits for it
    parser.add_argument("--stop-with-parent", action="store_true", help=argparse.SUPPRESS)  # stop when stdin closes
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops as cleanly as Ctrl-C
    sys.stdout = output.WithoutMetricLines(sys.stdout)  # before the function binds its log stream
    if args.stop_with_parent:
        threading.Thread(target=_stop_at_end_of_stdin, daemon=True).start()
    try:
        with ExitStack() as running:
            keys = {fake_aws.DEV_API_KEY: fake_aws.DEV_API_SECRET}
            livekit_ports = livekit_server.make_run_ports(args.livekit_port) if args.livekit else None
            built = livekit_ports and not livekit_server.missing()
            livekit_url = livekit_server.server_url(livekit_ports) if built else None
            if args.existing_tables:
                emulator_url = os.environ.get("AWS_ENDPOINT_URL")
                tables = tables_from_environment()
                settings = function_settings(tables, os.environ)
            else:
                emulator_url = running.enter_context(emulator_running(args.emulator_port))
                fake_aws.use_fake_aws(emulator_url)
                tables = local_table_names()
                settings = function_settings(tables, os.environ)
                fill_emulator(settings, seed_demo=not args.no_demo_data, livekit_url=livekit_url)
            if livekit_url:
                settings["LIVEKIT_SERVER_URL"] = livekit_url
            api = running.enter_context(ApiGateway(HOST, args.api_port, load_function(settings), settings=settings))
            room = (
                running.enter_context(
                    livekit_server.for_make_run(keys, livekit_ports, args.page_port, api.url + WEBHOOK.public_path)
                )
                if livekit_ports
                else None
            )
            api_url = api.url + LOGIN.public_path
            in_memory = not args.existing_tables
            output.print_banner(
                api_url, emulator_url, tables, in_memory=in_memory, demo=in_memory and not args.no_demo_data
            )
            if room:
                channel = tokens.room_name(demo_data.PUBLIC_CHANNEL[0])
                output.say(
                    livekit_server.how_to_join(room, api.url, demo_data.DEMO.username, demo_data.DEMO_PASSWORD, channel)
                )
            if args.ready_file:
                ready = {"api_url": api_url, "emulator_url": emulator_url, "tables": tables}
                _write_atomically(args.ready_file, ready)
            api.serve_forever()
    except KeyboardInterrupt:
        output.say("stopped")
    return 0


def tables_from_environment() -> dict[str, str]:
    tables = {variable: os.environ.get(variable, "") for variable in cfn_template.TABLE_ENV.values()}
    if not all(tables.values()):
        sys.exit(f"--existing-tables needs {', '.join(tables)} in the environment")
    return tables


def _stop_at_end_of_stdin() -> None:
    sys.stdin.read()
    os.kill(os.getpid(), signal.SIGTERM)


def _write_atomically(path: Path, document: dict[str, Any]) -> None:
    partial = path.with_suffix(".partial")
    partial.write_text(json.dumps(document), encoding="utf-8")
    partial.replace(path)


# ---- the same process, started by other code ---------------------------------------------------------


@dataclass
class LocalStack:
    """A running local stack (start) or API (serve_api) in a child process; stop() ends it."""

    api_url: str
    emulator_url: str | None  # None: the API talks to AWS itself (serve_api without an emulator)
    tables: dict[str, str]
    process: subprocess.Popen[bytes] = field(repr=False)
    log_path: Path = field(repr=False)  # the child's output: banner, request log, function log

    def stop(self) -> None:
        _end(self.process, self.log_path.parent)


def start(
    api_port: int = DEFAULT_API_PORT,
    emulator_port: int = DEFAULT_EMULATOR_PORT,
    *,
    seed_demo: bool = True,
    bcrypt_rounds: int | None = None,
    env: dict[str, str] | None = None,
    livekit_port: int | None = None,
) -> LocalStack:
    """Start emulator, tables, demo data and API, and wait until they serve. Port 0 picks a free port.

    `env` overrides function settings (BCRYPT_ROUNDS, LOCKOUT_THRESHOLD ...); `bcrypt_rounds` also
    sets the cost of the demo users' hashes. `livekit_port`: `make run --livekit` (the server on that
    port and the two after it, the join page on a free port).
    """
    settings = dict(env or {})
    if bcrypt_rounds is not None:
        settings["BCRYPT_ROUNDS"] = str(bcrypt_rounds)
    arguments = ["--api-port", str(api_port), "--emulator-port", str(emulator_port)]
    if livekit_port is not None:
        arguments += ["--livekit", "--livekit-port", str(livekit_port), "--page-port", "0"]
    return _spawn([*arguments, "--no-demo-data"] if not seed_demo else arguments, settings)


def serve_api(
    api_port: int, emulator_url: str | None, tables: Mapping[str, str], env: dict[str, str] | None = None
) -> LocalStack:
    """Serve the API over tables that already exist: in an emulator at `emulator_url`, or in AWS when None.

    `tables` is {USERS_TABLE: name, CHANNELS_TABLE: ..., ATTEMPTS_TABLE: ...}; `env` overrides function
    settings and AWS settings (e.g. AWS_DEFAULT_REGION, where the emulator holds the tables).
    """
    settings = fake_aws.fake_aws_environment(emulator_url) if emulator_url else {}
    return _spawn(["--api-port", str(api_port), "--existing-tables"], settings | dict(tables) | dict(env or {}))


def _spawn(arguments: list[str], env: Mapping[str, str]) -> LocalStack:
    workdir = Path(tempfile.mkdtemp(prefix="local-stack-"))
    ready_file, log_path = workdir / "ready.json", workdir / "output.log"
    command = [sys.executable, "-u", "-m", MODULE, *arguments, "--ready-file", str(ready_file), "--stop-with-parent"]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **env}
        )
    deadline = time.monotonic() + START_TIMEOUT_SECONDS
    while not ready_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            output = log_path.read_text(encoding="utf-8", errors="replace")
            _end(process, workdir)
            raise RuntimeError(f"the local stack did not start:\n{output[-4000:]}")
        time.sleep(0.05)
    ready = json.loads(ready_file.read_text(encoding="utf-8"))
    return LocalStack(ready["api_url"], ready["emulator_url"], ready["tables"], process, log_path)


def _end(process: subprocess.Popen[bytes], workdir: Path) -> None:
    """SIGTERM (the child stops its servers), a kill if that hangs, then remove its files."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stdin:
        process.stdin.close()
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
