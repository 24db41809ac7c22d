"""LiveKit webhooks: only a configured server's key over exactly this body passes; and what a participant
that just joined may keep, for each way its access can have ended."""

from __future__ import annotations

import base64
import hashlib
import time

import jwt
import pytest

from livekit_auth.server_keys import ServerKeys
from livekit_auth.storage.records import Membership, User
from livekit_auth.tokens import LiveKitCredentials
from livekit_auth.webhooks import (
    Account,
    Identity,
    Verdict,
    WebhookRejected,
    channel_of,
    decide,
    parse_identity,
    verify,
)
from tools.local.fake_livekit import sign_webhook, webhook_body

EU = LiveKitCredentials("APIeu", "eu-secret-that-is-at-least-32-bytes-long")
US = LiveKitCredentials("APIus", "us-secret-that-is-at-least-32-bytes-long")
KEYS = ServerKeys.from_parameter_document(
    {
        url: {"api_key": pair.api_key, "api_secret": pair.api_secret}
        for url, pair in (("wss://eu.x", EU), ("wss://us.x", US))
    },
    "wss://eu.x",
)
USER_ID = "8f14e45f-ceea-467f-a0e6-1c5b1c1e6f3a"
BODY = webhook_body("participant_joined", "channel-7", f"{USER_ID}:phone")


def test_a_webhook_signed_by_a_configured_server_passes_with_that_server():
    webhook = verify(BODY, sign_webhook(BODY, US), KEYS)
    assert (webhook.kind, webhook.room, webhook.identity, webhook.can_publish) == (
        "participant_joined",
        "channel-7",
        f"{USER_ID}:phone",
        True,
    )
    assert webhook.servers == [("wss://us.x", US)]


def forged(claims: dict, secret: str) -> str:
    return jwt.encode(claims, secret, algorithm="HS256")


def body_hash(body: bytes) -> str:
    return base64.b64encode(hashlib.sha256(body).digest()).decode()


NOW = int(time.time())
REJECTED = {
    "unsigned": (None, "no_authorization"),
    "not a JWT": ("not-a-token", "malformed_token"),
    "badly signed": (sign_webhook(BODY, EU)[:-4] + "AAAA", "invalid_token"),
    "unknown key": (sign_webhook(BODY, LiveKitCredentials("APIother", EU.api_secret)), "unknown_key"),
    "a known key with another secret": (
        sign_webhook(BODY, LiveKitCredentials("APIeu", US.api_secret)),
        "invalid_token",
    ),
    "expired": (sign_webhook(BODY, EU, issued_at=NOW - 3600, ttl=60), "expired_token"),
    "no sha256 claim": (forged({"iss": "APIeu", "exp": NOW + 60}, EU.api_secret), "invalid_token"),
    "no expiry": (forged({"iss": "APIeu", "sha256": body_hash(BODY)}, EU.api_secret), "invalid_token"),
    "body tampered": (sign_webhook(BODY.replace(b"channel-7", b"channel-8"), EU), "body_mismatch"),
    "alg none": (
        jwt.encode({"iss": "APIeu", "exp": NOW + 60, "sha256": body_hash(BODY)}, None, algorithm="none"),
        "invalid_token",
    ),
}


@pytest.mark.parametrize(("authorization", "reason"), REJECTED.values(), ids=REJECTED.keys())
def test_anything_but_a_configured_servers_signature_over_this_body_is_rejected(authorization, reason):
    with pytest.raises(WebhookRejected) as rejected:
        verify(BODY, authorization, KEYS)
    assert rejected.value.cause == reason


def test_identities_and_rooms_the_service_never_issues_are_told_apart():
    assert parse_identity(USER_ID) == Identity(USER_ID, None)
    assert parse_identity(f"{USER_ID}:phone") == Identity(USER_ID, "phone")
    assert parse_identity(f"{USER_ID}:") is None
    assert parse_identity(USER_ID.upper()) is None  # not as the service writes user ids
    assert parse_identity("egress-recorder") is None
    assert parse_identity("") is None
    assert channel_of("channel-7") == 7
    assert channel_of("channel-007") is None
    assert channel_of("lobby") is None
    assert channel_of("channel-٣") is None  # a non-ASCII digit


USER = User("a@example.com", USER_ID, "hash", active=True, session_generation=3)
MEMBER = Membership(7, "seven")
VIEWER = Membership(7, "seven", can_publish=False)
DECISIONS = {
    # (identity, account, joined with publish) -> verdict
    "member keeps": (Identity(USER_ID, None), Account(USER, {7: MEMBER}, None), True, Verdict.KEEP),
    "device with a live session keeps": (
        Identity(USER_ID, "phone"),
        Account(USER, {7: MEMBER}, True),
        True,
        Verdict.KEEP,
    ),
    "disabled": (
        Identity(USER_ID, None),
        Account(User("a@example.com", USER_ID, "h", active=False), {7: MEMBER}, None),
        True,
        Verdict.REMOVE,
    ),
    "user gone": (Identity(USER_ID, None), Account(None, {}, None), True, Verdict.REMOVE),
    "username reused by another user": (
        Identity(USER_ID, None),
        Account(User("a@example.com", "user-2", "h", True), {7: MEMBER}, None),
        True,
        Verdict.REMOVE,
    ),
    "device logged out or revoked": (
        Identity(USER_ID, "phone"),
        Account(USER, {7: MEMBER}, False),
        True,
        Verdict.REMOVE,
    ),
    "grant revoked": (Identity(USER_ID, None), Account(USER, {8: MEMBER}, None), True, Verdict.REMOVE),
    "downgraded to viewer": (Identity(USER_ID, None), Account(USER, {7: VIEWER}, None), True, Verdict.RESTRICT),
    "viewer joined as viewer": (Identity(USER_ID, None), Account(USER, {7: VIEWER}, None), False, Verdict.KEEP),
}


@pytest.mark.parametrize(("identity", "account", "can_publish", "verdict"), DECISIONS.values(), ids=DECISIONS.keys())
def test_what_a_participant_that_just_joined_may_keep(identity, account, can_publish, verdict):
    assert decide(identity, 7, account, can_publish) is verdict
