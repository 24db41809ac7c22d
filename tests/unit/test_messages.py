"""The guide's Persian strings are the contract: byte for byte, from one module."""

import json
import re
from pathlib import Path

import pytest

from livekit_auth import messages
from tools.ci.cfn_template import load_template

DOCS = Path(__file__).resolve().parents[2] / "docs"
GUIDE = DOCS / "auth-api-guide.fa.md"  # the contract, copied byte for byte from the spec
# Where the spec lives when this repository is checked out beside it (not on a CI runner).
SPEC = Path(__file__).resolve().parents[3] / "shared" / "spec"


def guide_strings() -> dict[str, list[str]]:
    text = GUIDE.read_text(encoding="utf-8")
    found: dict[str, list[str]] = {"error": [], "details": []}
    for key, value in re.findall(r'"(error|details)": "([^"]*)"', text):
        found[key].append(value)
    return found


def test_every_guide_error_string_is_in_messages_byte_for_byte():
    guide = guide_strings()
    ours = [
        messages.USERNAME_AND_PASSWORD_REQUIRED,
        messages.INVALID_CREDENTIALS,
        messages.ACCOUNT_INACTIVE,
        messages.NO_CHANNELS,
        messages.USER_DATA_NOT_FOUND,
        messages.SERVER_ERROR,
    ]
    assert [s.encode() for s in ours] == [s.encode() for s in guide["error"]]


@pytest.mark.parametrize("name", ["auth-api-guide.fa.md", "auth-api-guide.en.md"])
def test_the_docs_copy_of_the_guide_is_the_spec_byte_for_byte(name):
    if not (SPEC / name).is_file():
        pytest.skip(f"no spec beside the repository ({SPEC})")
    assert (DOCS / name).read_bytes() == (SPEC / name).read_bytes()


def test_lockout_text_is_the_one_the_issue_specifies():
    assert messages.TOO_MANY_ATTEMPTS == ("تعداد تلاش\u200cهای ناموفق بیش از حد مجاز است. لطفاً بعداً دوباره تلاش کنید.")


def test_gateway_responses_in_the_template_use_the_messages_module_text():
    """API Gateway answers some requests without the function; its words must match ours."""
    responses = load_template()["Resources"]["AuthApi"]["Properties"]["GatewayResponses"]
    expected = {
        "MISSING_AUTHENTICATION_TOKEN": messages.ROUTE_NOT_FOUND,
        "REQUEST_TOO_LARGE": messages.PAYLOAD_TOO_LARGE,
        "THROTTLED": messages.TOO_MANY_REQUESTS,
        "WAF_FILTERED": messages.TOO_MANY_REQUESTS,
        "DEFAULT_4XX": messages.BAD_REQUEST,
        "DEFAULT_5XX": messages.SERVER_ERROR,
    }
    for response_type, text in expected.items():
        body = json.loads(responses[response_type]["ResponseTemplates"]["application/json"])
        assert body["error"] == text, response_type
        assert responses[response_type]["ResponseParameters"]["Headers"]["Cache-Control"] == "'no-store'"


def test_every_message_is_persian_text():
    for name in dir(messages):
        if name.isupper():
            value = getattr(messages, name)
            assert re.search("[\u0600-\u06ff]", value), name
