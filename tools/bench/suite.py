"""`make bench`: is it fast? One run, one table: each cost beside its floor or its peer, measured side by side.

Each row times its subject and its reference in alternation (A, B, A, B ...), so that a noisy machine's
drift falls on both, and prints the median, the p90, the ratio to the reference and the row's goal. The
same table goes to build/bench.json (with the machine: CPU count, Python), so two runs can be compared.
`BENCH_QUICK=1` takes few samples and finishes within a minute: CI runs it to prove the benchmark still
runs; a missed goal is printed, never a failure (machines are noisy). Only a broken run exits non-zero.

In process, the function's AWS calls are answered from a recording (ReplayedAws): the login's and the
token endpoint's figures are then the function's own CPU. Rows count CPU time where they can (this process's,
or the new processes'), which other load on a shared machine barely moves. The AWS-calls rows run over
moto instead, with a delay added to every call, which turns the calls a route waits on one after another
into milliseconds.
Usage: python -m tools.bench.suite [--json PATH]
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import bcrypt

from tools import REPO_ROOT
from tools.bench.http_timing import PRODUCTION_BCRYPT_ROUNDS, percentile

QUICK = os.environ.get("BENCH_QUICK") == "1"
SAMPLES = 2 if QUICK else 25  # pairs per row, after WARMUP
COLD_SAMPLES = 2 if QUICK else 15  # new processes per side of the cold-init row
WARMUP = 1 if QUICK else 2
CHEAP_ROUNDS = 4  # the rows about channels and round trips: a cheap hash keeps bcrypt's noise out of them
MANY_CHANNELS = 30
CALL_DELAY_SECONDS = 0.15  # added to each AWS call in the round-trip rows
FUNCTION_DIR = REPO_ROOT / "functions" / "auth_client"
DEFAULT_JSON = REPO_ROOT / "build" / "bench.json"
PASSWORD = "bench-password-not-a-secret"  # noqa: S105 - the bench users' password


@dataclass
class Row:
    """One line of the table. Times are milliseconds; `ratio` is subject over reference unless `note` says."""

    name: str
    reference: str
    goal: str
    median: float | None = None
    p90: float | None = None
    reference_median: float | None = None
    reference_p90: float | None = None
    ratio: float | None = None
    met: bool | None = None  # None: the row reports a figure and has no goal
    unit: str = "ms"
    note: str = ""
    clock: str = "cpu"  # CLOCKS: what the times count


def ms(seconds: list[float]) -> tuple[float, float]:
    return statistics.median(seconds) * 1000, percentile(seconds, 0.9) * 1000


def children_cpu() -> float:
    """CPU seconds (user + system) of this process's finished children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


# What a row's times count. CPU time is what Lambda's one vCPU spends and what other load on a shared
# machine barely moves; wall time is kept where waiting is the point (HTTP, the AWS round trips).
CLOCKS: dict[str, Callable[[], float]] = {
    "cpu": time.process_time,
    "children cpu": children_cpu,
    "wall": time.perf_counter,
}


def interleaved(
    subject: Callable[[], Any],
    reference: Callable[[], Any],
    samples: int,
    warmup: int = WARMUP,
    clock: str = "cpu",
) -> tuple[list, list]:
    """Seconds of each on `clock`, alternating subject and reference (the order flips every pair), after
    `warmup` pairs."""
    now = CLOCKS[clock]
    times: tuple[list[float], list[float]] = ([], [])
    for pair in range(warmup + samples):
        order = ((0, subject), (1, reference)) if pair % 2 == 0 else ((1, reference), (0, subject))
        for side, run in order:
            started = now()
            run()
            elapsed = now() - started
            if pair >= warmup:
                times[side].append(elapsed)
    return times


def alone(subject: Callable[[], Any], samples: int) -> list[float]:
    return interleaved(subject, lambda: None, samples)[0]


def compared(name: str, reference: str, goal: str, subject: list[float], ref: list[float]) -> Row:
    row = Row(name, reference, goal)
    row.median, row.p90 = ms(subject)
    row.reference_median, row.reference_p90 = ms(ref)
    row.ratio = row.median / row.reference_median
    return row


# ---- the function in this process, over moto, then over replayed answers ------------------------------


