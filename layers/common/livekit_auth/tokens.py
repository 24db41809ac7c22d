"""LiveKit access tokens: one HS256 JWT per channel, in the claim layout LiveKit's server reads."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import jwt


@dataclass(frozen=True)
class LiveKitCredentials:
    """The API key and secret that sign tokens (read by livekit_auth.credentials); the secret never prints."""

    api_key: str
    api_secret: str = field(repr=False)

    # One SSM SecureString holds both, as this JSON object, so a rotation changes them in one write.
    def parameter_value(self) -> str:
        return json.dumps({"api_key": self.api_key, "api_secret": self.api_secret})

    @classmethod
    def from_parameter_document(cls, document: object) -> LiveKitCredentials:
        """The pair from the parameter's value, parsed as JSON; ValueError (never quoting it) when malformed."""
        if not isinstance(document, dict) or set(document) != {"api_key", "api_secret"}:
            raise ValueError('the value is not a JSON object with exactly "api_key" and "api_secret"')
        if not all(isinstance(document[name], str) and document[name] for name in ("api_key", "api_secret")):
            raise ValueError('"api_key" and "api_secret" must be non-empty strings')
        return cls(api_key=document["api_key"], api_secret=document["api_secret"])


@dataclass(frozen=True)
class VideoGrant:
    room: str
    can_publish: bool = True
    can_subscribe: bool = True
    can_publish_data: bool = True

    def claim(self) -> dict[str, object]:
        return {
            "room": self.room,
            "roomJoin": True,
            "canPublish": self.can_publish,
            "canSubscribe": self.can_subscribe,
            "canPublishData": self.can_publish_data,
        }


@dataclass(frozen=True)
class RoomAdminGrant:
    """What RoomService calls on one room need (livekit_auth.room_service): roomAdmin on that room only."""

    room: str

    def claim(self) -> dict[str, object]:
        return {"room": self.room, "roomAdmin": True}


def room_name(channel_id: int) -> str:
    """The guide's rule: a channel's LiveKit room is `channel-{channel_id}`."""
    return f"channel-{channel_id}"


def mint_token(
    *,
    credentials: LiveKitCredentials,
    identity: str,
    display_name: str,
    grant: VideoGrant | RoomAdminGrant,
    issued_at: int,
    ttl_seconds: int,
) -> str:
    claims = {
        "iss": credentials.api_key,
        "sub": identity,
        "name": display_name,
        "nbf": issued_at,
        "exp": issued_at + ttl_seconds,
        "video": grant.claim(),
    }
    return jwt.encode(claims, credentials.api_secret, algorithm="HS256")
