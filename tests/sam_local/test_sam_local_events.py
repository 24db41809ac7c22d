"""Every file in events/ through the real `sam local` and the arm64 build, against a running local stack.

The function `sam build` makes (its layer with the aarch64 bcrypt) runs in a Lambda container on a python3.13
arm64 image: under qemu on x86_64 machines. One `sam local start-lambda` per run (one warm container; an invoke
per event would start a container per event, about half a minute each under qemu), fed every event in the
order `make invoke` takes them. Each answer must have the status make_events' table promises, and the body and
headers of the same shape as `make invoke`'s answer to the same event on a fresh stack of its own.
`make sam-invoke` itself (its own start-lambda, one cold container) runs the guide's login once.

Where Docker or arm64 emulation is missing, the tier skips with one line saying what; under CI it fails.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.missing_tools import require
from tests.support.settings import BCRYPT_ROUNDS
from tools.ci.make_events import EVENTS, EVENTS_DIR
from tools.local import sam_local
from tools.local import stack as local_stack

# As tests/e2e/test_invoke_events.py: several events fail a login for the demo user, so no lockout in between.
SETTINGS = {"LOCKOUT_THRESHOLD": "100", "BCRYPT_ROUNDS": str(BCRYPT_ROUNDS)}
EVENT_PATHS = sorted(EVENTS_DIR.glob("*.json"))


@pytest.fixture(scope="module")
def sam_ready() -> None:
    """Docker, qemu and the base image ready (brought up or built where we can), else skip (fail under CI)."""
    try:
        sam_local.prepare()
    except sam_local.NotReady as missing:
        require(f"sam local cannot run here: {missing}")


@pytest.fixture(scope="module")
def built_template(sam_ready, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return sam_local.build(tmp_path_factory.mktemp("sam-build"))


def fresh_stack() -> local_stack.LocalStack:
    return local_stack.start(0, 0, bcrypt_rounds=BCRYPT_ROUNDS, env=SETTINGS)


@pytest.fixture(scope="module")
def events_stack(sam_ready) -> Iterator[local_stack.LocalStack]:
    running = fresh_stack()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def make_invoke_answers() -> dict[str, dict[str, Any]]:
    """`make invoke`'s answer to every event, on a stack of its own (the events change sessions and attempts)."""
    running = fresh_stack()
    try:
        port = str(urlsplit(running.emulator_url).port)
        command = [sys.executable, "-m", "tools.local.invoke", "--emulator-port", port, *map(str, EVENT_PATHS)]
        completed = subprocess.run(  # noqa: S603 - our own module and event files
            command, capture_output=True, text=True, env={**os.environ, **SETTINGS}, timeout=300, check=True
        )
    finally:
        running.stop()
    return {Path(path).stem: answer for path, answer in json.loads(completed.stdout).items()}


def shape(value: Any) -> Any:
    """What a value is made of, without its contents: keys and types, all the way down."""
    if isinstance(value, dict):
        return {key: shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value]
    return type(value).__name__


def body_shape(answer: dict[str, Any]) -> Any:
    body = answer.get("body")
    return shape(json.loads(body)) if body else body


def test_every_event_gets_its_expected_answer_from_sam_local(events_stack, built_template, make_invoke_answers):
    assert {path.stem for path in EVENT_PATHS} == set(EVENTS)
    answers, seconds = {}, {}
    environ = {**os.environ, **SETTINGS}
    with sam_local.start_lambda(events_stack.emulator_url, environ, built_template) as function:
        for path in EVENT_PATHS:
            started = time.monotonic()
            answers[path.stem] = function.invoke(json.loads(path.read_text(encoding="utf-8")))
            seconds[path.stem] = time.monotonic() - started
    first, *rest = seconds.values()
    print(f"\nsam local: {len(answers)} events; first {first:.1f} s, then median {sorted(rest)[len(rest) // 2]:.2f} s")

    assert {name: answer["statusCode"] for name, answer in answers.items()} == {
        name: expected for name, (expected, _) in EVENTS.items()
    }
    assert {name: body_shape(answer) for name, answer in answers.items()} == {
        name: body_shape(answer) for name, answer in make_invoke_answers.items()
    }
    assert {name: sorted(answer.get("headers", {})) for name, answer in answers.items()} == {
        name: sorted(answer.get("headers", {})) for name, answer in make_invoke_answers.items()
    }


def test_make_sam_invoke_answers_the_guides_login_with_a_token_per_channel(events_stack, built_template):
    """The README's command (`make sam-invoke EVENT=events/login_ok.json` runs this module) on the arm64 build."""
    port = str(urlsplit(events_stack.emulator_url).port)
    command = [sys.executable, "-m", "tools.local.sam_local", "--emulator-port", port, "--template"]
    command += [str(built_template), str(EVENTS_DIR / "login_ok.json")]
    completed = subprocess.run(  # noqa: S603 - our own module and event file
        command, capture_output=True, text=True, env={**os.environ, **SETTINGS}, timeout=900, check=False
    )

    assert completed.returncode == 0, completed.stderr[-3000:]
    answer = json.loads(completed.stdout.strip().splitlines()[-1])
    assert answer["statusCode"] == 200, answer
    assert json.loads(answer["body"])["tokens"]["1234567"]["room"] == "channel-1234567"
