"""The alarms watch metrics the function really emits: same namespace, name and dimension.

The function's metrics leave as CloudWatch embedded-metric-format lines on stdout; a refused and a
locked login, and a 500 on every route, are run through the handler and those lines compared with the
alarms in the expanded template. Every name emitted is one app.metric_names() lists.
"""

from __future__ import annotations

import json

import pytest

import app
import services
from livekit_auth.config import Settings
from livekit_auth.routes import ROUTES
from tests.support.expanded_template import expanded, of_type
from tests.support.handler import call_handler
from tests.support.logins import lock_out
from tests.support.logs import capture_function_output, output_lines
from tools.local.demo_data import DEMO
from tools.local.events import route_event

Watched = tuple[str, str, dict[str, str]]


def emitted_metrics(capsys: pytest.CaptureFixture[str]) -> list[tuple[str, str, dict[str, str]]]:
    """(namespace, metric name, dimensions) of every embedded metric written since the last read."""
    found = []
    for line in output_lines(capsys)[0]:
        record = json.loads(line)
        for directive in record.get("_aws", {}).get("CloudWatchMetrics", []):
            dimensions = {name: record[name] for names in directive["Dimensions"] for name in names}
            found += [(directive["Namespace"], metric["Name"], dimensions) for metric in directive["Metrics"]]
    return found


def watched(alarm: dict) -> list[Watched]:
    """(namespace, metric name, dimensions) of each metric an alarm reads: its one metric, or its math's."""
    stats = [query["MetricStat"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
    metrics = [stat["Metric"] for stat in stats] or [alarm]
    return [(m["Namespace"], m["MetricName"], {d["Name"]: d["Value"] for d in m["Dimensions"]}) for m in metrics]


def alarm_watching(metric_name: str) -> Watched:
    alarms = of_type(expanded()["Resources"], "AWS::CloudWatch::Alarm").values()
    (found,) = [metric for alarm in alarms for metric in watched(alarm["Properties"]) if metric[1] == metric_name]
    return found


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
    lock_out(DEMO.username, settings.lockout_threshold)
    capsys.readouterr()
    # When the right password arrives during the lock
    assert good_login(DEMO.username).status == 429
    # Then the metric it emits is the one the alarm watches
    assert alarm_watching("LoginLocked") in emitted_metrics(capsys)


def test_the_server_errors_alarm_sums_every_routes_server_error_metric():
    alarm = expanded()["Resources"]["HandledServerErrorsAlarm"]["Properties"]
    assert {name for _, name, _ in watched(alarm)} == {f"{route.metric_prefix}ServerError" for route in ROUTES}
    (total,) = [query for query in alarm["Metrics"] if query.get("ReturnData")]
    assert total["Expression"] == "SUM(METRICS())"


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.metric_prefix)
def test_a_500_on_any_route_emits_what_the_server_errors_alarm_watches(route, function_env, capsys, monkeypatch):
    # Given: the function's services broken
    capture_function_output(monkeypatch)
    broken = RuntimeError("unreachable")
    monkeypatch.setattr(services, "configured", lambda: (_ for _ in ()).throw(broken))
    monkeypatch.setattr(services, "session_service", lambda: (_ for _ in ()).throw(broken))
    capsys.readouterr()
    # When
    answer = call_handler(route_event(route, {"username": DEMO.username, "password": "x"}, token="x" * 10))
    # Then
    assert answer.status == 500
    emitted = emitted_metrics(capsys)
    assert alarm_watching(f"{route.metric_prefix}ServerError") in emitted
    assert {name for _, name, _ in emitted} <= app.metric_names() | {"ColdStart"}
