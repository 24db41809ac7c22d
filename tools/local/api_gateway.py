"""API Gateway, emulated: the HTTP server that turns each request into the function's event (tools.local.events)
and the function's result into the response.

It serves the rows of livekit_auth.routes.ROUTES (tests/unit/test_routes.py holds them equal to template.yaml's
events) and answers as template.yaml's GatewayResponses do where API Gateway answers without the function.
The local stack serves the API with ApiGateway.
"""

from __future__ import annotations

import base64
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from livekit_auth import routes
from tools.ci import cfn_template
from tools.local.events import LocalContext, proxy_event

MAX_REQUEST_BYTES = 1024 * 1024  # larger bodies get the template's REQUEST_TOO_LARGE answer

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


# ---- the HTTP server in front of the function ---------------------------------------------------------


@dataclass(frozen=True)
class GatewayResponse:
    status: int
    headers: dict[str, str]
    body: str


def gateway_response(kind: str, *, any_origin: bool, status: int = 500, request_id: str = "-") -> GatewayResponse:
    """An answer API Gateway gives without calling the function, as template.yaml's GatewayResponses define it."""
    api = next(r for r in cfn_template.load_template()["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    spec = api["Properties"]["GatewayResponses"][kind]
    headers = {"Content-Type": "application/json"}
    for name, value in spec.get("ResponseParameters", {}).get("Headers", {}).items():
        if isinstance(value, dict):  # !If [AnyOrigin, "'*'", !Ref AWS::NoValue]
            condition, when_true, when_false = value["Fn::If"]
            if condition != "AnyOrigin":
                raise ValueError(f"gateway response {kind}: unsupported condition {condition}")
            value = when_true if any_origin else when_false
        if isinstance(value, str):  # a quoted literal; AWS::NoValue (a dict) drops the header
            headers[name] = value.strip("'")
    body = spec["ResponseTemplates"]["application/json"].replace("$context.requestId", request_id)
    return GatewayResponse(int(spec.get("StatusCode", status)), headers, body)


class ApiGateway(ThreadingHTTPServer):
    """The template's routes in front of one warm function container."""

    daemon_threads = True

    def __init__(self, host: str, port: int, function: LambdaHandler, *, settings: Mapping[str, str]) -> None:
        super().__init__((host, port), GatewayRequestHandler)
        self.function = function
        self.any_origin = settings["ALLOWED_ORIGINS"] == "*"  # the template's AnyOrigin condition
        self.resources = {(method, path): path for method, path in routes.methods()}
        # One invocation at a time, as in one Lambda container: Powertools keeps the current event on its app.
        self._container = threading.Lock()

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def resource_for(self, method: str, path: str) -> str | None:
        """The template resource a request reaches, with or without the trailing slash."""
        return self.resources.get((method, path.rstrip("/")))

    def invoke(self, event: dict[str, Any]) -> dict[str, Any]:
        with self._container:
            return self.function(event, LocalContext())


class GatewayRequestHandler(BaseHTTPRequestHandler):
    server: ApiGateway
    protocol_version = "HTTP/1.1"  # keep-alive, as benchmarks and browsers expect

    def forward(self) -> None:
        started = time.perf_counter()
        path = urlsplit(self.path).path
        status = self.answer()
        elapsed_ms = (time.perf_counter() - started) * 1000
        print(f"{time.strftime('%H:%M:%S')} {self.command} {path} {status} {elapsed_ms:.0f} ms", flush=True)

    def __getattr__(self, name: str) -> Callable[[], None]:
        """BaseHTTPRequestHandler dispatches to do_<METHOD>; API Gateway routes every method the same way,
        TRACE and made-up ones included (no route takes them: the 404), never http.server's 501 page."""
        if name.startswith("do_"):
            return self.forward
        raise AttributeError(name)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own refusals (a malformed request line or headers) as the gateway's JSON, not its HTML."""
        self.send_gateway_response("DEFAULT_5XX" if code >= 500 else "DEFAULT_4XX", status=code, close=True)

    def answer(self) -> int:
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            return self.send_gateway_response("DEFAULT_4XX", status=400, close=True)
        if length > MAX_REQUEST_BYTES:
            return self.send_gateway_response("REQUEST_TOO_LARGE", close=True)
        body = self.rfile.read(length) if length else None
        url = urlsplit(self.path)
        resource = self.server.resource_for(self.command, url.path)
        if resource is None:
            return self.send_gateway_response("MISSING_AUTHENTICATION_TOKEN")
        event = proxy_event(
            self.command,
            url.path,
            resource=resource,
            headers=dict(self.headers.items()),
            body=body,
            query=parse_qs(url.query, keep_blank_values=True) or None,
            source_ip=self.client_address[0],
        )
        try:
            result = self.server.invoke(event)
        except Exception:  # the function crashed: API Gateway answers 502
            traceback.print_exc()
            request_id = event["requestContext"]["requestId"]
            return self.send_gateway_response("DEFAULT_5XX", status=502, request_id=request_id)
        multi = result.get("multiValueHeaders") or {}
        headers = [(name, value) for name, values in multi.items() for value in values]
        headers += [(name, value) for name, value in (result.get("headers") or {}).items() if name not in multi]
        body_text = result.get("body") or ""
        payload = base64.b64decode(body_text) if result.get("isBase64Encoded") else body_text.encode("utf-8")
        return self.send(result["statusCode"], headers, payload)

    def send_gateway_response(self, kind: str, *, status: int = 500, request_id: str = "-", close: bool = False) -> int:
        response = gateway_response(kind, any_origin=self.server.any_origin, status=status, request_id=request_id)
        return self.send(response.status, list(response.headers.items()), response.body.encode("utf-8"), close=close)

    def send(self, status: int, headers: list[tuple[str, str]], payload: bytes, *, close: bool = False) -> int:
        self.send_response(status)
        for name, value in headers:
            if name.lower() not in {"content-length", "connection", "transfer-encoding"}:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(payload)))
        if close:  # an unread body is left on the connection
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)
        return status

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """forward() logs each request once, with its latency."""
