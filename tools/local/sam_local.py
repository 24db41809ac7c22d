"""`make sam-invoke EVENT=events/<file>.json`: the built arm64 function in a Lambda container, through the real
`sam local start-lambda`, against the running `make run` stack.

What it puts together (each piece in its own module):
- a Docker daemon and arm64 emulation (docker_host: started or registered when missing and we can);
- the python3.13 arm64 base image: the official one when Docker has it, or when no stand-in can be built here
  (Docker Desktop: SAM pulls it); else base_image's cached stand-in built from Debian, passed to SAM with
  --invoke-image and --skip-pull-image (no registry is contacted);
- the network: containers sit on Docker's default bridge and cannot reach the emulator on 127.0.0.1, so a
  relay listens on the bridge's gateway address (the host's own address on that bridge) for the duration and
  forwards to the emulator; the template's local-only parameter LocalEndpointUrl points the function there
  (and, through condition LocalInvoke, sets LOCAL_MODE and the local timeout);
- the function's environment: an env-vars file written from stack.function_settings(), the settings
  `make run` gives its in-process function (same tables, LiveKit parameter, overrides from this environment);
- fake AWS credentials and region for SAM to hand the container (fake_aws), never the caller's own;
- a copy of the build with Python 3.13 bytecode (compiled_build), so a cold start under qemu compiles nothing.

`start_lambda()` starts one warm container (EAGER) and waits until its runtime emulator answers; `invoke()`
(make sam-invoke) sends it one event, the tests in tests/sam_local/ every file in events/.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools import REPO_ROOT
from tools.ci import cfn_template
from tools.local import base_image, docker_host, fake_aws
from tools.local import stack as local_stack
from tools.local.bridge_relay import BridgeRelay
from tools.local.sam_bytecode import compiled_build

FUNCTION = "AuthClientFunction"
BUILT_TEMPLATE = REPO_ROOT / ".aws-sam" / "build" / "template.yaml"
SAM = str(Path(sys.executable).parent / "sam")
OFFICIAL_IMAGE = "public.ecr.aws/lambda/python:3.13-arm64"
START_LAMBDA_SECONDS = 600  # SAM builds its emulator image on the base image first (RUN steps under qemu)
RUNTIME_READY_SECONDS = 120  # the runtime emulator (a Go binary) starting in its container, under qemu
# SAM posts the event three times within 0.35 s of starting the container; through Docker's userland proxy the
# port accepts before the runtime emulator listens inside, so under qemu the invoke can end with no answer.
NO_RESPONSE = "No response from invoke container"
INVOKE_ATTEMPTS = 3


class NotReady(Exception):
    """Something `sam local` needs is missing here; the message says what, in one line."""


# ---- the environment ---------------------------------------------------------------------------------


def function_env_vars(environ: Mapping[str, str] = os.environ) -> dict[str, dict[str, str]]:
    """SAM's --env-vars document: stack.function_settings() over the `make run` tables, the variables the
    template declares only (SAM passes no others)."""
    declared = cfn_template.load_template()["Resources"][FUNCTION]["Properties"]["Environment"]["Variables"]
    settings = local_stack.function_settings(fake_aws.local_table_names(), environ)
    return {FUNCTION: {name: value for name, value in settings.items() if name in declared}}


def sam_environment(environ: Mapping[str, str] = os.environ) -> dict[str, str]:
    """SAM's own environment: the caller's, but fake credentials and region (SAM hands them to the container)."""
    environment = dict(environ)
    fake_aws.use_fake_aws(region=fake_aws.REGION, environ=environment)
    return environment | {"SAM_CLI_TELEMETRY": "0"}


def sam_arguments(image: str, endpoint_url: str, env_vars_file: Path, template: Path = BUILT_TEMPLATE) -> list[str]:
    """What `sam local invoke` and `sam local start-lambda` share: template, image, environment, parameters."""
    arguments = ["--template", str(template), "--env-vars", str(env_vars_file), "--region", fake_aws.REGION]
    if image != OFFICIAL_IMAGE:
        arguments += ["--invoke-image", image, "--skip-pull-image"]
    return [*arguments, "--parameter-overrides", f"LocalEndpointUrl={endpoint_url}"]


# ---- putting it together -------------------------------------------------------------------------------


def build(build_dir: Path | None = None) -> Path:
    """`sam build` (python3.13 on arm64, no container) into `build_dir` (default .aws-sam/build); its template."""
    where = ["--build-dir", str(build_dir)] if build_dir else []
    command = [SAM, "build", "--region", fake_aws.REGION, *where]
    subprocess.run(command, cwd=REPO_ROOT, env=sam_environment(), check=True, capture_output=bool(build_dir))
    return (build_dir or BUILT_TEMPLATE.parent) / "template.yaml"


def prepare() -> str:
    """Docker, arm64 emulation and the base image ready, and sam on the path; the image to run the function on."""
    missing = docker_host.ready()
    if missing:
        raise NotReady(missing)
    if shutil.which(SAM) is None:
        raise NotReady(f"{SAM} is missing (make install)")
    if base_image.image_loaded(OFFICIAL_IMAGE) or not base_image.can_build():
        return OFFICIAL_IMAGE  # pulled before, or SAM pulls it (Docker Desktop: no debootstrap, a registry)
    try:
        return base_image.ensure()
    except (OSError, RuntimeError, subprocess.CalledProcessError) as error:
        raise NotReady(f"the python3.13 arm64 base image could not be built: {error}") from None


@dataclass
class LocalLambda:
    """A running `sam local start-lambda`: its Lambda API endpoint on 127.0.0.1."""

    endpoint_url: str
    log_path: Path

    def client(self) -> Any:
        from botocore.config import Config

        config = Config(read_timeout=300, connect_timeout=5, retries={"total_max_attempts": 1})
        return fake_aws.local_client("lambda", self.endpoint_url, config=config)

    def invoke(self, event: Mapping[str, Any]) -> dict[str, Any]:
        answer = self.client().invoke(FunctionName=FUNCTION, Payload=json.dumps(event).encode())
        raw = answer["Payload"].read()
        if not raw:
            log = self.log_path.read_text(encoding="utf-8", errors="replace")[-3000:]
            raise RuntimeError(f"no answer from the function (timed out?); sam local start-lambda said:\n{log}")
        payload = json.loads(raw)
        if "FunctionError" in answer or (isinstance(payload, dict) and "errorType" in payload):
            raise RuntimeError(f"the function failed: {payload}")  # SAM's start-lambda leaves the header out
        return payload


@contextlib.contextmanager
def local_environment(emulator_url: str, environ: Mapping[str, str]) -> Iterator[tuple[str, str, Path]]:
    """(image, the emulator's URL on the bridge, env-vars file) for the duration: the relay runs meanwhile."""
    image = prepare()
    emulator_port = int(emulator_url.rsplit(":", 1)[1])
    with (
        BridgeRelay(docker_host.bridge_gateway(), (fake_aws.HOST, emulator_port)) as relay,
        tempfile.TemporaryDirectory(prefix="sam-local-") as work,
    ):
        env_vars_file = Path(work) / "env.json"
        variables = function_env_vars(environ)
        variables[FUNCTION]["AWS_ENDPOINT_URL"] = relay.url  # as LocalEndpointUrl says, whatever SAM resolves
        env_vars_file.write_text(json.dumps(variables, indent=2), encoding="utf-8")
        yield image, relay.url, env_vars_file


@contextlib.contextmanager
def start_lambda(
    emulator_url: str, environ: Mapping[str, str] = os.environ, template: Path = BUILT_TEMPLATE
) -> Iterator[LocalLambda]:
    """`sam local start-lambda` of `template` (a `sam build` output, run from its compiled copy) with one warm
    container (EAGER), on a free loopback port, until the end; yielded once that container's runtime emulator
    answers (SAM's own readiness is its port, which Docker's proxy opens before the emulator listens)."""
    with local_environment(emulator_url, environ) as (image, endpoint_url, env_vars_file):
        template = compiled_build(template, image)
        with socket.socket() as probe:
            probe.bind((fake_aws.HOST, 0))
            port = probe.getsockname()[1]
        log_path = env_vars_file.parent / "start-lambda.log"
        command = [
            *(SAM, "local", "start-lambda", "--host", fake_aws.HOST, "--port", str(port)),
            *("--warm-containers", "EAGER", *sam_arguments(image, endpoint_url, env_vars_file, template)),
        ]
        before = _sam_containers()
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command, cwd=REPO_ROOT, env=sam_environment(environ), stdout=log, stderr=subprocess.STDOUT
            )
        try:
            _wait_for_port(port, process, log_path)
            _wait_for_runtime(set(_sam_containers()) - set(before), process, log_path)
            yield LocalLambda(f"http://{fake_aws.HOST}:{port}", log_path)
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_LAMBDA_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sam local start-lambda stopped:\n{log_path.read_text(errors='replace')[-4000:]}")
        with socket.socket() as probe:
            if probe.connect_ex((fake_aws.HOST, port)) == 0:
                return
        time.sleep(0.5)
    raise RuntimeError(f"sam local start-lambda did not listen within {START_LAMBDA_SECONDS} s")


