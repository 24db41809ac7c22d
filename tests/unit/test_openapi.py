"""docs/openapi.yaml, kept by hand, held equal to the code: routes, refusals, texts, limits, headers, security.

The routes come from livekit_auth.routes.ROUTES and template.yaml's events; the refusals from
client_errors.CLIENT_ERRORS (where an input rejection can happen: the input models' raise sites) and
template.yaml's GatewayResponses; the texts from livekit_auth/messages.py. A route, a status or a text
the code has and the document lacks fails here.
tests/e2e/test_openapi_fuzz.py checks the running service's answers against the same document.
"""

from __future__ import annotations

import ast
import inspect
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_spec_validator import validate

import app
import inputs
import session_inputs
from client_errors import CLIENT_ERRORS, AnsweredByGateway, UnknownRoute
from livekit_auth import browser, messages, routes, sessions
from livekit_auth.errors import AccountLocked, Refused, SessionMissing
from livekit_auth.passwords import MAX_PASSWORD_BYTES
from livekit_auth.usernames import MAX_USERNAME_LENGTH
from tools import REPO_ROOT
from tools.ci import cfn_template

DOCUMENT_PATH = REPO_ROOT / "docs" / "openapi.yaml"
DOCUMENT: dict[str, Any] = yaml.safe_load(DOCUMENT_PATH.read_text(encoding="utf-8"))
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ANSWER_HEADERS = set(browser.SECURITY_HEADERS) | {"Access-Control-Allow-Origin", "Vary"}
# template.yaml's GatewayResponses without a StatusCode keep API Gateway's: a 400, a 502 or 504.
GATEWAY_DEFAULT_STATUS = {"DEFAULT_4XX": "400", "DEFAULT_5XX": "5XX"}


def resolve(node: Any) -> Any:
    """`node` with its local $ref followed (once per level, as the document nests them)."""
    while isinstance(node, dict) and "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def operations() -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in DOCUMENT["paths"].items():
        for method, operation in resolve(item).items():
            if method in METHODS:
                yield method.upper(), path, operation


def response(operation: dict[str, Any], status: str) -> dict[str, Any]:
    return resolve(operation["responses"].get(status, {}))


def error_examples(answer: dict[str, Any]) -> set[str]:
    """The `error` texts a documented answer gives as examples."""
    examples = answer.get("content", {}).get("application/json", {}).get("examples", {})
    return {resolve(example)["value"]["error"] for example in examples.values()}


