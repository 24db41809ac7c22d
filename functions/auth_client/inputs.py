"""The login's input model: what a request must look like before any account is looked at.

Every refusal here is a RequestRejected carrying its status, the Persian text and the log reason;
app.py turns it into the answer.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from livekit_auth import messages
from livekit_auth.server_urls import is_allowed, is_server_url

MAX_BODY_BYTES = 16 * 1024
MAX_SERVER_URL_LENGTH = 2048
MAX_DEVICE_LENGTH = 64


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
    session: bool = False  # open a session too (issue 11); the guide's body otherwise
    device: str | None = None  # the session's label in listings

    @classmethod
    def from_event(cls, event: APIGatewayProxyEvent) -> LoginRequest:
        document = json_object(event)
        username, password = document.get("username"), document.get("password")
        if not isinstance(username, str) or not isinstance(password, str) or not username.strip() or not password:
            raise RequestRejected(400, messages.USERNAME_AND_PASSWORD_REQUIRED, "missing_fields")
        if not _encodable(username) or not _encodable(password):
            raise RequestRejected(400, messages.INVALID_CHARACTERS, "unencodable_text")
        session = document.get("session", False)
        if not isinstance(session, bool):
            raise RequestRejected(400, messages.INVALID_SESSION_FLAG, "invalid_session_flag")
        device = _device(document.get("device")) if session else None  # the guide ignores unknown fields
        return cls(username, password, _server_url(document.get("server_url")), session, device)

    def answer_server_url(self, default: str, allowed: tuple[str, ...]) -> str:
        """The server_url to answer with: the request's, if `allowed` is empty or lists it (the default
        always counts as listed); the default when the request sent none. Otherwise a 400."""
        if self.server_url is None:
            return default
        if not is_allowed(self.server_url, default, allowed):
            raise RequestRejected(400, messages.INVALID_SERVER_URL, "server_url_not_allowed")
        return self.server_url


def json_object(event: APIGatewayProxyEvent) -> dict:
    """The body as a JSON object, or the 413/415/400 every route's input model shares."""
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
    if not is_server_url(value) or not _encodable(value):
        raise RequestRejected(400, messages.INVALID_SERVER_URL, "invalid_server_url")
    return value


def _device(value: object) -> str | None:
    """Optional; printable text of at most MAX_DEVICE_LENGTH characters (it is shown in listings)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_DEVICE_LENGTH or not value.isprintable():
        raise RequestRejected(400, messages.INVALID_DEVICE, "invalid_device")
    if not _encodable(value):
        raise RequestRejected(400, messages.INVALID_DEVICE, "invalid_device")
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
