"""A small web page that joins a LiveKit room the way an app would: clients/js logs in (a session),
fetches a token from the token endpoint, and livekit-client connects over WebRTC.

`make run` serves it beside the API and LiveKit's server (its own origin, so the browser checks the
API's CORS answers as it would for a real app); tests/livekit drives it in headless Chromium, from
an allowed origin and from one that is not. Everything is served from this repository: the page,
clients/js/livekit-auth-client.mjs and livekit-client's ES module from node_modules (no CDN).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from tools import REPO_ROOT

HOST = "127.0.0.1"
PAGE = Path(__file__).with_name("join_page.html")
FILES = {
    "/": (PAGE, "text/html; charset=utf-8"),
    "/livekit-auth-client.mjs": (REPO_ROOT / "clients" / "js" / "livekit-auth-client.mjs", "text/javascript"),
    "/livekit-client.mjs": (
        REPO_ROOT / "node_modules" / "livekit-client" / "dist" / "livekit-client.esm.mjs",
        "text/javascript",
    ),
}


def missing() -> str | None:
    """Why the page cannot work here (livekit-client not installed), or None."""
    path = FILES["/livekit-client.mjs"][0]
    return None if path.is_file() else "livekit-client is not installed: run `npm ci` (make does)"


class _Files(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path not in FILES:
            self.send_error(404)
            return
        file, content_type = FILES[path]
        body = file.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # the API's request log is the one to read


@contextmanager
def serving(port: int = 0, host: str = HOST) -> Iterator[str]:
    """Serve the page on `host`:`port` (0: a free port) on a thread, for the duration; yields its origin."""
    server = ThreadingHTTPServer((host, port), _Files)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def join_url(origin: str, api_base: str, username: str, password: str, room: str) -> str:
    """The page's address with the API and the demo user filled in (the page's form shows them)."""
    from urllib.parse import urlencode

    query = urlencode({"api": api_base, "username": username, "password": password, "room": room})
    return f"{origin}/?{query}"
