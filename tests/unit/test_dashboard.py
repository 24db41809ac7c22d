"""The dashboard (template.yaml, OperationsDashboard) draws every metric the function can emit, each alarm
watches a metric that is emitted, and every route has its requests, errors and latency percentiles.

The metric names come from the code, not from a list kept here: app.metric_names() (every route's prefix
before every kind of CLIENT_ERRORS and the handler's own kinds) plus the cold-start metric Powertools adds.
A new metric (issue 20's LiveKitRemovalFailed or WebhookRejected, say) fails this test until the dashboard
shows it.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

import app
from livekit_auth.routes import ROUTES
from tests.support.expanded_template import expanded, of_type, parameters
from tools.ci.cfn_template import api_routes, function_environment

POWERTOOLS_COLD_START = "ColdStart"  # metrics.log_metrics(capture_cold_start_metric=True)
SUBSTITUTIONS = {"AWS::Region": "eu-west-1", "AWS::StackName": "stack", "AuthClientFunction": "stack-auth-client"}


def emitted_metric_names() -> set[str]:
    """Every metric name the function can emit."""
    return app.metric_names() | {POWERTOOLS_COLD_START}


def dashboard_body() -> dict[str, Any]:
    """The dashboard's JSON as CloudFormation resolves its !Sub: parameters to their defaults, names to examples."""
    (dashboard,) = of_type(expanded()["Resources"], "AWS::CloudWatch::Dashboard").values()
    template = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    values = parameters() | SUBSTITUTIONS
    return json.loads(re.sub(r"\$\{([^}]+)\}", lambda match: str(values[match.group(1)]), template))


def widget_metrics(widget: dict[str, Any]) -> list[tuple[str, str, dict[str, str], str]]:
    """(namespace, metric, dimensions, stat) of every metric line of one widget."""
    found = []
    for line in widget["properties"].get("metrics", []):
        *names, options = line if isinstance(line[-1], dict) else (*line, {})
        namespace, metric, *dimensions = names
        found.append((namespace, metric, dict(zip(dimensions[::2], dimensions[1::2], strict=True)), options["stat"]))
    return found


def dashboard_metrics() -> list[tuple[str, str, dict[str, str], str]]:
    """(namespace, metric, dimensions, stat) of every metric line of every metric widget."""
    return [metric for widget in dashboard_body()["widgets"] for metric in widget_metrics(widget)]


def alarm_metrics(alarm: dict[str, Any]) -> list[tuple[str, str]]:
    """(namespace, metric) of each metric an alarm reads: its one metric, or those of its metric math."""
    stats = [query["MetricStat"]["Metric"] for query in alarm.get("Metrics", []) if "MetricStat" in query]
    return [(metric["Namespace"], metric["MetricName"]) for metric in stats or [alarm]]


def test_the_metric_names_are_read_from_the_code():
    names = emitted_metric_names()
    assert {"LoginSucceeded", "TokenRejectedInput", "RefreshServerError", "LogoutSucceeded", "LoginLocked"} <= names
    assert {"TokenSessionRefused", "RouteNotFound", "ColdStart"} | {
        r.metric_prefix + "Preflight" for r in ROUTES
    } <= names


@pytest.mark.parametrize("route", ROUTES, ids=lambda route: route.metric_prefix)
def test_each_route_has_one_widget_with_every_metric_under_its_prefix(route):
    namespace = function_environment()["POWERTOOLS_METRICS_NAMESPACE"]
    own = {name for name in app.metric_names() if name.startswith(route.metric_prefix)}
    widgets = [
        {name for ns, name, _, _ in widget_metrics(widget) if ns == namespace} for widget in dashboard_body()["widgets"]
    ]
    assert own in widgets, f"no widget draws exactly {route.metric_prefix}'s metrics"


@pytest.mark.parametrize("metric", sorted(emitted_metric_names()))
def test_every_metric_the_function_emits_is_on_the_dashboard_under_its_namespace_and_service(metric):
    environment = function_environment()
    namespace, service = environment["POWERTOOLS_METRICS_NAMESPACE"], environment["POWERTOOLS_SERVICE_NAME"]
    drawn = [(ns, dims) for ns, name, dims, _ in dashboard_metrics() if name == metric]
    assert drawn, f"{metric} is emitted but not on the dashboard"
    for ns, dims in drawn:
        assert ns == namespace
        assert dims.get("service") == service
    if metric == POWERTOOLS_COLD_START:  # Powertools adds the function's name to this one
        assert all(dims.get("function_name") == SUBSTITUTIONS["AuthClientFunction"] for _, dims in drawn)


def test_the_dashboard_draws_no_metric_of_the_function_that_it_does_not_emit():
    namespace = function_environment()["POWERTOOLS_METRICS_NAMESPACE"]
    drawn = {name for ns, name, _, _ in dashboard_metrics() if ns == namespace}
    assert drawn <= emitted_metric_names()


def test_every_alarm_watches_a_metric_that_is_emitted_and_drawn():
    namespace = function_environment()["POWERTOOLS_METRICS_NAMESPACE"]
    drawn = {(ns, name) for ns, name, _, _ in dashboard_metrics()}
    alarms = of_type(expanded()["Resources"], "AWS::CloudWatch::Alarm")
    assert alarms
    for logical_id, alarm in alarms.items():
        for watched in alarm_metrics(alarm["Properties"]):
            if watched[0] == namespace:
                assert watched[1] in emitted_metric_names(), f"{logical_id} watches {watched[1]}, never emitted"
            else:
                assert watched[0].startswith("AWS/"), logical_id
            assert watched in drawn, f"{logical_id}: {watched[1]} is not on the dashboard"


@pytest.mark.parametrize("resource", sorted({path for method, path, _ in api_routes() if method == "POST"}))
def test_every_route_shows_requests_errors_and_latency_percentiles(resource):
    api = {"ApiName": f"{SUBSTITUTIONS['AWS::StackName']}-api", "Stage": "v1", "Resource": resource, "Method": "POST"}
    shown = {(name, stat) for ns, name, dims, stat in dashboard_metrics() if ns == "AWS/ApiGateway" and dims == api}
    assert {("Count", "Sum"), ("4XXError", "Sum"), ("5XXError", "Sum"), ("Latency", "p50"), ("Latency", "p99")} <= shown


def test_the_function_wide_widgets_show_duration_percentiles_and_refusals_by_reason():
    lambda_stats = {(name, stat) for ns, name, _, stat in dashboard_metrics() if ns == "AWS/Lambda"}
    assert {("Duration", "p50"), ("Duration", "p99"), ("Errors", "Sum"), ("Throttles", "Sum")} <= lambda_stats
    (query,) = [w["properties"]["query"] for w in dashboard_body()["widgets"] if w["type"] == "log"]
    assert "SOURCE '/aws/lambda/stack-auth-client'" in query
    assert "by message, reason" in query