def _sam_containers() -> list[str]:
    """The running containers SAM started on its emulator images (samcli/...)."""
    listed = subprocess.run(
        ["docker", "ps", "--no-trunc", "--format", "{{.ID}} {{.Image}}"], capture_output=True, text=True, check=True
    )
    return [line.split()[0] for line in listed.stdout.splitlines() if line.split()[1].startswith("samcli/")]


def _runtime_answers(container: str) -> bool:
    """Whether the runtime emulator in `container` answers HTTP on its published port (any status will do)."""
    published = subprocess.run(["docker", "port", container, "8080/tcp"], capture_output=True, text=True)
    if published.returncode or not published.stdout.strip():
        return False
    host, port = published.stdout.split()[0].rsplit(":", 1)
    return http_answers(host, int(port))


def http_answers(host: str, port: int) -> bool:
    """Whether an HTTP server answers at (host, port): Docker's proxy accepts and closes without a word while
    nothing listens behind it."""
    try:
        with socket.create_connection((host, port), timeout=5) as connection:
            connection.sendall(b"GET /ready HTTP/1.0\r\n\r\n")
            return connection.recv(16).startswith(b"HTTP/")
    except OSError:
        return False


def _wait_for_runtime(containers: set[str], process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + RUNTIME_READY_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"sam local start-lambda stopped:\n{log_path.read_text(errors='replace')[-4000:]}")
        if containers and all(_runtime_answers(container) for container in containers):
            return
        time.sleep(0.5)
    raise RuntimeError(f"the warm container's runtime emulator did not answer within {RUNTIME_READY_SECONDS} s")


