"""Schemathesis hooks (SCHEMATHESIS_HOOKS=tools.bench.schemathesis_hooks): the session routes get live sessions.

Each generated request to a session route carries the token of a session opened just for it, by a
login of a demo user the document's examples never name (so generated wrong passwords cannot lock
it out); every SESSION_PROBE_EVERYth one carries a token no session has, so the 401 and its
Bearer challenge are checked as well. The API's base URL comes from API_URL.
"""

from __future__ import annotations

import itertools
import os

import requests
import schemathesis

from livekit_auth.routes import LOGIN
from tools.local.demo_data import DEMO_PASSWORD, VIEWER

SESSION_PROBE_EVERY = 5
UNKNOWN_SESSION = f"{'x' * 22}.{'y' * 43}"  # the shape of a session token, of no session
TIMEOUT_SECONDS = 10


@schemathesis.auth(refresh_interval=None).apply_to(path_regex=r"^/api/auth/(token|refresh|logout)/?$", method="POST")
class SessionLogin:
    """A fresh session per request (no caching): a logout or refresh must not spoil the next case."""

    def __init__(self) -> None:
        self._calls = itertools.count(1)

    def get(self, case: schemathesis.Case, context: schemathesis.AuthContext) -> str:
        if next(self._calls) % SESSION_PROBE_EVERY == 0:
            return UNKNOWN_SESSION
        body = {"username": VIEWER.username, "password": DEMO_PASSWORD, "session": True, "device": "schemathesis"}
        answer = requests.post(os.environ["API_URL"] + LOGIN.public_path, json=body, timeout=TIMEOUT_SECONDS)
        answer.raise_for_status()
        return answer.json()["session"]["token"]

    def set(self, case: schemathesis.Case, data: str, context: schemathesis.AuthContext) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}
