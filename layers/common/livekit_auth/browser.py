"""What browsers are told: CORS (ASVS 3.4.2, 14.3.2) and the headers every answer carries.

Written here rather than with Powertools' CORSConfig because that one always allows five
request headers, echoes any origin under "*", and never sends `Vary: Origin`.
"""

from __future__ import annotations

from collections.abc import Mapping

ALLOWED_METHOD = "POST"
ALLOWED_HEADERS = "Content-Type"
SESSION_HEADERS = f"Authorization, {ALLOWED_HEADERS}"  # the session routes also carry a Bearer token
PREFLIGHT_MAX_AGE_SECONDS = 7200  # Chromium's ceiling

# On every answer, errors included: login answers must not be cached or sniffed into HTML.
SECURITY_HEADERS = {"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"}

# Answer headers a browser app may read beyond the CORS-safelisted ones: a locked account's
# Retry-After says when to try again, and fetch() hides it unless it is exposed.
EXPOSABLE_HEADERS = ("Retry-After",)


def cors_headers(origin: str | None, allowed_origins: tuple[str, ...]) -> dict[str, str]:
    """`*` for any origin when allowed; otherwise the caller's origin if listed, and `Vary: Origin`."""
    if "*" in allowed_origins:
        return {"Access-Control-Allow-Origin": "*"}
    headers = {"Vary": "Origin"}
    if origin and origin.rstrip("/") in allowed_origins:
        headers["Access-Control-Allow-Origin"] = origin
    return headers


def preflight_headers(
    origin: str | None, allowed_origins: tuple[str, ...], allowed_headers: str = ALLOWED_HEADERS
) -> dict[str, str]:
    """The answer to OPTIONS: only the one method and the request headers the route uses."""
    headers = cors_headers(origin, allowed_origins)
    if "Access-Control-Allow-Origin" in headers:
        headers.update(
            {
                "Access-Control-Allow-Methods": ALLOWED_METHOD,
                "Access-Control-Allow-Headers": allowed_headers,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE_SECONDS),
            }
        )
    return headers


def exposed_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """`Access-Control-Expose-Headers` naming those of an answer's `headers` the app needs to read."""
    exposed = [name for name in EXPOSABLE_HEADERS if name in headers]
    return {"Access-Control-Expose-Headers": ", ".join(exposed)} if exposed else {}
