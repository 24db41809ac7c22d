"""A browser app, for real: headless Chromium runs the join page (tools/local/join_page.py) with clients/js and
livekit-client against the local API and a real LiveKit server, from an origin the API allows and from one it
does not. tests/livekit/browser.mjs drives the browser; a Python participant in the room watches it arrive."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from livekit_auth import messages
from livekit_auth.tokens import room_name
from tests.support import livekit as lk
from tests.support.missing_tools import require
from tools import REPO_ROOT
from tools.local import join_page
from tools.local.demo_data import DEMO, DEMO_PASSWORD, NO_CHANNELS, PUBLIC_CHANNEL

DRIVER = Path(__file__).with_name("browser.mjs")
DEVICE = "browser"
LOCKOUT_THRESHOLD = 2  # the smallest the setting allows: the page locks an account in three tries
BROWSER_TIMEOUT_SECONDS = 120


def playwright_missing() -> str | None:
    if not (REPO_ROOT / "node_modules" / "playwright-core").is_dir():
        return "playwright-core is not installed: run `npm ci` (make does)"
    return join_page.missing()


@pytest.fixture(scope="module")
def browser_run(livekit, tmp_path_factory) -> dict:
    """One Chromium session over the join page; what the page and the room's other participant saw."""
    for missing in (lk.chromium_missing(), lk.node_missing(), playwright_missing()):
        require(missing)
    screenshot = tmp_path_factory.mktemp("browser") / "joined.png"
    room = room_name(PUBLIC_CHANNEL[0])
    with join_page.serving() as allowed_origin, join_page.serving() as disallowed_origin:
        stack = lk.start_stack(livekit, ALLOWED_ORIGINS=allowed_origin, LOCKOUT_THRESHOLD=str(LOCKOUT_THRESHOLD))
        try:
            config = {
                "chromium": lk.CHROMIUM,
                "allowed_origin": allowed_origin,
                "disallowed_origin": disallowed_origin,
                "form": {
                    "api": lk.api_base(stack),
                    "username": DEMO.username,
                    "password": DEMO_PASSWORD,
                    "room": room,
                    "device": DEVICE,
                },
                "locked_login": {"api": lk.api_base(stack), "username": NO_CHANNELS.username, "password": "wrong"},
                "lockout_threshold": LOCKOUT_THRESHOLD,
                "screenshot": str(screenshot),
            }
            user_id = lk.login(stack, DEMO.username, DEMO_PASSWORD)["user_id"]
            watching = lambda: drive_browser_while_watching(livekit, room, config)  # noqa: E731
            seen = lk.run(watching, timeout=3 * BROWSER_TIMEOUT_SECONDS)
        finally:
            stack.stop()
    return {**seen, "user_id": user_id, "screenshot": screenshot, "allowed_origin": allowed_origin}


async def drive_browser_while_watching(livekit, room: str, config: dict) -> dict:
    async with lk.Rooms() as rooms:
        observer = await rooms.join(livekit.url, lk.observer_token(livekit.keys, room))
        arrival = rooms.watch(observer, "participant_connected")
        browser = await asyncio.create_subprocess_exec(
            shutil.which("node") or "node",
            str(DRIVER),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "LIVEKIT_BROWSER_TEST": json.dumps(config)},
        )
        assert browser.stdin is not None
        assert browser.stdout is not None
        in_room = await asyncio.wait_for(browser.stdout.readline(), BROWSER_TIMEOUT_SECONDS)
        participant = None
        if in_room and json.loads(in_room).get("joined") == "connected":
            participant = await lk.within(arrival)
        browser.stdin.write(b"go on\n")
        await browser.stdin.drain()
        browser.stdin.close()
        out, err = await asyncio.wait_for(browser.communicate(), BROWSER_TIMEOUT_SECONDS)
        assert browser.returncode == 0, (in_room + out + err).decode(errors="replace")
        page = json.loads(out.decode().strip().splitlines()[-1])
        page["room_saw"] = (participant.identity, participant.name) if participant else None
        return page


def test_the_page_from_an_allowed_origin_logs_in_fetches_a_token_and_joins_over_webrtc(browser_run):
    joined, user_id = browser_run["allowed"], browser_run["user_id"]
    assert joined["state"] == "connected", (joined, browser_run["console"]["allowed"])
    assert (joined["room"], joined["identity"]) == (room_name(PUBLIC_CHANNEL[0]), f"{user_id}:{DEVICE}")
    assert joined["status_text"].startswith("connected to channel-")
    assert browser_run["room_saw"] is not None, "the room's other participant never saw the browser arrive"
    assert browser_run["room_saw"][0] == f"{user_id}:{DEVICE}"
    assert browser_run["screenshot"].stat().st_size > 0


def test_the_same_page_from_an_origin_not_allowed_cannot_log_in(browser_run):
    refused = browser_run["disallowed"]
    assert refused["state"] == "failed"
    assert refused["status"] == 0  # no answer reached the script: the browser blocked it
    console = "\n".join(browser_run["console"]["disallowed"])
    assert "CORS" in console, console


def test_a_locked_accounts_retry_after_is_readable_by_the_pages_script(browser_run):
    *refused, locked = browser_run["locked"]
    assert [answer["status"] for answer in refused] == [401] * LOCKOUT_THRESHOLD
    assert locked["status"] == 429
    assert locked["body"]["error"] == messages.TOO_MANY_ATTEMPTS
    assert locked["retryAfter"] is not None, "the page's script cannot read Retry-After"
    assert int(locked["retryAfter"]) >= 1
