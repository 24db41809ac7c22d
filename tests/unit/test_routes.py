"""livekit_auth.routes.ROUTES is the one list of routes: the template declares exactly its rows (and their
preflights), the handler registers exactly them, and the local API Gateway serves exactly them."""

from __future__ import annotations

import app
from livekit_auth import routes
from livekit_auth.routes import ROUTES
from tools.ci import cfn_template, make_events
from tools.local.api_gateway import ApiGateway


def registered() -> set[tuple[str, str, str]]:
    """(method, path, handler name) of every route the handler's resolver answers."""
    found = set()
    for route in app.app._static_routes + app.app._dynamic_routes:
        for method in route.method if isinstance(route.method, tuple | list) else [route.method]:
            found.add((method, route.rule.pattern, route.func.__name__))
    return found


def test_the_template_declares_every_route_and_its_preflight_and_nothing_else():
    declared = {(method, path) for method, path, _ in cfn_template.api_routes()}
    assert declared == routes.methods()


def test_the_handler_registers_each_row_at_its_handler_and_a_preflight_beside_it():
    found = {(method, handler) for method, _, handler in registered()}
    assert found == {(row.method, row.handler) for row in ROUTES} | {(routes.PREFLIGHT_METHOD, "preflight")}
    paths = {path for _, path, _ in registered()}
    assert all(any(row.path in path for path in paths) for row in ROUTES)
    assert len(registered()) == 2 * len(ROUTES)


def test_every_handler_the_table_names_is_a_function_of_the_handler_module():
    assert all(callable(getattr(app, row.handler, None)) for row in ROUTES)


def test_the_local_api_gateway_serves_exactly_the_routes():
    gateway = ApiGateway.__new__(ApiGateway)  # its routing only: no socket
    gateway.resources = {(method, path): path for method, path in routes.methods()}
    for row in ROUTES:
        assert gateway.resource_for(row.method, row.public_path) == row.path
        assert gateway.resource_for(routes.PREFLIGHT_METHOD, row.path) == row.path
    assert gateway.resource_for("POST", "/api/auth/unknown/") is None


def test_each_route_has_its_own_log_message_and_metric_prefix():
    assert len({row.log_message for row in ROUTES}) == len({row.metric_prefix for row in ROUTES}) == len(ROUTES)


def test_metric_names_are_the_routes_prefixes_before_each_kind():
    names = app.metric_names()
    for row in ROUTES:
        for kind in ("Succeeded", "Preflight", "ServerError", "RejectedInput", "Refused", "SessionRefused"):
            assert row.metric_prefix + kind in names
    assert {"LoginRejectedInput", "TokenRejectedInput", "RefreshServerError", "LogoutServerError"} <= names
    assert "RouteNotFound" in names


def test_every_route_has_an_event_in_events_that_it_answers_with_success():
    """events/ (tools/ci/make_events.py) is what `make invoke`, `make sam-invoke` and tests/sam_local run: a new
    route without a success event there would never meet the built function in a Lambda container."""
    succeeding = {(e["httpMethod"], e["resource"]) for status, e in make_events.EVENTS.values() if 200 <= status < 300}
    missing = [row.path for row in ROUTES if (row.method, row.path) not in succeeding]
    assert not missing, f"no success event in tools/ci/make_events.py for {missing}"
