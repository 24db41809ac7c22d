"""Writes events/: one API Gateway event per guide row and per class of bad input.

Each file works with `sam local invoke AuthClientFunction -e events/<file>` and `make invoke EVENT=...`
against the demo data. `python -m tools.ci.make_events` rewrites them; a test checks they match.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from livekit_auth.routes import LOGIN, LOGOUT, REFRESH, TOKEN, WEBHOOK, Route
from livekit_auth.tokens import LiveKitCredentials
from tools import REPO_ROOT
from tools.local.demo_data import (
    DEMO,
    DEMO_PASSWORD,
    DEMO_SESSION_TOKENS,
    INACTIVE,
    NO_CHANNELS,
    NO_DATA,
    VIEWER,
)
from tools.local.events import preflight_event, proxy_event, route_event
from tools.local.fake_aws import DEV_API_KEY, DEV_API_SECRET
from tools.local.fake_livekit import sign_webhook, webhook_body

EVENTS_DIR = REPO_ROOT / "events"


ORIGIN = "https://app.example.com"
JSON_HEADERS = {"Content-Type": "application/json", "Origin": ORIGIN, "User-Agent": "events/1.0"}


def _login(body: Any, *, headers: dict[str, str] | None = None, **options: Any) -> dict:
    return route_event(LOGIN, body, headers=headers or JSON_HEADERS, **options)


# A webhook of `make run`'s LiveKit (its dev key pair), signed for good (files on disk must not expire), for a
# participant this service never issued a token to: a live server would be asked to remove it.
WEBHOOK_BODY = webhook_body("participant_joined", "channel-7654321", "00000000-0000-4000-8000-000000000000")
WEBHOOK_PAIR = LiveKitCredentials(DEV_API_KEY, DEV_API_SECRET)
WEBHOOK_SIGNED = sign_webhook(WEBHOOK_BODY, WEBHOOK_PAIR, issued_at=1_764_000_000, ttl=2**31)


def _webhook(authorization: str | None, body: bytes = WEBHOOK_BODY) -> dict:
    signed = {"Authorization": authorization} if authorization else {}
    headers = {"Content-Type": "application/webhook+json", **signed}
    return route_event(WEBHOOK, raw=body.decode(), headers=headers)


def _credentials(username: str, password: str = DEMO_PASSWORD, **extra: Any) -> dict:
    return {"username": username, "password": password, **extra}


def _session_route(route: Route, token: str | None, body: Any = None, **options: Any) -> dict:
    """A POST to a session route with the demo data's session `token` (DEMO_SESSION_TOKENS) as Bearer."""
    return route_event(route, body, token=token, headers=JSON_HEADERS, **options)


def _session_preflight(route: Route) -> dict:
    return preflight_event(route, ORIGIN, "authorization,content-type")


UNKNOWN_SESSION_TOKEN = "unknown000000000000000." + "0" * 43  # well-formed, never issued
SESSION = DEMO_SESSION_TOKENS["token"]