def invoke(
    event_path: Path, emulator_url: str, environ: Mapping[str, str] = os.environ, template: Path = BUILT_TEMPLATE
) -> int:
    """One event file through the built function in `sam local start-lambda`'s container: the answer on stdout
    (as `sam local invoke` prints it); on failure, what SAM said.

    Not `sam local invoke`: it posts the event three times within 0.35 s of starting the container, and here
    (Docker's userland proxy, the runtime emulator starting under qemu) that raced the emulator's start and lost:
    no answer at once, or a request left hanging until the timeout (docs/sam-local.md, "Why start-lambda")."""
    if not template.exists():
        build()
    with start_lambda(emulator_url, environ, template) as function:
        started = time.monotonic()
        answer = function.invoke(json.loads(event_path.read_text(encoding="utf-8")))
        seconds = time.monotonic() - started
    print(f"sam-invoke: answered in {seconds:.1f} s (the container's first invoke: its init)", file=sys.stderr)
    print(json.dumps(answer, ensure_ascii=False))
    return 0


def main(argv: list[str] | None = None) -> int:
    from tools.local.invoke import StackNotRunning, check_stack

    parser = argparse.ArgumentParser(prog="python -m tools.local.sam_local", description=__doc__.splitlines()[0])
    fake_aws.add_emulator_port(parser)
    parser.add_argument(
        "--template", type=Path, default=BUILT_TEMPLATE, help="a `sam build` output (default: .aws-sam/build)"
    )
    parser.add_argument("event", type=Path, metavar="EVENT", help="an API Gateway event file (events/login_ok.json)")
    args = parser.parse_args(argv)
    emulator_url = fake_aws.local_emulator_url(args.emulator_port)
    try:
        if not args.event.is_file():
            raise FileNotFoundError(f"no event file {args.event}")
        check_stack(emulator_url)
        return invoke(args.event, emulator_url, template=args.template)
    except (OSError, NotReady, StackNotRunning, RuntimeError, subprocess.CalledProcessError) as error:
        print(f"sam-invoke: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
