"""API Gateway REST (payload 1.0) proxy events: what the deployed function receives for an HTTP request.

The local stack turns each HTTP request into one of these; events/ is generated with the same builder.
"""

from __future__ import annotations

import base64
import time
import uuid
from typing import Any

STAGE = "v1"
ACCOUNT_ID = "123456789012"
LOGIN_RESOURCE = "/api/auth/client"  # the template's resource (the function answers it with or without a slash)
LOGIN_PATH = LOGIN_RESOURCE + "/"  # the public path, as the guide writes it
# The session routes (issue 11), each answered with or without the trailing slash like the login.
TOKEN_RESOURCE, REFRESH_RESOURCE, LOGOUT_RESOURCE = "/api/auth/token", "/api/auth/refresh", "/api/auth/logout"
TOKEN_PATH, REFRESH_PATH, LOGOUT_PATH = TOKEN_RESOURCE + "/", REFRESH_RESOURCE + "/", LOGOUT_RESOURCE + "/"


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
    """The parts of the Lambda context object that Powertools reads."""

    def __init__(self, function_name: str = "AuthClientFunction", timeout_seconds: int = 20) -> None:
        self.function_name = function_name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:local:{ACCOUNT_ID}:function:{function_name}"
        self.memory_limit_in_mb = 1769
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{function_name}"
        self.log_stream_name = "local"
        self._deadline = time.monotonic() + timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))