class ReplayedAws:
    """Answers the function's AWS calls from a recording, through botocore's `before-call` hook as its Stubber
    does. Keyed by operation and table rather than queued in order like the Stubber: the function makes calls
    from threads side by side, in no fixed order. Recorded over moto once per scenario, replayed at will."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients

    @staticmethod
    def key(model: Any, params: dict[str, Any]) -> tuple[str, str]:
        tables = params.get("TableName") or ",".join(sorted(params.get("RequestItems", {})))
        return model.name, tables

    @contextlib.contextmanager
    def recording(self) -> Iterator[dict[tuple[str, str], Any]]:
        recorded: dict[tuple[str, str], Any] = {}

        def before(model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            context["bench_key"] = self.key(model, params)

        def after(http_response: Any, parsed: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
            recorded[context["bench_key"]] = (http_response, copy.deepcopy(parsed))

        with self._hooked(("before-call", before), ("after-call", after)):
            yield recorded

    @contextlib.contextmanager
    def replaying(self, recorded: dict[tuple[str, str], Any]) -> Iterator[None]:
        def answer(model: Any, params: dict[str, Any], **_: Any) -> Any:
            http_response, parsed = recorded[self.key(model, params)]
            return http_response, copy.deepcopy(parsed)

        with self._hooked(("before-call", answer)):
            yield

    @contextlib.contextmanager
    def _hooked(self, *hooks: tuple[str, Callable[..., Any]]) -> Iterator[None]:
        for client in self.clients:
            for event, hook in hooks:
                client.meta.events.register_first(event, hook, unique_id=f"bench-{event}")
        try:
            yield
        finally:
            for client in self.clients:
                for event, _ in hooks:
                    client.meta.events.unregister(event, unique_id=f"bench-{event}")


@contextlib.contextmanager
def output_discarded() -> Iterator[None]:
    """The function's log lines and metrics (file descriptor 1) go nowhere while samples run."""
    sys.stdout.flush()
    saved = os.dup(1)
    with open(os.devnull, "wb") as devnull:
        os.dup2(devnull.fileno(), 1)
        try:
            yield
        finally:
            sys.stdout.flush()
            os.dup2(saved, 1)
            os.close(saved)