def headers(answer: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {name: resolve(header) for name, header in answer.get("headers", {}).items()}


def text_pattern(text: str) -> re.Pattern[str]:
    """A messages.py text as a pattern: its format fields ({field}, {request_id}) match any filling."""
    return re.compile(".+?".join(re.escape(part) for part in re.split(r"\{\w+\}", text)))


def documents(operation: dict[str, Any], status: str, text: str) -> bool:
    """Whether the operation's `status` answer has `text` (a messages.py text) as an example."""
    return any(text_pattern(text).fullmatch(example) for example in error_examples(response(operation, status)))


def code_routes() -> set[tuple[str, str]]:
    """(method, path) of every route in ROUTES (and its preflight), which the function registers and
    template.yaml sends it."""
    resolver = {(route.method, route.path) for route in app.app._static_routes + app.app._dynamic_routes}
    template = {(method, path) for method, path, _ in cfn_template.api_routes()}
    assert routes.methods() == resolver == template  # the three must agree before the document can agree
    return routes.methods()


def operation_of(method: str, path: str) -> dict[str, Any]:
    return resolve(DOCUMENT["paths"][path])[method.lower()]


def session_operations() -> list[dict[str, Any]]:
    """The POSTs that take a session token (those under the document's default security)."""
    return [operation for method, _, operation in operations() if method == "POST" and "security" not in operation]


def input_refusals(module: Any) -> Iterator[tuple[str, type[Refused]]]:
    """(function name, rejection class) of each `raise <CLIENT_ERRORS row>(...)` in `module`."""
    for function in ast.walk(ast.parse(inspect.getsource(module))):
        if isinstance(function, ast.FunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call):
                    rejected = getattr(module, getattr(node.exc.func, "id", ""), None)
                    if rejected in CLIENT_ERRORS:
                        yield function.name, rejected


def sample(refused: type[Refused]) -> Refused:
    """An instance of a refusal, for the headers its row adds."""
    return (
        refused(7)
        if refused is AccountLocked
        else refused("field")
        if refused.__init__ is not Refused.__init__
        else refused()
    )


def test_the_document_is_valid_openapi_3_1():
    assert DOCUMENT["openapi"].startswith("3.1.")
    validate(DOCUMENT)


def test_every_route_is_documented_with_and_without_its_trailing_slash():
    documented = {(method, path) for method, path, _ in operations()}
    expected = {(method, path.rstrip("/") + slash) for method, path in code_routes() for slash in ("", "/")}
    assert documented == expected


def test_every_documented_route_has_a_success_answer():
    for method, path, operation in operations():
        assert any(status.startswith("2") for status in operation["responses"]), f"{method} {path}"


def test_every_client_error_the_function_answers_is_documented_with_its_status_text_and_headers():
    for refused, row in CLIENT_ERRORS.items():
        if issubclass(refused, AnsweredByGateway) or refused is UnknownRoute:
            continue  # the gateway's own answers and the unknown route: the tests below
        if row.message is None:  # client_errors.EMPTY_BODY_ROWS: the webhook's 401, documented without a body
            places = [op for _, _, op in operations() if op.get("operationId", "").startswith("livekitWebhook")]
            assert places, refused.__name__
            assert all("content" not in response(op, str(row.status)) for op in places), refused.__name__
            continue
        extra_headers = set(row.headers(sample(refused)))
        places = [op for _, _, op in operations() if documents(op, str(row.status), row.message)]
        assert places, f"{refused.__name__}: no operation documents {row.status} {row.message}"
        for operation in places:
            assert extra_headers <= set(headers(response(operation, str(row.status)))), refused.__name__


def test_every_session_route_documents_the_401_and_its_bearer_challenge():
    challenge = CLIENT_ERRORS[SessionMissing]
    for operation in session_operations():
        answer = response(operation, str(challenge.status))
        assert challenge.message in error_examples(answer), operation["operationId"]
        www_authenticate = headers(answer)["WWW-Authenticate"]
        assert www_authenticate["required"] is True
        assert www_authenticate["schema"]["const"] == challenge.headers(SessionMissing())["WWW-Authenticate"]


def test_every_input_refusal_is_documented_where_it_can_happen():
    with_body = [op for method, _, op in operations() if "requestBody" in op]
    assert with_body
    owners = {inputs: "logIn", session_inputs: "fetchToken"}
    for module, operation_id in owners.items():
        for function, rejected in input_refusals(module):
            row = CLIENT_ERRORS[rejected]
            if function == "json_object":  # shared by every route that reads a body
                places = with_body
            else:
                places = [op for _, _, op in operations() if op.get("operationId", "").startswith(operation_id)]
            for operation in places:
                assert documents(operation, str(row.status), row.message), f"{operation['operationId']}: {rejected}"


def test_the_gateways_own_answers_are_documented_on_every_route():
    api = next(r for r in cfn_template.load_template()["Resources"].values() if r["Type"] == "AWS::Serverless::Api")
    for kind, spec in api["Properties"]["GatewayResponses"].items():
        text = json.loads(spec["ResponseTemplates"]["application/json"])["error"]
        if kind == "MISSING_AUTHENTICATION_TOKEN":  # a route the document does not have
            assert text in error_examples(resolve({"$ref": "#/components/responses/RouteNotFound"}))
            continue
        status = spec.get("StatusCode", GATEWAY_DEFAULT_STATUS.get(kind))
        for method, path, operation in operations():
            assert documents(operation, status, text), f"{method} {path}: {kind} {status}"
            assert set(browser.SECURITY_HEADERS) <= set(headers(response(operation, status)))


def test_every_route_documents_the_functions_500():
    for method, path, operation in operations():
        assert documents(operation, "500", messages.SERVER_ERROR), f"{method} {path}"
        details = response(operation, "500")["content"]["application/json"]["schema"]
        example = next(iter(response(operation, "500")["content"]["application/json"]["examples"].values()))
        assert text_pattern(messages.SERVER_ERROR_DETAILS).fullmatch(resolve(example)["value"]["details"])
        assert re.match(resolve(details)["properties"]["details"]["pattern"], resolve(example)["value"]["details"])


def test_every_message_is_in_the_document_byte_for_byte():
    text = DOCUMENT_PATH.read_text(encoding="utf-8")
    for name, value in vars(messages).items():
        if name.isupper() and isinstance(value, str):
            assert text_pattern(value).search(text), name


def test_every_answer_carries_the_security_and_cors_headers_as_json():
    for method, path, operation in operations():
        for status, answer in operation["responses"].items():
            answer = resolve(answer)
            declared = headers(answer)
            assert set(declared) >= ANSWER_HEADERS, f"{method} {path} {status}"
            for name, value in browser.SECURITY_HEADERS.items():
                assert declared[name]["required"] is True
                assert declared[name]["schema"]["const"] == value
            assert set(answer.get("content", {})) <= {"application/json"}, f"{method} {path} {status}"


def test_the_lockout_answer_documents_retry_after_exposed_to_browsers():
    lock = CLIENT_ERRORS[AccountLocked]
    for _, _, operation in operations():
        if operation.get("operationId", "").startswith("logIn"):
            declared = headers(response(operation, str(lock.status)))
            assert {"Retry-After", "Access-Control-Expose-Headers"} <= set(declared)
            assert set(browser.EXPOSABLE_HEADERS) <= set(declared)


def test_the_preflight_documents_what_browser_answers():
    for method, _, operation in operations():
        if method == "OPTIONS":
            declared = headers(response(operation, "204"))
            assert declared["Access-Control-Allow-Methods"]["schema"]["const"] == browser.ALLOWED_METHOD
            assert {"Access-Control-Allow-Headers", "Access-Control-Max-Age"} <= set(declared)


def test_security_none_for_the_login_and_preflights_the_session_token_for_the_rest():
    scheme = DOCUMENT["components"]["securitySchemes"]["sessionToken"]
    assert (scheme["type"], scheme["scheme"]) == ("http", session_inputs.BEARER_SCHEME)
    assert DOCUMENT["security"] == [{"sessionToken": []}]
    for method, path, operation in operations():
        login_or_preflight = method == "OPTIONS" or path.rstrip("/") == routes.LOGIN.path
        assert ("security" in operation and operation["security"] == []) == login_or_preflight, f"{method} {path}"
    assert len(session_operations()) == 2 * len(set(routes.ROUTES) - {routes.LOGIN, routes.WEBHOOK})
    webhook = operation_of("POST", routes.WEBHOOK.public_path)
    assert webhook["security"] == [{"livekitWebhook": []}]  # LiveKit's signature, not a session


@pytest.mark.parametrize(
    ("schema", "field", "keyword", "limit"),
    [
        ("LoginRequest", "password", "maxLength", MAX_PASSWORD_BYTES),  # characters: no more than bytes
        ("LoginRequest", "password", "x-max-bytes", MAX_PASSWORD_BYTES),
        ("LoginRequest", "username", "maxLength", MAX_USERNAME_LENGTH),
        ("LoginRequest", "device", "maxLength", inputs.MAX_DEVICE_LENGTH),
        ("LoginRequest", "server_url", "maxLength", inputs.MAX_SERVER_URL_LENGTH),
        ("Session", "token", "pattern", f"^{sessions.TOKEN_PATTERN.pattern}$"),
    ],
)
def test_the_documents_limits_are_the_codes(schema, field, keyword, limit):
    assert DOCUMENT["components"]["schemas"][schema]["properties"][field][keyword] == limit


def test_the_body_limit_and_the_fields_the_service_sets_are_the_codes():
    for method, path, operation in operations():
        if "requestBody" in operation:
            assert operation["requestBody"]["x-max-body-bytes"] == inputs.MAX_BODY_BYTES, f"{method} {path}"
    token_fields = DOCUMENT["components"]["schemas"]["TokenRequest"]["properties"]
    assert set(session_inputs.NOT_CONFIGURABLE) <= set(token_fields)


def test_the_document_is_where_the_readme_and_the_client_guide_point():
    assert DOCUMENT_PATH.relative_to(REPO_ROOT).as_posix() in Path(REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert DOCUMENT_PATH.name in (REPO_ROOT / "docs" / "clients.md").read_text(encoding="utf-8")
