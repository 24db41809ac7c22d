"""POST /api/auth/client/ — the API guide's login endpoint, on API Gateway (REST, payload 1.0) — and the
session routes beside it: /api/auth/token/ (LiveKit's standard token endpoint), /refresh/ and /logout/, and
/api/livekit/webhook/, where LiveKit's servers (not clients) report participants joining.

This file is the API: its handlers, registered at their rows of livekit_auth.routes.ROUTES (with their
preflights, log messages and metric names), and how a success, a refusal or a fault is answered. Every 4xx
has its row in client_errors.CLIENT_ERRORS; the input models are inputs.py and session_inputs.py, the
services are wired in services.py, and the work happens in the CommonLayer (`livekit_auth`).
"""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Callable
from dataclasses import asdict

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

import services
from client_errors import CLIENT_ERRORS, REJECTED_INPUT, UNVERIFIED, UnknownRoute
from inputs import LoginRequest
from livekit_auth import browser, messages, routes, webhooks
from livekit_auth.errors import Refused
from livekit_auth.login import LoginResult
from livekit_auth.room_service import RemovalReport
from livekit_auth.routes import ROUTES, Route
from livekit_auth.sessions import OpenSession, SessionService
from livekit_auth.usernames import MAX_USERNAME_LENGTH, normalize_username
from session_inputs import TokenRequest, bearer_token

# ASCII-escaped JSON: a username holding U+2028 or U+0085 cannot split a log line for any reader.
logger = Logger(json_serializer=functools.partial(json.dumps, default=str, separators=(",", ":"), ensure_ascii=True))
metrics = Metrics()
# debug stays False whatever POWERTOOLS_DEV says: debug mode prints every event, and the event holds the password.
app = APIGatewayRestResolver(
    serializer=functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":")), debug=False
)
SUCCEEDED, PREFLIGHT, SERVER_ERROR = "Succeeded", "Preflight", "ServerError"  # metrics, after the route's prefix
REMOVAL_FAILED = "LiveKitRemovalFailed"  # per LiveKit server that did not answer a removal
WEBHOOK_VERDICTS = {"remove": "ParticipantRemoved", "restrict": "ParticipantRestricted"}  # webhook metrics


def route(handler: Callable[[], Response]) -> Callable[[], Response]:
    """Register `handler` at its row of ROUTES (found by its name: a handler without a row fails at import)."""
    (row,) = [row for row in ROUTES if row.handler == handler.__name__]
    return app.route(row.path, method=row.method)(handler)


# ---- routes ----------------------------------------------------------------------------------------


@route
def log_in() -> Response:
    request = LoginRequest.from_event(app.current_event)
    logger.append_keys(username=normalize_username(request.username)[:MAX_USERNAME_LENGTH])
    settings, service = services.configured()
    server_url = request.answer_server_url(settings.livekit_url, settings.allowed_server_urls)
    result = service.log_in(request.username, request.password, server_url)
    body = success_body(result, server_url)
    if request.session:  # opt-in: without it the body is the guide's, byte for byte
        opened = services.session_service().open(result, server_url=request.server_url, device=request.device)
        body["session"] = asdict(opened)
    return succeed(200, body, "session" if request.session else "ok")


def preflight() -> Response:
    """Every route's CORS preflight, admitting the headers its row names."""
    origin = app.current_event.headers.get("origin")
    count(PREFLIGHT)
    cors = browser.preflight_headers(origin, services.cors_allowlist(), current_route().allowed_headers)
    headers = {**browser.SECURITY_HEADERS, **cors}
    return Response(status_code=204, headers=headers, body="")


for _row in ROUTES:
    app.route(_row.path, method=routes.PREFLIGHT_METHOD)(preflight)


@route
def fetch_token() -> Response:
    """LiveKit's standard token endpoint: 201 with one short token for one of the user's rooms.
    The session first: without one, whatever the body, the answer is the 401 and its Bearer challenge."""
    sessions, session = authenticated()
    request = TokenRequest.from_event(app.current_event)
    issued = sessions.participant_token(session, request.room_name, request.participant_identity)
    body = {"server_url": issued.server_url, "participant_token": issued.token, "room_name": issued.room}
    return succeed(201, body | {"participant_name": issued.name})


@route
def refresh_session() -> Response:
    sessions, session = authenticated()
    return succeed(200, asdict(sessions.refresh(session)))


@route
def log_out() -> Response:
    sessions, session = authenticated()
    sessions.log_out(session)
    report_removal(services.revocation().session_ended(session.record))
    return succeed(204, None)


@route
def livekit_webhook() -> Response:
    """A LiveKit server's webhook: a bare 401 (webhooks.WebhookRejected's row) unless a configured server signed
    exactly this body; on participant_joined, a participant whose access has ended is removed (or stops
    publishing) at once."""
    webhook = webhooks.verify(raw_body(), app.current_event.headers.get("authorization"), services.keys())
    logger.append_keys(livekit_event=webhook.kind)
    if webhook.kind != webhooks.PARTICIPANT_JOINED:
        return succeed(200, None, "ignored")
    outcome = services.join_check().participant_joined(webhook)
    report_removal(outcome.report)
    if outcome.verdict.value in WEBHOOK_VERDICTS:
        count(WEBHOOK_VERDICTS[outcome.verdict.value])
    return succeed(200, None, outcome.verdict.value)


def raw_body() -> bytes:
    """The body exactly as sent: its SHA-256 is what the webhook's signature covers."""
    event = app.current_event
    if event.is_base64_encoded:
        return base64.b64decode(event.body or "")
    return (event.body or "").encode("utf-8")


