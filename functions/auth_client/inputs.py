"""The login's input model: what a request must look like before any account is looked at.

Every refusal here is a RequestRejected subclass, one per reason; app.py's CLIENT_ERRORS gives each
its status, Persian text and metric.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from livekit_auth.errors import Refused
from livekit_auth.server_urls import is_allowed, is_server_url

MAX_BODY_BYTES = 16 * 1024
MAX_SERVER_URL_LENGTH = 2048
MAX_DEVICE_LENGTH = 64


class RequestRejected(Refused):
    """Input refused before any account is looked at."""


class UnsupportedMediaType(RequestRejected):
    """The body is not declared JSON."""


class BodyTooLarge(RequestRejected):
    """Over MAX_BODY_BYTES, encoded or decoded."""


class BadBase64(RequestRejected):
    """A body marked base64 that is not."""


class EmptyBody(RequestRejected):
    pass


class InvalidJson(RequestRejected):
    pass


class NotAnObject(RequestRejected):
    """JSON, but not an object."""


class MissingFields(RequestRejected):
    """No username or password, or not text."""


class UnencodableText(RequestRejected):
    """Text UTF-8 cannot encode (a lone surrogate)."""


class InvalidSessionFlag(RequestRejected):
    pass


class InvalidServerUrl(RequestRejected):
    pass


class ServerUrlNotAllowed(RequestRejected):
    """A well-formed server_url the deployment does not list."""


class InvalidDevice(RequestRejected):
    pass


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
            raise MissingFields()
        if not _encodable(username) or not _encodable(password):
            raise UnencodableText()
        session = document.get("session", False)
        if not isinstance(session, bool):
            raise InvalidSessionFlag()
        device = _device(document.get("device")) if session else None  # the guide ignores unknown fields
        return cls(username, password, _server_url(document.get("server_url")), session, device)

    def answer_server_url(self, default: str, allowed: tuple[str, ...]) -> str:
        """The server_url to answer with: the request's, if `allowed` is empty or lists it (the default
        always counts as listed); the default when the request sent none. Otherwise a 400."""
        if self.server_url is None:
            return default
        if not is_allowed(self.server_url, default, allowed):
            raise ServerUrlNotAllowed()
        return self.server_url


def json_object(event: APIGatewayProxyEvent) -> dict:
    """The body as a JSON object, or the 413/415/400 every route's input model shares."""
    media_type = (event.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type != "application/json" and not media_type.endswith("+json"):
        raise UnsupportedMediaType()
    body = event.body or ""
    if len(body) > 2 * MAX_BODY_BYTES:
        raise BodyTooLarge()
    if event.is_base64_encoded:
        try:
            raw = base64.b64decode(body, validate=True)
            body = raw.decode("utf-8")
        except (binascii.Error, ValueError):
            raise BadBase64() from None
    if len(body.encode("utf-8", "surrogatepass")) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    if not body.strip():
        raise EmptyBody()
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        raise InvalidJson() from None
    if not isinstance(document, dict):
        raise NotAnObject()
    return document


def _server_url(value: object) -> str | None:
    """Optional; when given, an http(s) or ws(s) URL with a host."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_SERVER_URL_LENGTH or not value.isprintable() or " " in value:
        raise InvalidServerUrl()
    if not is_server_url(value) or not _encodable(value):
        raise InvalidServerUrl()
    return value


def _device(value: object) -> str | None:
    """Optional; printable text of at most MAX_DEVICE_LENGTH characters (it is shown in listings)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_DEVICE_LENGTH or not value.isprintable():
        raise InvalidDevice()
    if not _encodable(value):
        raise InvalidDevice()
    return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
