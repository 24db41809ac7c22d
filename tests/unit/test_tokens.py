"""Tokens are checked with LiveKit's own verifier, not with our own decoding."""

import time
from datetime import timedelta

import jwt
import pytest
from livekit.api import TokenVerifier

from livekit_auth.tokens import LiveKitCredentials, VideoGrant, mint_token, room_name

KEY, SECRET = "APIkey", "a-secret-of-at-least-thirty-two-bytes"


def mint(grant: VideoGrant, ttl: int = 3600, issued_at: int | None = None) -> str:
    return mint_token(
        credentials=LiveKitCredentials(KEY, SECRET),
        identity="user-id-1",
        display_name="user@example.com",
        grant=grant,
        issued_at=int(time.time()) if issued_at is None else issued_at,
        ttl_seconds=ttl,
    )


def test_livekit_verifies_the_token_and_reads_identity_name_and_grant():
    claims = TokenVerifier(KEY, SECRET).verify(mint(VideoGrant(room_name(1234567))))
    assert claims.identity == "user-id-1"
    assert claims.name == "user@example.com"
    assert claims.video.room == "channel-1234567"
    assert claims.video.room_join is True
    assert (claims.video.can_publish, claims.video.can_subscribe, claims.video.can_publish_data) == (True, True, True)


def test_grant_flags_reach_the_token():
    grant = VideoGrant("channel-1", can_publish=False, can_subscribe=True, can_publish_data=False)
    claims = TokenVerifier(KEY, SECRET).verify(mint(grant))
    assert (claims.video.can_publish, claims.video.can_subscribe, claims.video.can_publish_data) == (False, True, False)


def test_a_token_signed_with_another_secret_is_rejected():
    with pytest.raises(jwt.InvalidSignatureError):
        TokenVerifier(KEY, "another-secret-of-at-least-32-bytes!").verify(mint(VideoGrant("channel-1")))


def test_an_expired_token_is_rejected():
    with pytest.raises(jwt.ExpiredSignatureError):
        TokenVerifier(KEY, SECRET, leeway=timedelta(0)).verify(
            mint(VideoGrant("channel-1"), ttl=60, issued_at=int(time.time()) - 3600)
        )