class InProcess:
    """The function imported here over moto, with bench users: one channel at cost 12 and at the cheap cost,
    MANY_CHANNELS at the cheap cost."""

    def __init__(self, stack: contextlib.ExitStack) -> None:
        import boto3
        from moto import mock_aws

        from livekit_auth.config import table_names
        from livekit_auth.passwords import hash_password
        from livekit_auth.storage.records import Membership
        from livekit_authctl.storage.admin import AdminStore
        from tools.ci.cfn_template import create_tables
        from tools.local import fake_aws

        saved = dict(os.environ)
        stack.callback(lambda: (os.environ.clear(), os.environ.update(saved)))
        fake_aws.use_fake_aws()
        for name in fake_aws.INHERITED_FUNCTION_VARIABLES:
            os.environ.pop(name, None)
        stack.enter_context(mock_aws())
        tables = create_tables(boto3.client("dynamodb"), "bench")
        fake_aws.put_livekit_credentials(boto3.client("ssm"))
        os.environ.update(
            fake_aws.function_environment(tables, BCRYPT_ROUNDS=str(CHEAP_ROUNDS), LOCKOUT_THRESHOLD="100")
        )
        store = AdminStore(boto3.client("dynamodb"), table_names(tables))
        for channel_id in range(1, MANY_CHANNELS + 1):
            store.add_channel(channel_id, f"کانال {channel_id}")
        for username, rounds, channels in (
            ("one@bench.example", PRODUCTION_BCRYPT_ROUNDS, 1),
            ("one-cheap@bench.example", CHEAP_ROUNDS, 1),
            ("many-cheap@bench.example", CHEAP_ROUNDS, MANY_CHANNELS),
        ):
            store.create_user(username, hash_password(PASSWORD, rounds))
            user = store.require_user(username)
            for channel_id in range(1, channels + 1):
                store.grant(user, store.get_channel(channel_id), Membership(channel_id, f"کانال {channel_id}"))

        if str(FUNCTION_DIR) not in sys.path:
            sys.path.insert(0, str(FUNCTION_DIR))
        import app
        import services
        from livekit_auth import credentials
        from tools.local.api_gateway import LocalContext

        self.app, self.services, self.credentials, self.context = app, services, credentials, LocalContext
        self.new_container()
        self.aws = ReplayedAws([services.dynamodb, credentials.ssm_provider.client])

    def at_cost(self, rounds: int) -> None:
        """The function's BcryptRounds from now on (a new container): its dummy hash and upgrade target. A user
        hashed below it would be upgraded (rehashed and written) by every replayed login."""
        os.environ["BCRYPT_ROUNDS"] = str(rounds)
        self.new_container()

    def new_container(self) -> None:
        self.services.configured.cache_clear()
        self.services.session_service.cache_clear()
        self.credentials.ssm_provider.clear_cache()

    def call(self, resource: str, body: dict[str, Any], expected: int, bearer: str | None = None) -> dict[str, Any]:
        from tools.local.api_gateway import proxy_event

        headers = {"Content-Type": "application/json"} | ({"Authorization": f"Bearer {bearer}"} if bearer else {})
        event = proxy_event("POST", resource + "/", resource=resource, headers=headers, body=json.dumps(body))
        with output_discarded():
            result = self.app.lambda_handler(event, self.context())
        if result["statusCode"] != expected:
            raise RuntimeError(f"{resource}: expected {expected}, got {result['statusCode']}: {result.get('body')}")
        return json.loads(result["body"]) if result.get("body") else {}

    def login(self, username: str, *, session: bool = False) -> dict[str, Any]:
        from tools.local.api_gateway import LOGIN_RESOURCE

        body = {"username": username, "password": PASSWORD} | ({"session": True, "device": "bench"} if session else {})
        return self.call(LOGIN_RESOURCE, body, 200)

    def token(self, bearer: str) -> dict[str, Any]:
        from tools.local.api_gateway import TOKEN_RESOURCE

        return self.call(TOKEN_RESOURCE, {}, 201, bearer)

    def replayed(self, action: Callable[[], Any]) -> Callable[[], Any]:
        """`action` recorded once over moto (warm), then a callable that replays it without AWS."""
        action()  # warm: settings, dummy hash and secrets cached, as in a warm container
        with self.aws.recording() as recorded:
            action()

        def run() -> Any:
            with self.aws.replaying(recorded):
                return action()

        return run


def login_over_bcrypt_row(function: InProcess) -> Row:
    function.at_cost(PRODUCTION_BCRYPT_ROUNDS)
    stored = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(PRODUCTION_BCRYPT_ROUNDS))
    login = function.replayed(lambda: function.login("one@bench.example"))
    subject, ref = interleaved(login, lambda: bcrypt.checkpw(PASSWORD.encode(), stored), SAMPLES)
    row = compared(
        f"login, 1 channel, bcrypt {PRODUCTION_BCRYPT_ROUNDS}, in process",
        f"bcrypt.checkpw, cost {PRODUCTION_BCRYPT_ROUNDS}",
        "<= 1.05x",
        subject,
        ref,
    )
    row.met = row.ratio <= 1.05
    row.note = f"AWS answered from a recording; the login's own work: {row.median - row.reference_median:.1f} ms"
    return row


def refusal_timing_row(function: InProcess) -> Row:
    """An unknown username beside a wrong password (what `make bench-timing` prints in detail, over HTTP):
    a gap would tell an attacker which usernames exist."""
    from tools.local.api_gateway import LOGIN_RESOURCE

    function.at_cost(PRODUCTION_BCRYPT_ROUNDS)

    def refused(username: str) -> Callable[[], Any]:
        return lambda: function.call(LOGIN_RESOURCE, {"username": username, "password": "wrong-" + PASSWORD}, 401)

    unknown = function.replayed(refused("nobody@bench.example"))
    wrong = function.replayed(refused("one@bench.example"))
    subject, ref = interleaved(unknown, wrong, SAMPLES)
    row = compared(
        f"refused login, unknown user (bcrypt {PRODUCTION_BCRYPT_ROUNDS})",
        "refused login, wrong password",
        "0.8x to 1.25x",
        subject,
        ref,
    )
    row.met = 0.8 <= row.ratio <= 1.25
    row.note = "AWS answered from a recording"
    return row


