"""make bench's rows in other processes or against peers: minting beside livekit-api, the cold init beside
bare boto3, the token endpoint over the local stack, a legacy PBKDF2 check."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta

import bcrypt

from livekit_auth.routes import LOGIN, TOKEN
from tools import REPO_ROOT
from tools.bench.http_timing import PRODUCTION_BCRYPT_ROUNDS
from tools.bench.sampling import (
    COLD_SAMPLES,
    FUNCTION_DIR,
    PASSWORD,
    QUICK,
    SAMPLES,
    Row,
    compared,
    interleaved,
)


def minting_row() -> Row:
    from livekit import api

    from livekit_auth.tokens import LiveKitCredentials, VideoGrant, mint_token

    key, secret, ttl = "APIbench", "bench-secret-that-is-at-least-32-bytes", 600
    credentials = LiveKitCredentials(api_key=key, api_secret=secret)

    def ours() -> str:
        grant = VideoGrant(room="channel-1")
        return mint_token(
            credentials=credentials,
            identity="user-1",
            display_name="کاربر",
            grant=grant,
            issued_at=int(time.time()),
            ttl_seconds=ttl,
        )

    def theirs() -> str:
        grants = api.VideoGrants(
            room_join=True, room="channel-1", can_publish=True, can_subscribe=True, can_publish_data=True
        )
        access = api.AccessToken(key, secret).with_identity("user-1").with_name("کاربر").with_grants(grants)
        return access.with_ttl(timedelta(seconds=ttl)).to_jwt()

    subject, ref = interleaved(lambda: [ours() for _ in range(20)], lambda: [theirs() for _ in range(20)], SAMPLES)
    row = compared(
        "minting one token (x20 per sample)", "livekit-api AccessToken().to_jwt()", ">= 2.5x faster", subject, ref
    )
    row.ratio = row.reference_median / row.median
    row.met = row.ratio >= 2.5
    row.note = "ratio is reference / subject (how many times faster)"
    return row


# ---- new processes and the local stack -------------------------------------------------------------


def cold_init_row() -> Row:
    from tools.local import fake_aws

    environment = {
        **os.environ,
        **fake_aws.fake_aws_environment(),
        "PYTHONPATH": os.pathsep.join(str(REPO_ROOT / part) for part in ("layers/common", "functions/auth_client")),
    }
    handler = "import app"  # services builds the DynamoDB client, credentials the SSM one
    reference = (
        "import boto3; from botocore.config import Config; c = Config(connect_timeout=0.5, read_timeout=1.0);"
        " boto3.client('dynamodb', config=c); boto3.client('ssm', config=c)"
    )

    def start(script: str) -> Callable[[], None]:
        def run() -> None:
            subprocess.run([sys.executable, "-c", script], cwd=FUNCTION_DIR, env=environment, check=True)

        return run

    subject, ref = interleaved(start(handler), start(reference), COLD_SAMPLES, warmup=1, clock="children cpu")
    row = compared(
        "cold init: new process, import app (+ its clients)",
        "new process: import boto3, DynamoDB + SSM clients",
        "<= 1.2x",
        subject,
        ref,
    )
    row.met = row.ratio <= 1.2
    row.clock = "children cpu"
    return row


def local_stack_rows() -> list[Row]:
    """The token endpoint beside the password login over HTTP (what `make bench-token` prints in detail)."""
    from tools.bench.http_timing import post
    from tools.local import demo_data
    from tools.local import stack as local_stack

    stack = local_stack.start(api_port=0, emulator_port=0, bcrypt_rounds=PRODUCTION_BCRYPT_ROUNDS)
    try:
        login_url = stack.api_url
        token_url = login_url.removesuffix(LOGIN.public_path) + TOKEN.public_path
        credentials = {"username": demo_data.DEMO.username, "password": demo_data.DEMO_PASSWORD}
        status, body, _ = post(login_url, {**credentials, "session": True, "device": "bench"})
        if status != 200:
            raise RuntimeError(f"opening a session over HTTP: expected 200, got {status}")
        bearer = {"Authorization": f"Bearer {body['session']['token']}"}

        def expecting(expected: int, send: Callable[[], tuple[int, object, float]]) -> Callable[[], None]:
            def run() -> None:
                status = send()[0]
                if status != expected:
                    raise RuntimeError(f"over HTTP: expected {expected}, got {status}")

            return run

        token, login = interleaved(
            expecting(201, lambda: post(token_url, {}, bearer)),
            expecting(200, lambda: post(login_url, credentials)),
            SAMPLES,
            clock="wall",
        )
    finally:
        stack.stop()
    row = compared(
        "token endpoint over the local stack (HTTP)",
        f"password login over HTTP, bcrypt {PRODUCTION_BCRYPT_ROUNDS}",
        "report the ratio",
        token,
        login,
    )
    row.note = f"a token costs 1/{1 / row.ratio:.1f} of a login"
    row.clock = "wall"
    return [row]


def migration_row() -> Row:
    """One legacy PBKDF2 check beside bcrypt's (what `make bench-migration` prints in detail)."""
    from livekit_auth import legacy_hashes
    from tools.bench.migration import DJANGO_PBKDF2_ITERATIONS, django_pbkdf2

    version, iterations = max(DJANGO_PBKDF2_ITERATIONS.items())
    legacy = django_pbkdf2(PASSWORD, iterations)
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(PRODUCTION_BCRYPT_ROUNDS))
    subject, ref = interleaved(
        lambda: legacy_hashes.verify(PASSWORD.encode(), legacy),
        lambda: bcrypt.checkpw(PASSWORD.encode(), stored),
        2 if QUICK else 5,
        warmup=1,
    )
    return compared(
        f"legacy PBKDF2 check, Django {version} ({iterations:,} iterations)",
        f"bcrypt.checkpw, cost {PRODUCTION_BCRYPT_ROUNDS}",
        "report (until upgraded)",
        subject,
        ref,
    )
