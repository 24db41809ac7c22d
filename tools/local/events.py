"""The API Gateway events the function receives (REST proxy, payload 1.0) and its Lambda context: the one
place they are built, for the local API Gateway, `make invoke`, the events/ files, `make fuzz` and the tests.

route_event and preflight_event address a row of livekit_auth.routes.ROUTES at its public path (with the
trailing slash, as clients send it); proxy_event builds any request, unknown routes included.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from livekit_auth.routes import LOGIN, Route
from tools.ci import cfn_template

STAGE = "v1"
ACCOUNT_ID = "123456789012"
FUNCTION_LOGICAL_ID = "AuthClientFunction"
JSON = {"Content-Type": "application/json"}


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


def route_event(
    route: Route,
    body: Any = None,
    *,
    raw: str | None = None,
    token: str | None = None,
    headers: dict[str, str] | None = None,
    **options: Any,
) -> dict[str, Any]:
    """A request to `route`: `body` as JSON or `raw` text as it is (neither: no body), `Authorization: Bearer
    <token>` when a token is given, Content-Type JSON unless `headers` say otherwise; `options` as for proxy_event."""
    text = raw if raw is not None else (None if body is None else json.dumps(body, ensure_ascii=False))
    all_headers = {**JSON, **(headers or {})} | ({"Authorization": f"Bearer {token}"} if token is not None else {})
    return proxy_event(route.method, route.public_path, resource=route.path, headers=all_headers, body=text, **options)


def login_event(body: Any = None, **options: Any) -> dict[str, Any]:
    """A POST to the login route (route_event's arguments)."""
    return route_event(LOGIN, body, **options)


def preflight_event(route: Route, origin: str, requested_headers: str, **options: Any) -> dict[str, Any]:
    """The browser's CORS preflight before a POST to `route`."""
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": route.method,
        "Access-Control-Request-Headers": requested_headers,
    }
    return proxy_event("OPTIONS", route.public_path, resource=route.path, headers=headers, **options)


def session_event(route: Route, token: str | None = None, body: Any = None, **options: Any) -> dict[str, Any]:
    """A request to a session route with `token` as Bearer (route_event's other arguments)."""
    return route_event(route, body, token=token, **options)