def channels_row(function: InProcess) -> Row:
    function.at_cost(CHEAP_ROUNDS)
    many = function.replayed(lambda: function.login("many-cheap@bench.example"))
    one = function.replayed(lambda: function.login("one-cheap@bench.example"))
    subject, ref = interleaved(many, one, SAMPLES * 4)
    row = compared(
        f"login, {MANY_CHANNELS} channels (bcrypt {CHEAP_ROUNDS})",
        f"login, 1 channel (bcrypt {CHEAP_ROUNDS})",
        "<= 0.5 ms per extra channel",
        subject,
        ref,
    )
    per_channel = (row.median - row.reference_median) / (MANY_CHANNELS - 1)
    row.met = per_channel <= 0.5
    row.note = f"{per_channel:.3f} ms per extra channel; AWS answered from a recording"
    return row


def token_own_cpu_row(function: InProcess) -> Row:
    function.at_cost(CHEAP_ROUNDS)
    session = function.login("one-cheap@bench.example", session=True)["session"]["token"]
    token = function.replayed(lambda: function.token(session))
    row = Row("token endpoint, own CPU, in process", "-", "<= 5 ms")
    row.median, row.p90 = ms(alone(token, SAMPLES * 4))
    row.met = row.median <= 5
    row.note = "AWS answered from a recording"
    return row


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


# ---- AWS calls per route, over moto -------------------------------------------------------------------


class CallMeter:
    """Counts the function's AWS calls and, when asked, makes each one CALL_DELAY_SECONDS slower."""

    def __init__(self, clients: list[Any]) -> None:
        self.clients = clients
        self.calls: Counter[str] = Counter()
        self.delay = 0.0

    def _hook(self, model: Any, **_: Any) -> None:
        self.calls[model.name] += 1
        if self.delay:
            time.sleep(self.delay)

    @contextlib.contextmanager
    def metering(self, delay: float) -> Iterator[CallMeter]:
        self.calls.clear()
        self.delay = delay
        for client in self.clients:
            client.meta.events.register("before-call", self._hook, unique_id="bench-meter")
        try:
            yield self
        finally:
            for client in self.clients:
                client.meta.events.unregister("before-call", unique_id="bench-meter")


def aws_call_rows(function: InProcess) -> list[Row]:
    from tools.local.api_gateway import LOGOUT_RESOURCE, REFRESH_RESOURCE

    function.at_cost(CHEAP_ROUNDS)
    meter = CallMeter(function.aws.clients)
    user = "one-cheap@bench.example"

    def fresh_session() -> str:
        return function.login(user, session=True)["session"]["token"]

    routes: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
        "login": (lambda: None, lambda _: function.login(user)),
        "token": (fresh_session, function.token),
        "refresh": (fresh_session, lambda token: function.call(REFRESH_RESOURCE, {}, 200, token)),
        "logout": (fresh_session, lambda token: function.call(LOGOUT_RESOURCE, {}, 204, token)),
    }
    goals = {"login": 2, "token": 2}
    rows = []
    for route, (prepare, send) in routes.items():
        for temperature in ("warm", "cold"):
            elapsed = {}
            for delay in (0.0, CALL_DELAY_SECONDS):
                function.token(fresh_session())  # every cache filled, as in a warm container
                prepared = prepare()
                if temperature == "cold":
                    function.new_container()
                with meter.metering(delay):
                    started = time.perf_counter()
                    send(prepared)
                    elapsed[delay] = time.perf_counter() - started
            round_trips = round((elapsed[CALL_DELAY_SECONDS] - elapsed[0.0]) / CALL_DELAY_SECONDS)
            goal = goals.get(route)
            row = Row(
                f"AWS calls, {route}, {temperature}",
                "counted",
                f"<= {goal} round trips" if goal else "report",
                median=float(round_trips),
                unit="round trips",
                clock="wall",
                met=None if goal is None else round_trips <= goal,
                note=f"{sum(meter.calls.values())} calls: "
                + ", ".join(f"{op} {n}" for op, n in sorted(meter.calls.items())),
            )
            rows.append(row)
    return rows


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
    from tools.local.api_gateway import LOGIN_PATH, TOKEN_PATH

    stack = local_stack.start(api_port=0, emulator_port=0, bcrypt_rounds=PRODUCTION_BCRYPT_ROUNDS)
    try:
        login_url = stack.api_url
        token_url = login_url.removesuffix(LOGIN_PATH) + TOKEN_PATH
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


