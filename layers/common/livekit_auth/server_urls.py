"""LiveKit server URLs: what a `server_url` may look like, and when two name the same server.

Shared by the input model (a request's `server_url`) and the configuration (ALLOWED_SERVER_URLS).
"""

from __future__ import annotations

import functools
from urllib.parse import urlsplit, urlunsplit

SERVER_URL_SCHEMES = frozenset({"http", "https", "ws", "wss"})


def is_server_url(text: str) -> bool:
    """An http(s) or ws(s) URL with a host."""
    try:
        parts = urlsplit(text)
        return parts.scheme.lower() in SERVER_URL_SCHEMES and bool(parts.hostname)
    except ValueError:
        return False


def same_server_key(url: str) -> str:
    """What allowlist entries and requests are compared by: scheme and host lower-cased, no trailing `/`."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, ""))


def is_allowed(url: str, default: str, allowed: tuple[str, ...]) -> bool:
    """Whether `url` may be answered: any URL when no list is configured; else a listed one or the default."""
    return not allowed or same_server_key(url) in _allowed_keys(allowed, default)


@functools.cache
def _allowed_keys(allowed: tuple[str, ...], default: str) -> frozenset[str]:
    """The configured list's keys, worked out once per container rather than on every request."""
    return frozenset(same_server_key(entry) for entry in (*allowed, default))
