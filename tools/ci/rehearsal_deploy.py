"""The deploy rehearsal's deploy job: an AWS emulator (the local stack's moto server), the account an operator
prepares, and `sam build` + `sam deploy --config-env default` into it, as samconfig.toml says."""

from __future__ import annotations

import logging
import os
import secrets
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from livekit_auth.tokens import LiveKitCredentials
from tools import REPO_ROOT
from tools.ci import cfn_template
from tools.local import fake_aws
from tools.local.emulator import emulator_running

ROOT = REPO_ROOT
SAM = str(Path(sys.executable).parent / "sam")
CONFIG_ENV = "default"
REGION = fake_aws.REGION
ARTIFACT_BUCKET = "livekit-auth-rehearsal-artifacts"

log = logging.getLogger("rehearsal")


class RehearsalFailed(Exception):
    """A deployed resource is not what the template and samconfig declare."""


@dataclass
class Report:
    """What the log ends with: figures, and what moto could not do."""

    started: float = field(default_factory=time.monotonic)
    build_seconds: float = 0.0
    deploy_seconds: float = 0.0
    created: dict[str, str] = field(default_factory=dict)  # logical id -> type
    not_created: dict[str, str] = field(default_factory=dict)  # logical id -> type (moto lacks it)
    skipped_by_condition: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def passed(self, check: str) -> None:
        self.checks.append(check)
        log.info("ok  %s", check)


def deploy_settings(config_env: str = CONFIG_ENV) -> dict[str, Any]:
    """samconfig.toml's deploy parameters for one environment."""
    with (ROOT / "samconfig.toml").open("rb") as handle:
        return tomllib.load(handle)[config_env]["deploy"]["parameters"]


def parameter_overrides(settings: dict[str, Any]) -> dict[str, str]:
    raw = settings.get("parameter_overrides", [])
    items = raw if isinstance(raw, list) else raw.split()
    return dict(item.split("=", 1) for item in items)


def stack_tags(settings: dict[str, Any]) -> dict[str, str]:
    """samconfig's `tags = "key=\"value\" ..."` as {key: value}."""
    return dict(item.split("=", 1) for item in shlex.split(settings.get("tags", "")))


def output_for_resource() -> dict[str, str]:
    """{logical id: the template output that names it} for outputs that are a plain !Ref (the tables, the function)."""
    outputs = cfn_template.load_template()["Outputs"]
    return {
        spec["Value"]["Ref"]: key
        for key, spec in outputs.items()
        if isinstance(spec["Value"], dict) and "Ref" in spec["Value"]
    }


# ---- the emulator -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def emulator() -> Iterator[str]:
    """The local stack's moto server on a free port; yields the endpoint URL the SAM CLI and boto3 use."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with emulator_running(free_port()) as url:
        # `localhost`, not 127.0.0.1: moto finds the bucket of a template URL only on that host name.
        yield url.replace("127.0.0.1", "localhost")


def fake_account_env(endpoint: str) -> dict[str, str]:
    """The environment for the SAM CLI and boto3: the emulator, a fixed region, throwaway credentials."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in {"USERS_TABLE", "CHANNELS_TABLE", "ATTEMPTS_TABLE"}
    }
    env.update(fake_aws.fake_aws_environment(endpoint, REGION))
    env.update(SAM_CLI_TELEMETRY="0", SAM_CLI_CONTAINER_CONNECTION_TIMEOUT="1")
    return env


# ---- the deploy ---------------------------------------------------------------------------------------


def prepare_account(overrides: dict[str, str]) -> LiveKitCredentials:
    """What an operator does once before the first deploy: the SSM SecureStrings, an artifact bucket."""
    boto3.client("s3").create_bucket(Bucket=ARTIFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    secret = LiveKitCredentials(api_key=f"APIrehearsal{secrets.token_hex(4)}", api_secret=secrets.token_urlsafe(48))
    ssm = boto3.client("ssm")
    if overrides.get("LiveKitCredentialsParameterName"):  # one SecureString with both
        fake_aws.put_livekit_credentials(
            ssm, overrides["LiveKitCredentialsParameterName"], secret.api_key, secret.api_secret
        )
    else:  # the two parameters older environments name
        ssm.put_parameter(Name=overrides["LiveKitApiKeyParameterName"], Value=secret.api_key, Type="SecureString")
        ssm.put_parameter(Name=overrides["LiveKitApiSecretParameterName"], Value=secret.api_secret, Type="SecureString")
    return secret


def run_sam(arguments: list[str], env: dict[str, str]) -> None:
    command = [SAM, *arguments]
    log.info("$ sam %s", " ".join(arguments))
    completed = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise RehearsalFailed(f"sam {arguments[0]} exited with {completed.returncode}")


def build_and_deploy(build_dir: Path, env: dict[str, str], report: Report) -> None:
    """`sam build` then `sam deploy` with samconfig.toml's default environment.

    Only the artifact bucket differs: resolve_s3 makes SAM CLI create its managed-bucket stack, which moto
    cannot (no AWS::S3::BucketPolicy, no outputs), so the rehearsal names a bucket it created itself.
    """
    started = time.monotonic()
    config = ["--config-file", str(ROOT / "samconfig.toml"), "--config-env", CONFIG_ENV]
    run_sam(["build", *config, "--region", REGION, "--build-dir", str(build_dir)], env)
    report.build_seconds = time.monotonic() - started
    started = time.monotonic()
    run_sam(
        [
            "deploy",
            *config,
            "--template-file",
            str(build_dir / "template.yaml"),
            "--region",
            REGION,
            "--no-resolve-s3",
            "--s3-bucket",
            ARTIFACT_BUCKET,
            "--no-confirm-changeset",
            "--no-fail-on-empty-changeset",
            "--no-progressbar",
        ],
        env,
    )
    report.deploy_seconds = time.monotonic() - started
