"""Session tokens: how one is made, what is stored instead of it, and the successor a rotation keeps sealed.

A token is `<session id>.<secret>`: SESSION_ID_BYTES then SECRET_BYTES from the OS CSPRNG, URL-safe base64.
The table keeps only token_hash of it; sessions.py rotates, checks and revokes with these.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets

from livekit_auth.storage.sessions import TokenRecord

SESSION_ID_BYTES = 16
SECRET_BYTES = 32  # 256 bits from the OS CSPRNG
TOKEN_PATTERN = re.compile(r"([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})")  # token_urlsafe of 16 and 32 bytes
SUCCESSOR_PAD_CONTEXT = b"livekit-auth session token successor v1"  # what seal_successor's pad is for


def token_hash(token: str) -> str:
    """What is stored instead of the token: its SHA-256, hex.

    A fast hash is enough here, unlike for passwords: the token carries 256 random bits, so nobody
    can guess their way back from a leaked hash, and a slow hash (bcrypt) would only cost every
    token call. Unsalted on purpose, so the hash itself is the lookup key.
    """
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_session_token(session_id: str) -> str:
    return f"{session_id}.{secrets.token_urlsafe(SECRET_BYTES)}"


def seal_successor(presented: str, successor: str) -> str:
    """The successor's secret as the old token's item keeps it: XORed with a pad only the old token computes.

    A refresh replayed within the grace window must answer the successor already issued, but the table
    keeps no token a client could present. The pad is HMAC-SHA256 keyed with the presented token, which
    is never stored (its SHA-256 is: HMAC's output tells nothing of it), so a read of the table opens
    nothing, and whoever presents the old token could have had the successor from the refresh anyway.
    Each token is rotated at most once (the store's condition), so each pad seals one secret: a one-time
    pad. The standard library's HMAC, where AES-GCM would add a native dependency to the layer.
    """
    secret = base64.urlsafe_b64decode(successor.split(".", 1)[1] + "=")
    return _b64(_xor(secret, _successor_pad(presented)))


def open_successor(presented: str, token: TokenRecord) -> str | None:
    """The successor seal_successor sealed on the presented token's item, or None without one (or a bad one)."""
    if token.successor_sealed is None or token.successor_hash is None:
        return None
    sealed = base64.urlsafe_b64decode(token.successor_sealed + "=")
    if len(sealed) != SECRET_BYTES:
        return None
    successor = f"{presented.split('.', 1)[0]}.{_b64(_xor(sealed, _successor_pad(presented)))}"
    return successor if hmac.compare_digest(token_hash(successor), token.successor_hash) else None


def _successor_pad(presented: str) -> bytes:
    return hmac.new(presented.encode("ascii"), SUCCESSOR_PAD_CONTEXT, hashlib.sha256).digest()


def _xor(data: bytes, pad: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")
