"""Hypothesis strategies and answer properties for fuzzing the login handler's events, for
tests/integration/test_fuzz.py (what schemathesis cannot send over HTTP: see its docstring).

A case is one API Gateway event: any body (text, bytes, JSON of every type, login objects whose
fields have every type), any header set, either isBase64Encoded flag, and hostile Unicode
(lone surrogates, NUL, RTL marks, 10k-character strings). Whatever arrives, the answer must be a
4xx or 2xx carrying the security headers, a JSON object with a Persian `error` on every refusal,
and never a token unless the demo password was sent exactly.
"""

from __future__ import annotations

import base64
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import moto  # noqa: F401 - imported before the handler so its module-level clients are intercepted
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from moto import mock_aws

from livekit_auth.config import table_names
from livekit_auth.routes import LOGIN
from livekit_authctl.storage.admin import AdminStore
from tools.ci.cfn_template import create_tables
from tools.local import demo_data, fake_aws
from tools.local.events import proxy_event

# High enough that a random walk of wrong and right passwords rarely locks (a 429 is checked like any refusal).
FUZZ_LOCKOUT_THRESHOLD = 100
ALLOWED_ORIGIN = "https://app.example.com"
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")


def fuzz_settings(max_examples: int, **overrides: Any) -> settings:
    """Many slow-ish cases (each is a whole invocation); size checks do not apply to 10k strings."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
        **overrides,
    )


# ---- strategies --------------------------------------------------------------------------------


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, picked in proportion to its weight (most cases should reach the
    account checks; a uniform pick would spend most of them on 404s and 415s)."""
    total = sum(weight for weight, _ in choices)

    def pick(number: int) -> st.SearchStrategy[Any]:
        for weight, strategy in choices:
            if number < weight:
                return strategy
            number -= weight
        raise AssertionError("unreachable")

    return st.integers(0, total - 1).flatmap(pick)


HOSTILE_CHARACTERS = ("\0", "\ud800", "\udfff", "\u200f", "\u202e", "\u2028", "\r", "\n", "\ufeff", "\U0001f600")

hostile_text = weighted(
    (3, st.text(max_size=64)),
    (3, st.text(alphabet=st.sampled_from(HOSTILE_CHARACTERS) | st.characters(), max_size=40)),
    # 10k-character strings, built cheaply rather than drawn character by character.
    (
        1,
        st.builds(
            lambda character, size: character * size,
            st.sampled_from(("a", *HOSTILE_CHARACTERS)),
            st.integers(9_000, 11_000),
        ),
    ),
)

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), hostile_text
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=12,
)


def _case_variants(text: str) -> st.SearchStrategy[str]:
    return st.sampled_from((text, text.upper(), f"  {text}\t", text.title(), f"\u200f{text}", f"{text}\0"))


demo_usernames = st.sampled_from([user.username for user in demo_data.USERS]).flatmap(_case_variants)
usernames = weighted((10, demo_usernames), (3, st.emails().map(str)), (4, hostile_text), (3, json_values))

# Near misses of the right password: a token for any of them would be a bypass.
near_misses = st.sampled_from(
    (
        demo_data.DEMO_PASSWORD + "\0",
        demo_data.DEMO_PASSWORD + "\0anything",
        demo_data.DEMO_PASSWORD.upper(),
        f" {demo_data.DEMO_PASSWORD}",
        demo_data.DEMO_PASSWORD[:-1],
        demo_data.DEMO_PASSWORD + "x" * 60,  # past bcrypt's 72 bytes
        demo_data.DEMO_PASSWORD + "\ud800",
        demo_data.DEMO_PASSWORD.replace("-", "\u2010"),
        "\u202e" + demo_data.DEMO_PASSWORD,
    )
)
wrong_passwords = st.one_of(near_misses, hostile_text).filter(lambda password: password != demo_data.DEMO_PASSWORD)
passwords = weighted((3, st.just(demo_data.DEMO_PASSWORD)), (10, wrong_passwords), (3, json_values))
server_urls = st.one_of(
    st.sampled_from(
        ("https://livekit.example.com", "wss://lk.example.com:7880/x", "ftp://x", "https://", "javascript:1")
    ),
    st.builds(lambda text: f"https://{text}", hostile_text),
    json_values,
)

_ABSENT = object()


def _fields(**strategies: st.SearchStrategy[Any]) -> st.SearchStrategy[dict[str, Any]]:
    """A dict where each named field is usually present, plus a few random extra keys."""
    present = {name: weighted((6, strategy), (1, st.just(_ABSENT))) for name, strategy in strategies.items()}
    return st.builds(
        lambda extra, **chosen: {**extra, **{name: value for name, value in chosen.items() if value is not _ABSENT}},
        st.dictionaries(st.text(max_size=8), json_values, max_size=2),
        **present,
    )


login_objects = _fields(
    username=usernames, password=passwords, server_url=weighted((3, st.just(_ABSENT)), (1, server_urls))
)

json_content_types = st.sampled_from(
    ("application/json", "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json")
)
other_content_types = st.sampled_from(
    (
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "",
        "application/jsonx",
        "json",
    )
)
content_types = weighted((15, json_content_types), (2, other_content_types), (2, hostile_text))
header_names = st.sampled_from(("Content-Type", "content-type", "CONTENT-TYPE"))
origins = weighted(
    (4, st.sampled_from((ALLOWED_ORIGIN, ALLOWED_ORIGIN + "/", "https://evil.example", "null", ""))), (1, hostile_text)
)


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, str]:
    headers = draw(st.dictionaries(st.text(min_size=1, max_size=20), hostile_text, max_size=2))
    if draw(weighted((19, st.just(True)), (1, st.just(False)))):  # mostly with a content type
        headers[draw(header_names)] = draw(content_types)
    if draw(st.booleans()):
        headers["Origin"] = draw(origins)
    return headers


