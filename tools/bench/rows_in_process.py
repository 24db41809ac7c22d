"""make bench's rows about the function in this process: login over bcrypt, refusal timing, channels, the
token endpoint's own CPU, AWS calls per route."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import bcrypt

from livekit_auth.routes import LOGIN, LOGOUT, REFRESH
from tools.bench.http_timing import PRODUCTION_BCRYPT_ROUNDS
from tools.bench.in_process import CallMeter, InProcess
from tools.bench.sampling import (
    CALL_DELAY_SECONDS,
    CHEAP_ROUNDS,
    MANY_CHANNELS,
    PASSWORD,
    SAMPLES,
    Row,
    alone,
    compared,
    interleaved,
    ms,
)


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
    function.at_cost(PRODUCTION_BCRYPT_ROUNDS)

    def refused(username: str) -> Callable[[], Any]:
        return lambda: function.call(LOGIN, {"username": username, "password": "wrong-" + PASSWORD}, 401)

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


def aws_call_rows(function: InProcess) -> list[Row]:
    function.at_cost(CHEAP_ROUNDS)
    meter = CallMeter(function.aws.clients)
    user = "one-cheap@bench.example"

    def fresh_session() -> str:
        return function.login(user, session=True)["session"]["token"]

    routes: dict[str, tuple[Callable[[], Any], Callable[[Any], Any]]] = {
        "login": (lambda: None, lambda _: function.login(user)),
        "token": (fresh_session, function.token),
        "refresh": (fresh_session, lambda token: function.call(REFRESH, {}, 200, token)),
        "logout": (fresh_session, lambda token: function.call(LOGOUT, {}, 204, token)),
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
