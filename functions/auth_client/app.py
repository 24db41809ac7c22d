"""POST /api/auth/client/ — the API guide's login endpoint, on API Gateway (REST, payload 1.0).

This file is the API: its routes, its input model, and the one place where domain outcomes
become the guide's answers. The work happens in the CommonLayer (`livekit_auth`).
"""

from __future__ import annotations

import base64
import binascii
import functools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types
from aws_lambda_powertools.event_handler.exceptions import NotFoundError
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent
from aws_lambda_powertools.utilities.typing import LambdaContext

from livekit_auth import browser, messages
from livekit_auth.aws import CLIENT_CONFIG
from livekit_auth.config import Settings, allowed_origins, load_settings, require_function_settings
from livekit_auth.credentials import livekit_credentials
from livekit_auth.errors import (
    AccountInactive,
    AccountLocked,
    InvalidCredentials,
    LoginRefused,
    NoChannels,
    UserDataNotFound,
)
from livekit_auth.lockout import LoginThrottle
from livekit_auth.login import MAX_USERNAME_LENGTH, LoginPolicy, LoginResult, LoginService, normalize_username
from livekit_auth.passwords import dummy_hash
from livekit_auth.storage import AuthStore

LOGIN_PATH = "/api/auth/client"  # the REST resolver also matches the guide's trailing slash
MAX_BODY_BYTES = 16 * 1024
SERVER_URL_SCHEMES = {"http", "https", "ws", "wss"}
MAX_SERVER_URL_LENGTH = 2048

# ASCII-escaped JSON: a username holding U+2028 or U+0085 cannot split a log line for any reader.
logger = Logger(json_serializer=functools.partial(json.dumps, default=str, separators=(",", ":"), ensure_ascii=True))
metrics = Metrics()
app = APIGatewayRestResolver(serializer=functools.partial(json.dumps, ensure_ascii=False, separators=(",", ":")))
dynamodb = boto3.client("dynamodb", config=CLIENT_CONFIG)


@functools.cache
def configured() -> tuple[Settings, LoginService]:
    """Settings and the login service, built on the first request and kept by the container."""
    settings = require_function_settings(load_settings())
    return settings, build_service(settings)


def build_service(settings: Settings, clock: Callable[[], float] = time.time) -> LoginService:
    """The login service over the function's own clients; tests hand it a clock they control."""
    store = AuthStore(dynamodb, settings.tables)
    throttle = LoginThrottle(store, threshold=settings.lockout_threshold, max_lock_seconds=settings.lockout_max_seconds)
    dummy_hash(settings.bcrypt_rounds)  # now, so no login pays for it
    return LoginService(
        store,
        throttle,
        credentials=lambda: livekit_credentials(settings),
        policy=LoginPolicy(bcrypt_rounds=settings.bcrypt_rounds, token_ttl_seconds=settings.token_ttl_seconds),
        clock=clock,
    )


# ---- input model ---------------------------------------------------------------------------------


class RequestRejected(Exception):
    """Input refused before any account is looked at."""

    def __init__(self, status: int, message: str, reason: str) -> None:
        super().__init__(reason)
        self.status, self.message, self.reason = status, message, reason


@dataclass(frozen=True)
class LoginRequest:
    username: str
    password: str
    server_url: str | None

    @classmethod
    def from_event(cls, event: APIGatewayProxyEvent) -> LoginRequest:
        document = _json_object(event)
        username, password = document.get("username"), document.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username.strip() or not password:
            raise RequestRejected(400, messages.USERNAME_AND_PASSWORD_REQUIRED, "missing_fields")
        if not _encodable(username) or not _encodable(password):
            raise RequestRejected(400, messages.INVALID_CHARACTERS, "unencodable_text")
        return cls(username, password, _server_url(document.get("server_url")))