@dataclass(frozen=True)
class FuzzCase:
    """One request, with what was meant to be sent (for the properties to judge the answer)."""

    method: str
    path: str
    headers: dict[str, str]
    body: str | None
    base64_flag: bool
    document: Any = field(default=None)  # the JSON value the body encodes, when it encodes one

    @property
    def sent_right_password(self) -> bool:
        return isinstance(self.document, dict) and self.document.get("password") == demo_data.DEMO_PASSWORD

    def event(self) -> dict[str, Any]:
        event = proxy_event(self.method, self.path, resource=LOGIN.path, headers=self.headers, body=self.body)
        return event | {"isBase64Encoded": self.base64_flag}


@st.composite
def bodies(draw: st.DrawFn) -> tuple[str | None, bool, Any]:
    """(body text, isBase64Encoded, the JSON document it carries or None)."""
    kind = draw(
        weighted(
            (12, st.just("login")),
            *((1, st.just(kind)) for kind in ("json", "text", "bytes", "huge", "nested", "none")),
        )
    )
    document: Any = None
    if kind == "login":
        document = draw(login_objects)
        raw: str | bytes = json.dumps(document, ensure_ascii=draw(st.booleans()))
    elif kind == "json":
        document = draw(json_values)
        raw = json.dumps(document, ensure_ascii=draw(st.booleans()))
    elif kind == "text":
        raw = draw(hostile_text)
    elif kind == "bytes":
        raw = draw(st.binary(max_size=64))
    elif kind == "huge":  # around the handler's MAX_BODY_BYTES
        raw = json.dumps({"username": "a" * draw(st.integers(16_000, 40_000)), "password": "x"})
    elif kind == "nested":
        depth = draw(st.integers(500, 16_000))
        raw = "[" * depth + "]" * depth
    else:
        return None, draw(st.booleans()), None
    encode = draw(weighted((14, st.just("plain")), (4, st.just("base64")), (1, st.just("false-flag"))))
    if encode == "base64":
        data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
        return base64.b64encode(data).decode("ascii"), True, document
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if text != raw:
        document = None
    return text, encode == "false-flag", None if encode == "false-flag" else document


@st.composite
def fuzz_cases(draw: st.DrawFn) -> FuzzCase:
    method = draw(
        weighted((30, st.just("POST")), (2, st.just("OPTIONS")), (1, st.sampled_from(("GET", "PUT", "DELETE"))))
    )
    path = draw(
        weighted((30, st.just(LOGIN.public_path)), (1, st.sampled_from(("/api/auth/client", "/api/auth/", "/", "/x"))))
    )
    body, base64_flag, document = draw(bodies())
    return FuzzCase(method, path, draw(header_sets()), body, base64_flag, document)


@st.composite
def wrong_password_cases(draw: st.DrawFn) -> FuzzCase:
    """A well-formed JSON login for a real account with anything but its password."""
    document = {"username": draw(demo_usernames), "password": draw(wrong_passwords)}
    headers = {draw(header_names): "application/json"}
    return FuzzCase(
        "POST", LOGIN.public_path, headers, json.dumps(document, ensure_ascii=draw(st.booleans())), False, document
    )


# ---- properties --------------------------------------------------------------------------------


def violations(case: FuzzCase, status: int, headers: Mapping[str, str], body: Any) -> list[str]:
    """Every property the answer breaks; an empty list when it keeps them all."""
    found = []
    if status >= 500:
        found.append(f"a {status} answer")
    if headers.get("Cache-Control") != "no-store":
        found.append("no Cache-Control: no-store")
    if headers.get("X-Content-Type-Options") != "nosniff":
        found.append("no X-Content-Type-Options: nosniff")
    if status == 200 and not case.sent_right_password:
        found.append("a token without the right password")
    if status >= 300:
        error = body.get("error") if isinstance(body, dict) else None
        if not isinstance(error, str) or not ARABIC_SCRIPT.search(error):
            found.append(f"a {status} without a Persian error")
    if status == 429 and not headers.get("Retry-After", "").isdigit():
        found.append("a 429 without Retry-After")
    if status == 204 and case.method != "OPTIONS":
        found.append("a 204 for a request that is not a preflight")
    return found


# ---- the emulated function -----------------------------------------------------------------------


@contextmanager
def emulated_function() -> Iterator[dict[str, str]]:
    """moto with the template's tables, the SSM credentials, the demo users and the function's environment while
    the block runs; yields the environment. The caller clears the handler's caches once the environment is set."""
    saved = dict(os.environ)
    try:
        fake_aws.use_fake_aws()
        for name in fake_aws.INHERITED_FUNCTION_VARIABLES:
            os.environ.pop(name, None)
        with mock_aws():
            tables = create_tables(boto3.client("dynamodb"), "fuzz")
            fake_aws.put_livekit_credentials(boto3.client("ssm"))
            environment = fake_aws.function_environment(
                tables, ALLOWED_ORIGINS=ALLOWED_ORIGIN, LOCKOUT_THRESHOLD=str(FUZZ_LOCKOUT_THRESHOLD)
            )
            os.environ.update(environment)
            demo_data.seed(AdminStore(boto3.client("dynamodb"), table_names(tables)), fake_aws.BCRYPT_ROUNDS)
            yield environment
    finally:
        os.environ.clear()
        os.environ.update(saved)
