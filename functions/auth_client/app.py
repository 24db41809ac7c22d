"""POST /api/auth/client/ — the API guide's login endpoint, on API Gateway (REST, payload 1.0) — and the
session routes beside it: /api/auth/token/ (LiveKit's standard token endpoint), /refresh/ and /logout/.

This file is the API: its routes, its input model, and the one place where domain outcomes
become the guide's answers. The services it calls are wired in services.py; the work happens in
the CommonLayer (`livekit_auth`).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

import services
from inputs import LoginRequest, RequestRejected
from livekit_auth import browser, messages
from livekit_auth.errors import (
    AccountInactive,
    AccountLocked,
    IdentityNotAllowed,
    InvalidCredentials,
    Refused,
    NoChannels,
    RoomNotAllowed,
    SessionExpired,
    SessionMissing,
    SessionReused,
    SessionUnknown,
    UserDataNotFound,
)
from livekit_auth.login import LoginResult
from livekit_auth.sessions import OpenSession, SessionService
from livekit_auth.usernames import MAX_USERNAME_LENGTH, normalize_username
from session_inputs import TokenRequest, bearer_token

LOGIN_PATH = "/api/auth/client"  # the REST resolver also matches the guide's trailing slash
TOKEN_PATH, REFRESH_PATH, LOGOUT_PATH = "/api/auth/token", "/api/auth/refresh", "/api/auth/logout"
LOG_MESSAGES = {TOKEN_PATH: "token request", REFRESH_PATH: "session refresh", LOGOUT_PATH: "session logout"}

# ASCII-escaped JSON: a username holding U+2028 or U+0085 cannot split a log line for any reader.
logger = Logger(json_serializer=functools.partial(json.dumps, default=str, separators=(",", ":"), ensure_ascii=True))
metrics = Metrics()
# debug stays False whatever POWERTOOLS_DEV says: debug mode prints every event, and the event holds the password.
app = APIGatewayRestResolver(
    serializer=functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":")), debug=False
)

# ---- routes ----------------------------------------------------------------------------------------


@app.post(LOGIN_PATH)
def log_in() -> Response:
    request = LoginRequest.from_event(app.current_event)
    logger.append_keys(username=normalize_username(request.username)[:MAX_USERNAME_LENGTH])
    settings, service = services.configured()
    server_url = request.answer_server_url(settings.livekit_url, settings.allowed_server_urls)
    result = service.log_in(request.username, request.password)
    body = success_body(result, server_url)
    if request.session:  # opt-in: without it the body is the guide's, byte for byte
        opened = services.session_service().open(result, server_url=request.server_url, device=request.device)
        body["session"] = asdict(opened)
    log_attempt("success", "session" if request.session else "ok", 200)
    metrics.add_metric(name="LoginSucceeded", unit=MetricUnit.Count, value=1)
    return answer(200, body)


@app.route(LOGIN_PATH, method="OPTIONS")
@app.route(TOKEN_PATH, method="OPTIONS")
@app.route(REFRESH_PATH, method="OPTIONS")
@app.route(LOGOUT_PATH, method="OPTIONS")
def preflight() -> Response:
    """The session routes also take the Authorization header; the login's answer stays as it was."""
    origin = app.current_event.headers.get("origin")
    metrics.add_metric(name="Preflight", unit=MetricUnit.Count, value=1)
    allowed_headers = browser.ALLOWED_HEADERS if app.current_event.resource == LOGIN_PATH else browser.SESSION_HEADERS
    cors = browser.preflight_headers(origin, services.cors_allowlist(), allowed_headers)
    headers = {**browser.SECURITY_HEADERS, **cors}
    return Response(status_code=204, headers=headers, body="")


@app.post(TOKEN_PATH)
def fetch_token() -> Response:
    """LiveKit's standard token endpoint: 201 with one short token for one of the user's rooms.
    The session first: without one, whatever the body, the answer is the 401 and its Bearer challenge."""
    sessions, session = authenticated()
    request = TokenRequest.from_event(app.current_event)
    issued = sessions.participant_token(session, request.room_name, request.participant_identity)
    log_attempt("success", "ok", 201)
    metrics.add_metric(name="TokenIssued", unit=MetricUnit.Count, value=1)
    body = {"server_url": issued.server_url, "participant_token": issued.token, "room_name": issued.room}
    return answer(201, body | {"participant_name": issued.name})


@app.post(REFRESH_PATH)
def refresh_session() -> Response:
    sessions, session = authenticated()
    renewed = sessions.refresh(session)
    log_attempt("success", "ok", 200)
    metrics.add_metric(name="SessionRefreshed", unit=MetricUnit.Count, value=1)
    return answer(200, asdict(renewed))


