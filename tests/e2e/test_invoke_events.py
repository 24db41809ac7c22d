"""`make invoke` for every file in events/, against a running local stack, gets the status make_events promises."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.support.http_stack import running_stack
from tests.support.settings import BCRYPT_ROUNDS
from tools.ci.make_events import EVENTS, EVENTS_DIR
from tools.local import invoke
from tools.local import stack as local_stack

# Several events fail a login for the demo user: a high threshold keeps their order from mattering.
SETTINGS = {"LOCKOUT_THRESHOLD": "100", "BCRYPT_ROUNDS": str(BCRYPT_ROUNDS)}


@pytest.fixture(scope="module")
def events_stack() -> Iterator[local_stack.LocalStack]:
    with running_stack(**SETTINGS) as running:
        yield running


def run_invoke(stack: local_stack.LocalStack, *events: Path) -> subprocess.CompletedProcess[str]:
    """`make invoke` in a process of its own, as it always runs: it imports the function for the stack."""
    port = str(urlsplit(stack.emulator_url).port)
    command = [sys.executable, "-m", "tools.local.invoke", "--emulator-port", port, *map(str, events)]
    return subprocess.run(  # noqa: S603 - our own module and event files
        command, capture_output=True, text=True, env={**os.environ, **SETTINGS}, timeout=120, check=False
    )


def test_every_event_gets_its_expected_status(events_stack):
    paths = sorted(EVENTS_DIR.glob("*.json"))
    assert {path.stem for path in paths} == set(EVENTS)

    completed = run_invoke(events_stack, *paths)

    assert completed.returncode == 0, completed.stderr
    results = json.loads(completed.stdout)
    statuses = {Path(path).stem: result["statusCode"] for path, result in results.items()}
    assert statuses == {name: expected for name, (expected, _) in EVENTS.items()}


def test_one_event_prints_the_functions_result(events_stack):
    completed = run_invoke(events_stack, EVENTS_DIR / "login_ok.json")

    assert completed.returncode == 0, completed.stderr
    result = json.loads(completed.stdout)
    assert result["statusCode"] == 200
    assert json.loads(result["body"])["tokens"]["1234567"]["room"] == "channel-1234567"
    assert '"message":"login attempt"' in completed.stderr  # the function's log stays off stdout


def test_invoke_says_when_no_stack_is_running(capsys):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind((local_stack.HOST, 0))
        free_port = probe.getsockname()[1]

    code = invoke.main(["--emulator-port", str(free_port), str(EVENTS_DIR / "login_ok.json")])

    assert code == 1
    assert (
        f"no local stack answers at http://127.0.0.1:{free_port}: start one with `make run`" in capsys.readouterr().err
    )


def test_invoke_names_a_missing_event_file(capsys):
    assert invoke.main(["events/no_such_event.json"]) == 1
    assert "no_such_event.json" in capsys.readouterr().err
