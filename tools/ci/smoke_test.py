"""Post-deploy smoke test: one real login against a deployed stage, every token checked by LiveKit itself.

A deploy is only good if a client can log in and LiveKit will accept what it gets, so this logs in a
dedicated smoke-test user, checks the guide's 200 body shape, and verifies each token with
`livekit.api.TokenVerifier` (LiveKit's own code, a dev dependency only) under the stage's key and secret.

Configuration comes from the environment (CI reads the key and secret from SSM):
    SMOKE_API_URL       the login endpoint, e.g. the stack's ApiUrl output
    SMOKE_USERNAME      the smoke-test user (a real user with at least one channel)
    SMOKE_PASSWORD      its password
    LIVEKIT_API_KEY     the stage's LiveKit API key
    LIVEKIT_API_SECRET  the stage's LiveKit API secret

Exits 0 when every check passes, 1 with one line saying what failed otherwise. It never prints the
password, a token, the secret or the response body.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from livekit.api import TokenVerifier

REQUEST_TIMEOUT_SECONDS = 30  # above the function's Timeout (template.yaml): a slow cold start is not a failure
REQUIRED_ENV = ("SMOKE_API_URL", "SMOKE_USERNAME", "SMOKE_PASSWORD", "LIVEKIT_API_KEY", "LIVEKIT_API_SECRET")


class SmokeFailure(Exception):
    """A check failed; the message says which, without any credential or token in it."""


@dataclass(frozen=True)
class SmokeConfig:
    api_url: str
    username: str
    password: str = field(repr=False)
    api_key: str
    api_secret: str = field(repr=False)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmokeConfig:
        missing = [name for name in REQUIRED_ENV if not env.get(name)]
        if missing:
            raise SmokeFailure(f"set {', '.join(missing)} in the environment")
        return cls(
            api_url=env["SMOKE_API_URL"],
            username=env["SMOKE_USERNAME"],
            password=env["SMOKE_PASSWORD"],
            api_key=env["LIVEKIT_API_KEY"],
            api_secret=env["LIVEKIT_API_SECRET"],
        )


@dataclass(frozen=True)
class LoginAnswer:
    status: int
    headers: Mapping[str, str]
    body: Any


@dataclass(frozen=True)
class SmokeReport:
    user_id: str
    channel_ids: tuple[int, ...]

    def summary(self) -> str:
        channels = ", ".join(str(channel_id) for channel_id in self.channel_ids)
        return f"smoke test passed: 200, {len(self.channel_ids)} token(s) verified by LiveKit (channels {channels})"


def post_login(api_url: str, username: str, password: str) -> LoginAnswer:
    """POST the guide's JSON body; any HTTP status is an answer, only a broken connection raises."""
    parts = urlsplit(api_url)
    if parts.scheme != "https" and parts.hostname not in {"localhost", "127.0.0.1"}:
        raise SmokeFailure("SMOKE_API_URL must be https (plain http only for localhost)")
    request = urllib.request.Request(  # noqa: S310 - the scheme is checked above
        api_url,
        data=json.dumps({"username": username, "password": password}).encode("utf-8"),
        headers={"Content-Type": "application/json", "User-Agent": "livekit-auth-smoke-test/1.0"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=REQUEST_TIMEOUT_SECONDS) as response:  # noqa: S310
            status, headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, headers, raw = error.code, dict(error.headers), error.read()
    except (urllib.error.URLError, TimeoutError) as error:
        raise SmokeFailure(f"could not reach {api_url}: {getattr(error, 'reason', error)}") from None
    try:
        body = json.loads(raw.decode("utf-8")) if raw else None
    except (UnicodeDecodeError, ValueError):
        body = None
    return LoginAnswer(status, {name.lower(): value for name, value in headers.items()}, body)


def check_login_answer(answer: LoginAnswer, *, username: str, api_key: str, api_secret: str) -> SmokeReport:
    """The guide's 200 shape, and every token accepted by LiveKit's verifier for its own room."""
    if answer.status != 200:
        error = answer.body.get("error") if isinstance(answer.body, dict) else None
        raise SmokeFailure(f"expected 200, got {answer.status}" + (f" ({error})" if error else ""))
    if not answer.headers.get("content-type", "").startswith("application/json"):
        raise SmokeFailure("the answer is not application/json")
    if "no-store" not in answer.headers.get("cache-control", ""):
        raise SmokeFailure("the answer may be cached: Cache-Control lacks no-store")
    body = answer.body
    if not isinstance(body, dict) or body.get("success") is not True:
        raise SmokeFailure('the body is not an object with "success": true')
    for key in ("user_id", "username", "server_url"):
        if not isinstance(body.get(key), str) or not body[key]:
            raise SmokeFailure(f'"{key}" is missing or not a non-empty string')
    if body["username"] != username.strip().lower():
        raise SmokeFailure('"username" is not the logged-in user')
    channels, tokens = body.get("channels"), body.get("tokens")
    if not isinstance(channels, list) or not channels or not isinstance(tokens, dict):
        raise SmokeFailure('"channels" must be a non-empty list and "tokens" an object')
    verifier = TokenVerifier(api_key, api_secret)
    channel_ids = []
    for channel in channels:
        channel_id = channel.get("channel_id") if isinstance(channel, dict) else None
        if not isinstance(channel_id, int) or isinstance(channel_id, bool) or not isinstance(channel.get("name"), str):
            raise SmokeFailure('each channel needs a numeric "channel_id" and a string "name"')
        _check_token(verifier, tokens.get(str(channel_id)), channel_id, channel["name"], body["user_id"])
        channel_ids.append(channel_id)
    if set(tokens) != {str(channel_id) for channel_id in channel_ids}:
        raise SmokeFailure('"tokens" keys are not exactly the channel ids as strings')
    return SmokeReport(body["user_id"], tuple(channel_ids))


def _check_token(verifier: TokenVerifier, entry: Any, channel_id: int, name: str, user_id: str) -> None:
    room = f"channel-{channel_id}"
    if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
        raise SmokeFailure(f"channel {channel_id} has no token")
    if entry.get("room") != room or entry.get("name") != name:
        raise SmokeFailure(f'channel {channel_id}: "room" must be {room} and "name" the channel name')
    try:
        claims = verifier.verify(entry["token"])
    except Exception as error:  # the verifier raises jwt's and its own errors alike
        raise SmokeFailure(f"LiveKit rejected the token of channel {channel_id}: {type(error).__name__}") from None
    if claims.identity != user_id:
        raise SmokeFailure(f"the token of channel {channel_id} is for another identity")
    if claims.video is None or not claims.video.room_join or claims.video.room != room:
        raise SmokeFailure(f"the token of channel {channel_id} does not grant joining {room}")


def run(env: Mapping[str, str]) -> SmokeReport:
    config = SmokeConfig.from_env(env)
    answer = post_login(config.api_url, config.username, config.password)
    return check_login_answer(answer, username=config.username, api_key=config.api_key, api_secret=config.api_secret)


def main() -> int:
    try:
        report = run(os.environ)
    except SmokeFailure as failure:
        print(f"smoke test FAILED: {failure}", file=sys.stderr)
        return 1
    print(report.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
