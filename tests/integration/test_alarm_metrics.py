"""The abuse alarms watch metrics the function really emits: same namespace, name and dimension.

The function's metrics leave as CloudWatch embedded-metric-format lines on stdout; a refused and a
locked login are run through the handler and those lines compared with the alarms in the expanded template.
"""

from __future__ import annotations

import json

import pytest

import app
from livekit_auth.config import load_settings, require_function_settings
from livekit_auth_tools.demo_data import DEMO, DEMO_PASSWORD
from tests.expanded_template import expanded, of_type
from tests.log_capture import capture_function_output, output_lines

LOCKOUT_THRESHOLD = 5  # function_env's


def emitted_metrics(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of every embedded metric written since the last read."""
    found = []
    for line in output_lines(capsys)[0]:
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            dimensions = {name: record[name] for names in directive["Dimensions"] for name in names}
            found += [(directive["Namespace"], metric["Name"], dimensions) for metric in directive["Metrics"]]
    return found


def alarm_watching(metric_name: str) -> tuple[str, str, dict[str, str]]:
    alarms = of_type(expanded()["Resources"], "AWS::CloudWatch::Alarm").values()
    (alarm,) = [a["Properties"] for a in alarms if a["Properties"]["MetricName"] == metric_name]
    dimensions = {d["Name"]: d["Value"] for d in alarm["Dimensions"]}
    return alarm["Namespace"], alarm["MetricName"], dimensions


@pytest.fixture
def stopped_clock(monkeypatch: pytest.MonkeyPatch, function_env: dict[str, str]) -> None:
    """The handler with a clock that does not move, so the 1 s first lock cannot run out mid-test."""
    settings = require_function_settings(load_settings())
    service = app.build_service(settings, clock=lambda: 1_800_000_000.0)
    monkeypatch.setattr(app, "configured", lambda: (settings, service))


def test_refused_and_locked_logins_emit_exactly_what_their_alarms_watch(log_in, stopped_clock, capsys, monkeypatch):
    capture_function_output(monkeypatch)
    capsys.readouterr()
    assert log_in(DEMO.username, "wrong-password").status == 401
    assert alarm_watching("LoginRefused") in emitted_metrics(capsys)
    for _ in range(LOCKOUT_THRESHOLD - 1):
        log_in(DEMO.username, "wrong-password")
    capsys.readouterr()
    assert log_in(DEMO.username, DEMO_PASSWORD).status == 429
    assert alarm_watching("LoginLocked") in emitted_metrics(capsys)
