"""The abuse alarms watch metrics the function really emits: same namespace, name and dimension.

The function's metrics leave as CloudWatch embedded-metric-format lines on stdout; a refused and a
locked login are run through the handler and those lines compared with the alarms in the expanded template.
"""

from __future__ import annotations

import json

import pytest

from livekit_auth.config import Settings
from tests.support.expanded_template import expanded, of_type
from tests.support.logs import capture_function_output, output_lines
from tools.local.demo_data import DEMO


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


def test_a_refused_login_emits_what_the_refused_logins_alarm_watches(guess, handler_clock, capsys, monkeypatch):
    # Given the function's output captured
    capture_function_output(monkeypatch)
    capsys.readouterr()
    # When a wrong password is refused
    assert guess(DEMO.username).status == 401
    # Then the metric it emits is the one the alarm watches
    assert alarm_watching("LoginRefused") in emitted_metrics(capsys)


def test_a_locked_login_emits_what_the_locked_logins_alarm_watches(
    guess, good_login, handler_clock, settings: Settings, capsys, monkeypatch
):
    # Given an account locked by failures (the handler's clock stands still, so the lock holds)
    capture_function_output(monkeypatch)
    for _ in range(settings.lockout_threshold):
        guess(DEMO.username)
    capsys.readouterr()
    # When the right password arrives during the lock
    assert good_login(DEMO.username).status == 429
    # Then the metric it emits is the one the alarm watches
    assert alarm_watching("LoginLocked") in emitted_metrics(capsys)
