"""The session routes' input model: the Bearer session token, and LiveKit's TokenSourceRequest.

TokenSourceRequest is what LiveKit's client SDKs send to a standard token endpoint (snake_case
protobuf field names, every field optional). The service decides the participant's name, metadata,
attributes and room configuration: a client that sets one gets a 4xx, as LiveKit's guidance for
endpoints says. Refusals are RequestRejected subclasses, like the login's.
"""

from __future__ import annotations

from dataclasses import dataclass

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from inputs import RequestRejected, json_object

NOT_CONFIGURABLE = ("participant_name", "participant_metadata", "participant_attributes", "room_config")
BEARER_SCHEME = "bearer"


class NotConfigurable(RequestRejected):
    """The client set a field the service decides (NOT_CONFIGURABLE)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field  # named in the answer's text


class InvalidTokenRequest(RequestRejected):
    """room_name or participant_identity is not text."""


def bearer_token(event: APIGatewayProxyEvent) -> str | None:
    """The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), if any."""
    scheme, _, token = (event.headers.get("authorization") or "").strip().partition(" ")
    if scheme.lower() != BEARER_SCHEME:
        return None
    return token.strip() or None


@dataclass(frozen=True)
class TokenRequest:
    room_name: str | None
    participant_identity: str | None

    @classmethod
    def from_event(cls, event: APIGatewayProxyEvent) -> TokenRequest:
        """`{}` and an empty body (with any content type) both ask for the defaults."""
        document = json_object(event) if (event.body or "").strip() else {}
        for name in NOT_CONFIGURABLE:
            if document.get(name) not in (None, "", {}, []):
                raise NotConfigurable(name)
        room, identity = document.get("room_name"), document.get("participant_identity")
        if not isinstance(room, str | None) or not isinstance(identity, str | None):
            raise InvalidTokenRequest()
        return cls(room or None, identity or None)  # "" is protobuf JSON's unset field: absent
