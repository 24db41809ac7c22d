"""What `make run` prints: its banner (the URLs, the demo user, commands to paste) and the request log,
without the function's metric lines."""

from __future__ import annotations

import io
import json
from collections.abc import Mapping
from typing import TextIO

from livekit_auth.routes import LOGIN, TOKEN
from tools.local import demo_data

METRIC_LINE_START = '{"_aws":'  # an embedded-metric-format document, as Powertools Metrics prints it


def say(line: str) -> None:
    print(line, flush=True)


class WithoutMetricLines(io.TextIOBase):
    """stdout as a reader of CloudWatch's metrics and logs meets it: the function's metrics (EMF lines, the
    ColdStart one included; Powertools prints them whatever POWERTOOLS_METRICS_DISABLED says) become metrics
    there, so here they stay out of the request log. Every other line passes as written."""

    def __init__(self, stream: TextIO) -> None:
        self.stream, self.partial = stream, ""

    def write(self, text: str) -> int:
        *lines, self.partial = (self.partial + text).split("\n")
        self.stream.writelines(line + "\n" for line in lines if not line.startswith(METRIC_LINE_START))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()


def print_banner(
    api_url: str, emulator_url: str | None, tables: Mapping[str, str], *, in_memory: bool, demo: bool
) -> None:
    say(f"LiveKit login API (local): {api_url}")
    say(f"  AWS: {emulator_url or 'as your AWS settings say'}; tables: {', '.join(tables.values())}")
    if in_memory and demo:
        credentials = json.dumps(
            {"username": demo_data.DEMO.username, "password": demo_data.DEMO_PASSWORD}, separators=(",", ":")
        )
        others = ", ".join(user.username for user in demo_data.USERS if user != demo_data.DEMO)
        say(f"  demo user: {demo_data.DEMO.username} / {demo_data.DEMO_PASSWORD} (same password: {others})")
        say(f"  try: curl -s -X POST {api_url} -H 'Content-Type: application/json' -d '{credentials}'")
        say(f"  a session: {session_commands(api_url)}")
        say("  manage users: authctl --local user list; run an event: make invoke EVENT=events/login_ok.json")
    if in_memory:
        say("  The data lives in memory and is gone when this stops (Ctrl-C).")


def session_commands(api_url: str) -> str:
    """Shell commands that open a session for the demo user and fetch a token with it (the banner's second line)."""
    login = json.dumps(
        {"username": demo_data.DEMO.username, "password": demo_data.DEMO_PASSWORD, "session": True},
        separators=(",", ":"),
    )
    token_url = api_url.removesuffix(LOGIN.public_path) + TOKEN.public_path
    extract = """python3 -c 'import json,sys; print(json.load(sys.stdin)["session"]["token"])'"""
    return (
        f"TOKEN=$(curl -s -X POST {api_url} -H 'Content-Type: application/json' -d '{login}' | {extract})"
        f' && curl -s -X POST {token_url} -H "Authorization: Bearer $TOKEN"'
    )
