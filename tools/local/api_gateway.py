"""API Gateway, emulated: the REST proxy event (payload 1.0) the function receives, the Lambda context, and
the HTTP server that turns each request into an event and the function's result into the response.

All three follow template.yaml: its routes, its GatewayResponses (answers given without calling the
function), the function's memory and timeout. The local stack serves the API with ApiGateway; the
tests, `make invoke` and the events/ generator build events and contexts here.
"""

from __future__ import annotations

import base64
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tools.ci import cfn_template

STAGE = "v1"
ACCOUNT_ID = "123456789012"
LOGIN_RESOURCE = "/api/auth/client"  # the template's resource (the function answers it with or without a slash)
LOGIN_PATH = LOGIN_RESOURCE + "/"  # the public path, as the guide writes it
# The session routes (issue 11), each answered with or without the trailing slash like the login.
TOKEN_RESOURCE, REFRESH_RESOURCE, LOGOUT_RESOURCE = "/api/auth/token", "/api/auth/refresh", "/api/auth/logout"
TOKEN_PATH, REFRESH_PATH, LOGOUT_PATH = TOKEN_RESOURCE + "/", REFRESH_RESOURCE + "/", LOGOUT_RESOURCE + "/"
FUNCTION_LOGICAL_ID = "AuthClientFunction"
MAX_REQUEST_BYTES = 1024 * 1024  # larger bodies get the template's REQUEST_TOO_LARGE answer

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


# ---- the event and the context the function receives -------------------------------------------------


def proxy_event(
    method: str,
    path: str,
    *,
    resource: str,
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
    base64_body: bool = False,
    query: dict[str, list[str]] | None = None,
    source_ip: str = "127.0.0.1",
    request_id: str | None = None,
) -> dict[str, Any]:
    """A REST API proxy event; `base64_body` sends the body base64-encoded as for binary media types."""
    headers = dict(headers or {})
    if isinstance(body, bytes):
        body_text: str | None = base64.b64encode(body).decode() if base64_body else body.decode("utf-8", "replace")
    elif body is not None and base64_body:
        body_text = base64.b64encode(body.encode("utf-8")).decode()
    else:
        body_text = body
    request_id = request_id or str(uuid.uuid4())
    now = time.time()
    return {
        "resource": resource,
        "path": path,
        "httpMethod": method.upper(),
        "headers": headers or None,
        "multiValueHeaders": {name: [value] for name, value in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in query.items()} if query else None,
        "multiValueQueryStringParameters": query or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourceId": "local",
            "resourcePath": resource,
            "httpMethod": method.upper(),
            "extendedRequestId": request_id,
            "requestTime": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)),
            "path": f"/{STAGE}{path}",
            "accountId": ACCOUNT_ID,
            "protocol": "HTTP/1.1",
            "stage": STAGE,
            "domainPrefix": "localhost",
            "requestTimeEpoch": int(now * 1000),
            "requestId": request_id,
            "identity": {
                "cognitoIdentityPoolId": None,
                "accountId": None,
                "cognitoIdentityId": None,
                "caller": None,
                "sourceIp": source_ip,
                "principalOrgId": None,
                "accessKey": None,
                "cognitoAuthenticationType": None,
                "cognitoAuthenticationProvider": None,
                "userArn": None,
                "userAgent": headers.get("User-Agent") or headers.get("user-agent"),
                "user": None,
            },
            "domainName": "localhost",
            "apiId": "local",
        },
        "body": body_text,
        "isBase64Encoded": bool(base64_body and body is not None),
    }


class LocalContext:
    """The parts of the Lambda context object that Powertools reads; memory and timeout as template.yaml sets them."""

    def __init__(self, function_name: str = FUNCTION_LOGICAL_ID) -> None:
        properties = cfn_template.function_properties(FUNCTION_LOGICAL_ID)
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = int(properties["MemorySize"])
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + int(properties["Timeout"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


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
        self.resources = {(method, path.rstrip("/")): path for method, path, _ in cfn_template.api_routes()}
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
