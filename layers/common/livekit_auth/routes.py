"""The API's routes, one row each: the handler registers them, answers their preflights, logs and counts
under their names, and the local API Gateway serves them (tests/unit/test_routes.py holds the rows equal
to template.yaml's events).

Adding a route: one row here, one handler in functions/auth_client/app.py, one event in template.yaml,
one test.
"""

from __future__ import annotations

from dataclasses import dataclass

from livekit_auth import browser

PREFLIGHT_METHOD = "OPTIONS"  # every route answers its CORS preflight


@dataclass(frozen=True)
class Route:
    path: str  # the template's resource; the guide writes it with a trailing slash, and both are answered
    method: str
    handler: str  # the name of the function in app.py that answers it
    log_message: str  # the `message` of the route's one log line per request
    metric_prefix: str  # its metrics are <prefix>Succeeded, <prefix>RejectedInput, <prefix>ServerError ...
    allowed_headers: str = browser.ALLOWED_HEADERS  # what its preflight admits

    @property
    def public_path(self) -> str:
        """The path as the guide and clients write it."""
        return self.path + "/"


ROUTES = (
    Route("/api/auth/client", "POST", "log_in", "login attempt", "Login"),
    Route("/api/auth/token", "POST", "fetch_token", "token request", "Token", browser.SESSION_HEADERS),
    Route("/api/auth/refresh", "POST", "refresh_session", "session refresh", "Refresh", browser.SESSION_HEADERS),
    Route("/api/auth/logout", "POST", "log_out", "session logout", "Logout", browser.SESSION_HEADERS),
    # LiveKit's servers, not browsers, call it (livekit_auth.webhooks); its preflight admits nothing beyond the default
    Route("/api/livekit/webhook", "POST", "livekit_webhook", "livekit webhook", "Webhook"),
)
LOGIN, TOKEN, REFRESH, LOGOUT, WEBHOOK = ROUTES


def route_at(path: str | None) -> Route | None:
    """The route a template resource (with or without its trailing slash) belongs to, if any."""
    return next((route for route in ROUTES if route.path == (path or "").rstrip("/")), None)


def methods() -> set[tuple[str, str]]:
    """(method, path) of every route and its preflight: what template.yaml's events must declare."""
    return {(route.method, route.path) for route in ROUTES} | {(PREFLIGHT_METHOD, route.path) for route in ROUTES}