# ---- the table ----------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "processor": platform.machine(),
        "bcrypt": bcrypt.__version__,
        "quick": QUICK,
        "samples": SAMPLES,
    }


def figure(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return "-"
    return f"{value:.0f}" if unit == "round trips" else f"{value:.2f}"


def verdict(row: Row) -> str:
    return {True: "met", False: "MISSED", None: "-"}[row.met]


def print_table(rows: list[Row], about: dict[str, Any]) -> None:
    print(
        f"machine: {about['cpus']} CPUs, {about['implementation']} {about['python']} on {about['processor']};"
        f" bcrypt {about['bcrypt']}; {about['samples']} interleaved samples per side"
        + (" (BENCH_QUICK)" if about["quick"] else "")
    )
    header = ("row", "clock", "median", "p90", "reference", "ref med", "ref p90", "ratio", "goal", "")
    widths = (50, 12, 8, 8, 46, 8, 8, 7, 28, 6)
    line = "  ".join(
        f"{title:<{width}}" if i in (0, 1, 4, 8) else f"{title:>{width}}"
        for i, (title, width) in enumerate(zip(header, widths, strict=True))
    )
    print(line)
    print("-" * len(line))
    for row in rows:
        cells = (
            row.name,
            row.clock,
            figure(row.median, row.unit),
            figure(row.p90, row.unit),
            row.reference,
            figure(row.reference_median),
            figure(row.reference_p90),
            "-" if row.ratio is None else f"{row.ratio:.2f}x",
            row.goal,
            verdict(row),
        )
        print(
            "  ".join(
                f"{c:<{w}}" if i in (0, 1, 4, 8) else f"{c:>{w}}"
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            )
        )
        if row.note:
            print(f"    {row.note}")
    print(
        "times in ms; clock: cpu = this process's CPU time, children cpu = the new processes', wall = elapsed;"
        " round trips = AWS calls waited on one after another. MISSED is printed, never fatal."
    )


def run_all() -> list[Row]:
    """Every row, each step announced on stderr with its time (the table comes at the end)."""
    rows: list[Row] = []

    def step(title: str, measure: Callable[[], Row | list[Row]]) -> None:
        print(f"  {title} ...", end="", file=sys.stderr, flush=True)
        started = time.perf_counter()
        measured = measure()
        rows.extend(measured if isinstance(measured, list) else [measured])
        print(f" {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)

    with contextlib.ExitStack() as stack:
        step("the function in process over moto", lambda: [])
        function = InProcess(stack)
        step("login, many channels", lambda: channels_row(function))
        step("token endpoint's own CPU", lambda: token_own_cpu_row(function))
        step("AWS calls per route", lambda: aws_call_rows(function))
        step("login over bcrypt", lambda: login_over_bcrypt_row(function))
        step("refusal timing", lambda: refusal_timing_row(function))
    step("minting", minting_row)
    step("cold init", cold_init_row)
    step("local stack over HTTP", local_stack_rows)
    step("legacy PBKDF2", migration_row)
    order = (
        "login,",
        "token endpoint, own",
        "token endpoint over",
        "minting",
        "cold init",
        "AWS calls",
        "refused",
        "legacy",
    )
    return sorted(rows, key=lambda row: next(i for i, prefix in enumerate(order) if row.name.startswith(prefix)))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--json", type=Path, default=DEFAULT_JSON, help=f"where the table goes (default {DEFAULT_JSON})"
    )
    args = parser.parse_args(argv)
    about = machine()
    started = time.perf_counter()
    rows = run_all()
    about["seconds"] = round(time.perf_counter() - started, 1)
    print_table(rows, about)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=args.json.parent, delete=False, encoding="utf-8") as out:
        json.dump({"machine": about, "rows": [asdict(row) for row in rows]}, out, ensure_ascii=False, indent=2)
    os.replace(out.name, args.json)
    print(f"{len(rows)} rows in {about['seconds']} s; written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
