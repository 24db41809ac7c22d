"""The two figures behind docs/migration.md: one legacy PBKDF2 check at Django's defaults, and the import rate.

1. A login of an imported PBKDF2 user verifies PBKDF2-SHA256 at the hash's own iteration count until
   the login upgrades it. Medians of that check at Django's recent defaults, beside the bcrypt check an
   unknown username costs (the dummy hash at the default BcryptRounds).
2. `authctl import` of a Django dumpdata file into the local stack (`make run`'s emulator and tables,
   started here on free ports): users per second, each user being a user item, a channel record and
   its reads. The hashes' iteration count does not matter to the import: nothing is verified then.

Usage: python -m tools.bench.migration [--users N] [--repeats N]
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import io
import json
import os
import statistics
import tempfile
import time
from pathlib import Path

import bcrypt

from livekit_auth import legacy_hashes
from livekit_auth.config import BCRYPT_ROUNDS
from livekit_authctl import cli as authctl
from tools.local import fake_aws
from tools.local import stack as local_stack

# Django's PBKDF2PasswordHasher.iterations by release (docs/releases/<version>.txt).
DJANGO_PBKDF2_ITERATIONS = {"5.2": 1_000_000, "6.0": 1_200_000}
BENCH_PASSWORD = "benchmark-password-not-a-secret"  # noqa: S105


def django_pbkdf2(password: str, iterations: int, salt: str = "benchmarksalt0123456789") -> str:
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return f"pbkdf2_sha256${iterations}${salt}${base64.b64encode(digest).decode('ascii')}"


def median_ms(check, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        check()
        timings.append((time.perf_counter() - started) * 1000)
    return statistics.median(timings)


def legacy_check_figures(repeats: int) -> None:
    candidate = BENCH_PASSWORD.encode()
    dummy = bcrypt.hashpw(b"no user has this password", bcrypt.gensalt(BCRYPT_ROUNDS.default))
    bcrypt_ms = median_ms(lambda: bcrypt.checkpw(candidate, dummy), repeats)
    print(f"bcrypt cost {BCRYPT_ROUNDS.default} check (unknown user, upgraded user): {bcrypt_ms:8.1f} ms")
    for version, iterations in DJANGO_PBKDF2_ITERATIONS.items():
        stored = django_pbkdf2(BENCH_PASSWORD, iterations)
        pbkdf2_ms = median_ms(lambda stored=stored: legacy_hashes.verify(candidate, stored), repeats)
        print(
            f"PBKDF2-SHA256 check, {iterations:,} iterations (Django {version} default): "
            f"{pbkdf2_ms:8.1f} ms  ({pbkdf2_ms / bcrypt_ms:.1f}x the bcrypt check)"
        )


def dumpdata(users: int) -> str:
    stored = django_pbkdf2(BENCH_PASSWORD, legacy_hashes.PBKDF2_ITERATIONS.start)
    entries = [
        {
            "model": "auth.user",
            "pk": pk,
            "fields": {"username": f"user{pk}@example.com", "email": "", "password": stored, "is_active": True},
        }
        for pk in range(1, users + 1)
    ]
    return json.dumps(entries)


def import_rate(users: int) -> None:
    stack = local_stack.start(api_port=0, emulator_port=0, seed_demo=False)
    try:
        fake_aws.use_fake_aws(stack.emulator_url)
        os.environ.update(stack.tables)
        with tempfile.TemporaryDirectory() as workdir:
            path = Path(workdir) / "users.json"
            path.write_text(dumpdata(users), encoding="utf-8")
            started = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()) as summary, contextlib.redirect_stderr(io.StringIO()):
                code = authctl.main(["import", str(path)])
            seconds = time.perf_counter() - started
        if code != 0:
            raise SystemExit(f"import failed:\n{summary.getvalue()}")
        print(f"import of {users} Django users into the local stack: {seconds:.2f} s, {users / seconds:,.0f} users/s")
    finally:
        stack.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=2000, help="users in the imported file")
    parser.add_argument("--repeats", type=int, default=5, help="checks per median")
    args = parser.parse_args(argv)
    legacy_check_figures(args.repeats)
    import_rate(args.users)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
