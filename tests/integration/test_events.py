"""Every file in events/ runs through the handler with its expected status, and matches its generator."""

import json
from pathlib import Path

import boto3
import pytest

from tests.support.handler import call_handler
from tools.ci.make_events import EVENTS, EVENTS_DIR, WEBHOOK_PAIR, event_file_text
from tools.local.fake_aws import CREDENTIALS_PARAMETER

EVENT_FILES = sorted(EVENTS_DIR.glob("*.json"))


def test_events_directory_holds_exactly_the_generated_events():
    assert {path.stem for path in EVENT_FILES} == set(EVENTS)
    for path in EVENT_FILES:
        assert path.read_text(encoding="utf-8") == event_file_text(path.stem), (
            f"{path.name} is stale: run python -m tools.ci.make_events"
        )


@pytest.mark.parametrize("path", EVENT_FILES, ids=lambda path: path.stem)
def test_event_gets_its_expected_status(invoke, path: Path):
    expected_status = EVENTS[path.stem][0]
    if path.stem.startswith("webhook_"):  # signed by `make run`'s LiveKit, whose key pair the function must know
        boto3.client("ssm").put_parameter(
            Name=CREDENTIALS_PARAMETER, Value=WEBHOOK_PAIR.parameter_value(), Type="SecureString", Overwrite=True
        )
    answer = call_handler(json.loads(path.read_text(encoding="utf-8")))
    assert answer.status == expected_status, answer.body
    if path.stem.startswith("webhook_"):  # LiveKit's servers are told nothing: no body, whatever the outcome
        assert answer.body is None
    elif expected_status >= 400:
        assert isinstance(answer.body["error"], str)
        assert answer.body["error"]