# name -> (expected status, event)
EVENTS: dict[str, tuple[int, dict]] = {
    "login_ok": (200, _login(_credentials(DEMO.username, server_url="https://livekit.yourdomain.com"))),
    "login_ok_default_server_url": (200, _login(_credentials(DEMO.username))),
    "login_ok_mixed_case_username": (200, _login(_credentials("  Demo@Example.COM "))),
    "login_ok_read_only_channel": (200, _login(_credentials(VIEWER.username))),
    "login_ok_base64_body": (200, {**_login(None, raw=json.dumps(_credentials(DEMO.username)), base64_body=True)}),
    "missing_fields": (400, _login({"username": DEMO.username})),
    "empty_password": (400, _login(_credentials(DEMO.username, ""))),
    "wrong_types": (400, _login({"username": 42, "password": True})),
    "empty_body": (400, _login(None, raw="")),
    "non_json_body": (400, _login(None, raw="username=demo@example.com&password=x")),
    "not_an_object": (400, _login(["demo@example.com", DEMO_PASSWORD])),
    "bad_base64_body": (400, _login(None, raw="%%%not-base64%%%", base64_body=False) | {"isBase64Encoded": True}),
    "lone_surrogate_password": (
        400,
        _login(None, raw='{"username": "demo@example.com", "password": "\\ud800"}'),
    ),
    "invalid_server_url": (400, _login(_credentials(DEMO.username, server_url="ftp://livekit.example.com"))),
    "wrong_password": (401, _login(_credentials(DEMO.username, "not-the-password"))),
    "unknown_user": (401, _login(_credentials("nobody@example.com"))),
    "password_over_72_bytes": (401, _login(_credentials(DEMO.username, "p" * 100))),
    "inactive": (403, _login(_credentials(INACTIVE.username))),
    "no_channels": (403, _login(_credentials(NO_CHANNELS.username))),
    "user_data_missing": (404, _login(_credentials(NO_DATA.username))),
    "body_too_large": (413, _login(_credentials(DEMO.username, padding="x" * 20000))),
    "text_plain_body": (
        415,
        _login(_credentials(DEMO.username), headers={**JSON_HEADERS, "Content-Type": "text/plain"}),
    ),
    "form_body": (
        415,
        _login(
            None,
            raw="username=demo%40example.com&password=x",
            headers={**JSON_HEADERS, "Content-Type": "application/x-www-form-urlencoded"},
        ),
    ),
    "preflight": (204, preflight_event(LOGIN, ORIGIN, "content-type")),
    "unknown_route": (404, proxy_event("GET", "/api/unknown", resource="/api/unknown")),
    # Sessions (issue 11): opening one with the login, then the token endpoint, refresh and logout.
    "login_ok_session": (200, _login(_credentials(DEMO.username, session=True, device="Pixel 8"))),
    "invalid_session_flag": (400, _login(_credentials(DEMO.username, session="yes"))),
    "invalid_device": (400, _login(_credentials(DEMO.username, session=True, device="x" * 65))),
    "token_ok": (201, _session_route(TOKEN, SESSION, {})),
    "token_ok_empty_body": (201, _session_route(TOKEN, SESSION, raw="")),
    "token_ok_room": (201, _session_route(TOKEN, SESSION, {"room_name": "channel-7654321"})),
    "token_not_configurable": (400, _session_route(TOKEN, SESSION, {"participant_name": "Mallory"})),
    "token_no_session": (401, _session_route(TOKEN, None, {})),
    "token_unknown_session": (401, _session_route(TOKEN, UNKNOWN_SESSION_TOKEN, {})),
    "token_room_not_allowed": (403, _session_route(TOKEN, SESSION, {"room_name": "channel-1"})),
    "token_identity_not_allowed": (403, _session_route(TOKEN, SESSION, {"participant_identity": "admin"})),
    "token_preflight": (204, _session_preflight(TOKEN)),
    "refresh_ok": (200, _session_route(REFRESH, DEMO_SESSION_TOKENS["refresh"], raw="")),
    "refresh_unknown_session": (401, _session_route(REFRESH, UNKNOWN_SESSION_TOKEN, raw="")),
    "refresh_preflight": (204, _session_preflight(REFRESH)),
    "logout_ok": (204, _session_route(LOGOUT, DEMO_SESSION_TOKENS["logout"], raw="")),
    "logout_unknown_session": (401, _session_route(LOGOUT, UNKNOWN_SESSION_TOKEN, raw="")),
    "logout_preflight": (204, _session_preflight(LOGOUT)),
    # LiveKit webhooks (issue 20): a bare 401 unless the server's key signed exactly this body.
    "webhook_participant_joined": (200, _webhook(WEBHOOK_SIGNED)),
    "webhook_unsigned": (401, _webhook(None)),
    "webhook_body_tampered": (401, _webhook(WEBHOOK_SIGNED, WEBHOOK_BODY.replace(b"channel-", b"channel-1"))),
}


FIXED_EPOCH_MS = 1_764_000_000_000  # events on disk do not change from one generation to the next


def event_file_text(name: str) -> str:
    """The JSON text of events/<name>.json, with a fixed request id and time."""
    event = json.loads(json.dumps(EVENTS[name][1]))
    context = event["requestContext"]
    context["requestId"] = context["extendedRequestId"] = f"event-{name}"
    context["requestTimeEpoch"] = FIXED_EPOCH_MS
    context["requestTime"] = "24/Nov/2025:16:00:00 +0000"
    return json.dumps(event, ensure_ascii=False, indent=2) + "\n"


def write_events(directory: Path = EVENTS_DIR) -> list[Path]:
    directory.mkdir(exist_ok=True)
    paths = []
    for name in EVENTS:
        path = directory / f"{name}.json"
        path.write_text(event_file_text(name), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    for written in write_events():
        print(written.relative_to(EVENTS_DIR.parent))