def _json_object(event: APIGatewayProxyEvent) -> dict:
    media_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise RequestRejected(415, messages.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    body = event.body or ""
    if len(body) > 2 * MAX_BODY_BYTES:
        raise RequestRejected(413, messages.PAYLOAD_TOO_LARGE, "body_too_large")
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
            body = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            raise RequestRejected(400, messages.INVALID_JSON_BODY, "bad_base64") from None
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise RequestRejected(413, messages.PAYLOAD_TOO_LARGE, "body_too_large")
    if not body.strip():
        raise RequestRejected(400, messages.USERNAME_AND_PASSWORD_REQUIRED, "empty_body")
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise RequestRejected(400, messages.INVALID_JSON_BODY, "invalid_json") from None
    if not isinstance(document, dict):
        raise RequestRejected(400, messages.INVALID_JSON_BODY, "not_an_object")
    return document


def _server_url(value: object) -> str | None:
    """Optional; when given, an http(s) or ws(s) URL with a host."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_SERVER_URL_LENGTH or not value.isprintable() or " " in value:
        raise RequestRejected(400, messages.INVALID_SERVER_URL, "invalid_server_url")
    try:
        parts = urlsplit(value)
        valid = parts.scheme.lower() in SERVER_URL_SCHEMES and bool(parts.hostname)
    except ValueError:
        valid = False
    if not valid or not _encodable(value):
        raise RequestRejected(400, messages.INVALID_SERVER_URL, "invalid_server_url")
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# ---- routes ----------------------------------------------------------------------------------------


@app.post(LOGIN_PATH)
def log_in() -> Response:
    request = LoginRequest.from_event(app.current_event)
    logger.append_keys(username=normalize_username(request.username)[:MAX_USERNAME_LENGTH])
    settings, service = configured()
    result = service.log_in(request.username, request.password)
    log_attempt("success", "ok", 200)
    metrics.add_metric(name="LoginSucceeded", unit=MetricUnit.Count, value=1)
    return answer(200, success_body(result, request.server_url or settings.livekit_url))


@app.route(LOGIN_PATH, method="OPTIONS")
def preflight() -> Response:
    origin = app.current_event.headers.get("origin")
    metrics.add_metric(name="Preflight", unit=MetricUnit.Count, value=1)
    headers = {**browser.SECURITY_HEADERS, **browser.preflight_headers(origin, _allowed_origins())}
    return Response(status_code=204, headers=headers, body="")


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

REFUSALS: dict[type[LoginRefused], tuple[int, str, str]] = {
    InvalidCredentials: (401, messages.INVALID_CREDENTIALS, "invalid_credentials"),
    AccountInactive: (403, messages.ACCOUNT_INACTIVE, "inactive"),
    NoChannels: (403, messages.NO_CHANNELS, "no_channels"),
    UserDataNotFound: (404, messages.USER_DATA_NOT_FOUND, "user_data_not_found"),
    AccountLocked: (429, messages.TOO_MANY_ATTEMPTS, "locked"),
}


@app.exception_handler(RequestRejected)
def reject_input(error: RequestRejected) -> Response:
    log_attempt("rejected", error.reason, error.status)
    metrics.add_metric(name="LoginRejectedInput", unit=MetricUnit.Count, value=1)
    return answer(error.status, {"error": error.message})


@app.exception_handler(LoginRefused)
def refuse_login(error: LoginRefused) -> Response:
    status, message, reason = REFUSALS[type(error)]
    log_attempt("refused", reason, status)
    metrics.add_metric(name="LoginLocked" if status == 429 else "LoginRefused", unit=MetricUnit.Count, value=1)
    extra = {"Retry-After": str(error.retry_after_seconds)} if isinstance(error, AccountLocked) else {}
    return answer(status, {"error": message}, extra)


@app.not_found
def unknown_route(_: NotFoundError) -> Response:
    metrics.add_metric(name="RouteNotFound", unit=MetricUnit.Count, value=1)
    return answer(404, {"error": messages.ROUTE_NOT_FOUND})


@app.exception_handler(Exception)
def server_error(error: Exception) -> Response:
    """The guide's 500: the cause goes to the log, only the request id goes to the client."""
    request_id = _request_id()
    logger.exception("login attempt", extra={"outcome": "error", "reason": type(error).__name__, "status": 500})
    metrics.add_metric(name="LoginServerError", unit=MetricUnit.Count, value=1)
    return answer(
        500, {"error": messages.SERVER_ERROR, "details": messages.SERVER_ERROR_DETAILS.format(request_id=request_id)}
    )


def answer(status: int, body: dict, extra_headers: dict[str, str] | None = None) -> Response:
    origin = app.current_event.headers.get("origin")
    headers = {**browser.SECURITY_HEADERS, **browser.cors_headers(origin, _allowed_origins()), **(extra_headers or {})}
    return Response(status_code=status, content_type=content_types.APPLICATION_JSON, body=body, headers=headers)


def log_attempt(outcome: str, reason: str, status: int) -> None:
    """One JSON line per attempt (the username rides along, JSON-escaped); never a password, hash or token."""
    logger.info("login attempt", extra={"outcome": outcome, "reason": reason, "status": status})


def _allowed_origins() -> tuple[str, ...]:
    try:
        return configured()[0].allowed_origins
    except Exception:  # a misconfigured function still answers its 500 with the right CORS headers
        return allowed_origins()


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
