"""Every 4xx the API answers, one row each: status, Persian text (livekit_auth.messages), log reason and metric.

Input rejections (inputs.py, session_inputs.py), domain refusals (livekit_auth.errors) and the answers API
Gateway gives in front of the function (template.yaml's GatewayResponses) alike; app.py answers, logs and
counts through the row. tests/unit/test_refusals.py fails while a Refused subclass has no row, and
tests/unit/test_template.py while a GatewayResponse has none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import cast

from inputs import (
    BadBase64,
    BodyTooLarge,
    EmptyBody,
    InvalidDevice,
    InvalidJson,
    InvalidServerUrl,
    InvalidSessionFlag,
    MissingFields,
    NotAnObject,
    ServerUrlNotAllowed,
    UnencodableText,
    UnsupportedMediaType,
)
from livekit_auth import messages
from livekit_auth.errors import (
    AccountInactive,
    AccountLocked,
    IdentityNotAllowed,
    InvalidCredentials,
    NoChannels,
    Refused,
    RoomNotAllowed,
    SessionExpired,
    SessionMissing,
    SessionReused,
    SessionUnknown,
    UserDataNotFound,
)
from livekit_auth.webhooks import WebhookRejected
from session_inputs import InvalidTokenRequest, NotConfigurable


def no_headers(_: Refused) -> dict[str, str]:
    return {}


def bearer_challenge(_: Refused) -> dict[str, str]:
    """Headers of the session rows: the client must (re)authenticate with a Bearer token (RFC 6750)."""
    return {"WWW-Authenticate": "Bearer"}


def retry_after(error: Refused) -> dict[str, str]:
    """Headers of the AccountLocked row (the table pairs them)."""
    return {"Retry-After": str(cast(AccountLocked, error).retry_after_seconds)}


class UnknownRoute(Refused):
    """No route matches (the function's not-found answer; API Gateway's MISSING_AUTHENTICATION_TOKEN)."""


class AnsweredByGateway(Refused):
    """Answered by API Gateway in front of the function (template.yaml's GatewayResponses), never raised here."""


class Throttled(AnsweredByGateway):
    """The stage's throttling or the WAF's rate rule (THROTTLED, WAF_FILTERED)."""


class MalformedRequest(AnsweredByGateway):
    """Any other request API Gateway refuses itself (DEFAULT_4XX)."""


@dataclass(frozen=True)
class ClientError:
    """One row of the mapping: how a refusal is answered, logged and counted."""

    status: int
    message: str | None  # from livekit_auth.messages, {field}s from the error; None: an empty body (EMPTY_BODY_ROWS)
    reason: str  # the log line's `reason` ({field}s from the error)
    metric: str | None  # after the route's metric prefix; None: only API Gateway answers it
    headers: Callable[[Refused], dict[str, str]] = field(default=no_headers)


REJECTED_INPUT, REFUSED = "RejectedInput", "Refused"
UNVERIFIED = "Unverified"  # the webhook's: not a configured LiveKit server's signature
# Every 4xx the API answers, one row each (tests/unit/test_refusals.py: every Refused subclass has its row).
CLIENT_ERRORS: dict[type[Refused], ClientError] = {
    UnsupportedMediaType: ClientError(415, messages.UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", REJECTED_INPUT),
    BodyTooLarge: ClientError(413, messages.PAYLOAD_TOO_LARGE, "body_too_large", REJECTED_INPUT),
    BadBase64: ClientError(400, messages.INVALID_JSON_BODY, "bad_base64", REJECTED_INPUT),
    EmptyBody: ClientError(400, messages.USERNAME_AND_PASSWORD_REQUIRED, "empty_body", REJECTED_INPUT),
    InvalidJson: ClientError(400, messages.INVALID_JSON_BODY, "invalid_json", REJECTED_INPUT),
    NotAnObject: ClientError(400, messages.INVALID_JSON_BODY, "not_an_object", REJECTED_INPUT),
    MissingFields: ClientError(400, messages.USERNAME_AND_PASSWORD_REQUIRED, "missing_fields", REJECTED_INPUT),
    UnencodableText: ClientError(400, messages.INVALID_CHARACTERS, "unencodable_text", REJECTED_INPUT),
    InvalidSessionFlag: ClientError(400, messages.INVALID_SESSION_FLAG, "invalid_session_flag", REJECTED_INPUT),
    InvalidServerUrl: ClientError(400, messages.INVALID_SERVER_URL, "invalid_server_url", REJECTED_INPUT),
    ServerUrlNotAllowed: ClientError(400, messages.INVALID_SERVER_URL, "server_url_not_allowed", REJECTED_INPUT),
    InvalidDevice: ClientError(400, messages.INVALID_DEVICE, "invalid_device", REJECTED_INPUT),
    NotConfigurable: ClientError(400, messages.FIELD_NOT_CONFIGURABLE, "not_configurable", REJECTED_INPUT),
    InvalidTokenRequest: ClientError(400, messages.INVALID_TOKEN_REQUEST, "invalid_token_request", REJECTED_INPUT),
    InvalidCredentials: ClientError(401, messages.INVALID_CREDENTIALS, "invalid_credentials", REFUSED),
    AccountInactive: ClientError(403, messages.ACCOUNT_INACTIVE, "inactive", REFUSED),
    NoChannels: ClientError(403, messages.NO_CHANNELS, "no_channels", REFUSED),
    UserDataNotFound: ClientError(404, messages.USER_DATA_NOT_FOUND, "user_data_not_found", REFUSED),
    AccountLocked: ClientError(429, messages.TOO_MANY_ATTEMPTS, "locked", "Locked", retry_after),
    SessionMissing: ClientError(401, messages.SESSION_REQUIRED, "no_session", "SessionRefused", bearer_challenge),
    SessionUnknown: ClientError(401, messages.SESSION_REQUIRED, "unknown_session", "SessionRefused", bearer_challenge),
    SessionExpired: ClientError(401, messages.SESSION_REQUIRED, "expired_session", "SessionRefused", bearer_challenge),
    SessionReused: ClientError(
        401, messages.SESSION_REQUIRED, "rotated_token_reused", "SessionReused", bearer_challenge
    ),
    RoomNotAllowed: ClientError(403, messages.ROOM_NOT_ALLOWED, "room_not_allowed", REFUSED),
    IdentityNotAllowed: ClientError(403, messages.IDENTITY_NOT_ALLOWED, "identity_not_allowed", REFUSED),
    # LiveKit's servers, not clients, read it: a bare 401, the cause (livekit_auth.webhooks) in the log only.
    WebhookRejected: ClientError(401, None, "webhook_{cause}", UNVERIFIED),
    UnknownRoute: ClientError(404, messages.ROUTE_NOT_FOUND, "unknown_route", "RouteNotFound"),
    Throttled: ClientError(429, messages.TOO_MANY_REQUESTS, "throttled", None),
    MalformedRequest: ClientError(400, messages.BAD_REQUEST, "malformed_request", None),
}
# The rows answered with no body: callers that are not clients, for whom the guide's text means nothing.
EMPTY_BODY_ROWS = {WebhookRejected}
