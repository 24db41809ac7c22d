"""The dashboard (template.yaml, OperationsDashboard) draws every metric the function can emit, each alarm
watches a metric that is emitted, and every route has its requests, errors and latency percentiles.

The metric names come from the code, not from a list kept here: the metric fields of the handler's tables
(REFUSALS today) and every literal `add_metric(name=...)` in it, plus the cold-start metric Powertools adds.
A new metric (the LiveKit removal failures, say) fails this test until the dashboard shows it.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import re
from typing import Any

import pytest

import app
from tests.support.expanded_template import expanded, of_type, parameters
from tools import REPO_ROOT
from tools.ci.cfn_template import api_routes, function_environment

HANDLER = REPO_ROOT / "functions" / "auth_client" / "app.py"
POWERTOOLS_COLD_START = "ColdStart"  # metrics.log_metrics(capture_cold_start_metric=True)
SUBSTITUTIONS = {"AWS::Region": "eu-west-1", "AWS::StackName": "stack", "AuthClientFunction": "stack-auth-client"}


def table_metrics(value: Any) -> set[str]:
    """Metric names held by the handler's tables (REFUSALS, a routes table): every str field of a row whose
    name says metric, in any dict, list or tuple of rows."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            name
            for field in dataclasses.fields(value)
            if "metric" in field.name
            for name in ([getattr(value, field.name)] if isinstance(getattr(value, field.name), str) else [])
        }
    if isinstance(value, dict):
        return set().union(*(table_metrics(item) for item in value.values()), set())
    if isinstance(value, list | tuple):
        return set().union(*(table_metrics(item) for item in value), set())
    return set()


def emitted_metric_names() -> set[str]:
    """Every metric name the handler can emit."""
    literal = {
        keyword.value.value
        for node in ast.walk(ast.parse(HANDLER.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call) and getattr(node.func, "attr", None) == "add_metric"
        for keyword in node.keywords
        if keyword.arg == "name" and isinstance(keyword.value, ast.Constant)
    }
    from_tables = set().union(*(table_metrics(value) for value in vars(app).values()))
    return literal | from_tables | {POWERTOOLS_COLD_START}


def dashboard_body() -> dict[str, Any]:
    """The dashboard's JSON as CloudFormation resolves its !Sub: parameters to their defaults, names to examples."""
    (dashboard,) = of_type(expanded()["Resources"], "AWS::CloudWatch::Dashboard").values()
    template = dashboard["Properties"]["DashboardBody"]["Fn::Sub"]
    values = parameters() | SUBSTITUTIONS
    return json.loads(re.sub(r"\$\{([^}]+)\}", lambda match: str(values[match.group(1)]), template))


def dashboard_metrics() -> list[tuple[str, str, dict[str, str], str]]:
    """(namespace, metric, dimensions, stat) of every metric line of every metric widget."""
    found = []
    for widget in dashboard_body()["widgets"]:
        for line in widget["properties"].get("metrics", []):
            *names, options = line if isinstance(line[-1], dict) else (*line, {})
            namespace, metric, *dimensions = names
            found.append(
                (namespace, metric, dict(zip(dimensions[::2], dimensions[1::2], strict=True)), options["stat"])
            )
    return found


def test_the_metric_names_are_read_from_the_code():
    names = emitted_metric_names()
    assert {"LoginSucceeded", "TokenIssued", "LoginRefused", "LoginLocked", "LoginServerError"} <= names
    assert {refusal.metric for refusal in app.REFUSALS.values()} <= table_metrics(app.REFUSALS)


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
        watched = (alarm["Properties"]["Namespace"], alarm["Properties"]["MetricName"])
        if watched[0] == namespace:
            assert watched[1] in emitted_metric_names(), f"{logical_id} watches a metric the function never emits"
        else:
            assert watched[0].startswith("AWS/"), logical_id
        assert watched in drawn, f"{logical_id}: its metric is not on the dashboard"


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