def report_removal(report: RemovalReport) -> None:
    """Servers that did not answer a removal: named in the log, counted; the change that ended access stands."""
    if report.failed_servers:
        logger.warning("livekit removal failed", extra={"failed_servers": list(report.failed_servers)})
        count(REMOVAL_FAILED, len(report.failed_servers))


def authenticated() -> tuple[SessionService, OpenSession]:
    """The session the request's Bearer token opens (401 otherwise); its user rides along in the log."""
    sessions = services.session_service()
    session = sessions.authenticate(bearer_token(app.current_event))
    logger.append_keys(username=session.record.username)
    return sessions, session


def success_body(result: LoginResult, server_url: str) -> dict:
    """The guide's success shape: channel_id a number in `channels`, a string key in `tokens`."""
    return {
        "success": True,
        "user_id": result.user_id,
        "username": result.username,
        "channels": [{"channel_id": channel.channel_id, "name": channel.name} for channel in result.channels],
        "tokens": {
            str(channel.channel_id): {"token": channel.token, "room": channel.room, "name": channel.name}
            for channel in result.channels
        },
        "server_url": server_url,
    }


# ---- domain outcomes -> the guide's answers ---------------------------------------------------------


@app.exception_handler(Refused)
def refuse(error: Refused) -> Response:
    """Input rejections and domain refusals alike: the row of CLIENT_ERRORS answers, logs and counts."""
    row = CLIENT_ERRORS[type(error)]
    details = vars(error)
    log_attempt("rejected" if row.metric == REJECTED_INPUT else "refused", row.reason.format(**details), row.status)
    count(row.metric or "")
    body = None if row.message is None else {"error": row.message.format(**details)}
    return answer(row.status, body, row.headers(error))


@app.not_found
def unknown_route(_: NotFoundError) -> Response:
    """No route, so no log line and no prefix: the metric is RouteNotFound."""
    row = CLIENT_ERRORS[UnknownRoute]
    count(row.metric or "")
    return answer(row.status, {"error": row.message})


@app.exception_handler(Exception)
def server_error(error: Exception) -> Response:
    """The guide's 500: the cause goes to the log, only the request id goes to the client."""
    request_id = _request_id()
    logger.exception(_log_message(), extra={"outcome": "error", "reason": type(error).__name__, "status": 500})
    count(SERVER_ERROR)
    return answer(
        500, {"error": messages.SERVER_ERROR, "details": messages.SERVER_ERROR_DETAILS.format(request_id=request_id)}
    )


def metric_names() -> set[str]:
    """Every metric name the function can emit besides ColdStart: per route, its prefix before each kind it counts
    (the kinds every route shares, and those only some routes count: ROUTE_KINDS)."""
    kinds = {SUCCEEDED, PREFLIGHT, SERVER_ERROR} | {row.metric for row in CLIENT_ERRORS.values() if row.metric}
    kinds.discard(CLIENT_ERRORS[UnknownRoute].metric)
    kinds -= set().union(*ROUTE_KINDS.values())
    names = {row.metric_prefix + kind for row in ROUTES for kind in kinds | ROUTE_KINDS.get(row.handler, set())}
    return names | {CLIENT_ERRORS[UnknownRoute].metric or ""}


# Kinds only these routes count (by handler): removals reach LiveKit from the logout and the webhook only.
ROUTE_KINDS = {
    "log_out": {REMOVAL_FAILED},
    "livekit_webhook": {REMOVAL_FAILED, UNVERIFIED, *WEBHOOK_VERDICTS.values()},
}


def answer(status: int, body: dict | None, extra_headers: dict[str, str] | None = None) -> Response:
    origin = app.current_event.headers.get("origin")
    extra_headers = extra_headers or {}
    headers = {
        **browser.SECURITY_HEADERS,
        **browser.cors_headers(origin, services.cors_allowlist()),
        **extra_headers,
        **browser.exposed_headers(extra_headers),
    }
    content = "" if body is None else body  # a 204 has no body, not `null`
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=content, headers=headers)


def succeed(status: int, body: dict | None, reason: str = "ok") -> Response:
    log_attempt("success", reason, status)
    count(SUCCEEDED)
    return answer(status, body)


def log_attempt(outcome: str, reason: str, status: int) -> None:
    """One JSON line per attempt (the username rides along, JSON-escaped); never a password, hash or token."""
    logger.info(_log_message(), extra={"outcome": outcome, "reason": reason, "status": status})


def count(kind: str, value: int = 1) -> None:
    """`value` of `kind` under the current route's metric prefix (none when no route matched)."""
    matched = routes.route_at(app.current_event.resource)
    metrics.add_metric(name=(matched.metric_prefix if matched else "") + kind, unit=MetricUnit.Count, value=value)


def current_route() -> Route:
    """The row of the route being answered; the login's when none matched (its log message names the attempt)."""
    return routes.route_at(app.current_event.resource) or routes.LOGIN


def _log_message() -> str:
    return current_route().log_message


def _request_id() -> str:
    request_id = app.current_event.request_context.request_id
    if not request_id and app.lambda_context is not None:
        request_id = app.lambda_context.aws_request_id
    return request_id or "-"


# log_event stays False whatever POWERTOOLS_LOGGER_LOG_EVENT says: the event holds the password.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST, clear_state=True, log_event=False)
@metrics.log_metrics(capture_cold_start_metric=True)
def lambda_handler(event: dict, context: LambdaContext) -> dict:
    return app.resolve(event, context)