@app.post(LOGOUT_PATH)
def log_out() -> Response:
    sessions, session = authenticated()
    sessions.log_out(session)
    log_attempt("success", "ok", 204)
    metrics.add_metric(name="SessionEnded", unit=MetricUnit.Count, value=1)
    return answer(204, None)


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


def no_headers(_: Refused) -> dict[str, str]:
    return {}


def bearer_challenge(_: Refused) -> dict[str, str]:
    """Headers of the session rows: the client must (re)authenticate with a Bearer token (RFC 6750)."""
    return {"WWW-Authenticate": "Bearer"}


def retry_after(error: Refused) -> dict[str, str]:
    """Headers of the AccountLocked row (the table pairs them)."""
    return {"Retry-After": str(cast(AccountLocked, error).retry_after_seconds)}


@dataclass(frozen=True)
class Refusal:
    """One row of the mapping: how a domain refusal is answered, logged and counted."""

    status: int
    message: str
    reason: str  # the log line's `reason`
    metric: str
    headers: Callable[[Refused], dict[str, str]] = field(default=no_headers)


REFUSALS: dict[type[Refused], Refusal] = {
    InvalidCredentials: Refusal(401, messages.INVALID_CREDENTIALS, "invalid_credentials", "Refused"),
    AccountInactive: Refusal(403, messages.ACCOUNT_INACTIVE, "inactive", "Refused"),
    NoChannels: Refusal(403, messages.NO_CHANNELS, "no_channels", "Refused"),
    UserDataNotFound: Refusal(404, messages.USER_DATA_NOT_FOUND, "user_data_not_found", "Refused"),
    AccountLocked: Refusal(429, messages.TOO_MANY_ATTEMPTS, "locked", "LoginLocked", retry_after),
    SessionMissing: Refusal(401, messages.SESSION_REQUIRED, "no_session", "SessionRefused", bearer_challenge),
    SessionUnknown: Refusal(401, messages.SESSION_REQUIRED, "unknown_session", "SessionRefused", bearer_challenge),
    SessionExpired: Refusal(401, messages.SESSION_REQUIRED, "expired_session", "SessionRefused", bearer_challenge),
    SessionReused: Refusal(401, messages.SESSION_REQUIRED, "rotated_token_reused", "SessionReused", bearer_challenge),
    RoomNotAllowed: Refusal(403, messages.ROOM_NOT_ALLOWED, "room_not_allowed", "TokenRefused"),
    IdentityNotAllowed: Refusal(403, messages.IDENTITY_NOT_ALLOWED, "identity_not_allowed", "TokenRefused"),
}


@app.exception_handler(RequestRejected)
def reject_input(error: RequestRejected) -> Response:
    log_attempt("rejected", error.reason, error.status)
    metrics.add_metric(name="LoginRejectedInput", unit=MetricUnit.Count, value=1)
    return answer(error.status, {"error": error.message})


@app.exception_handler(Refused)
def refuse_login(error: Refused) -> Response:
    refusal = REFUSALS[type(error)]
    log_attempt("refused", refusal.reason, refusal.status)
    metrics.add_metric(name=refusal.metric, unit=MetricUnit.Count, value=1)
    return answer(refusal.status, {"error": refusal.message}, refusal.headers(error))


@app.not_found
def unknown_route(_: NotFoundError) -> Response:
    metrics.add_metric(name="RouteNotFound", unit=MetricUnit.Count, value=1)
    return answer(404, {"error": messages.ROUTE_NOT_FOUND})


@app.exception_handler(Exception)
def server_error(error: Exception) -> Response:
    """The guide's 500: the cause goes to the log, only the request id goes to the client."""
    request_id = _request_id()
    logger.exception(_log_message(), extra={"outcome": "error", "reason": type(error).__name__, "status": 500})
    metrics.add_metric(name="LoginServerError", unit=MetricUnit.Count, value=1)
    return answer(
        500, {"error": messages.SERVER_ERROR, "details": messages.SERVER_ERROR_DETAILS.format(request_id=request_id)}
    )


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


def log_attempt(outcome: str, reason: str, status: int) -> None:
    """One JSON line per attempt (the username rides along, JSON-escaped); never a password, hash or token."""
    logger.info(_log_message(), extra={"outcome": outcome, "reason": reason, "status": status})


def _log_message() -> str:
    """The log line's message: what the route does (the login's when no session route matched)."""
    return LOG_MESSAGES.get(app.current_event.resource, "login attempt")


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
