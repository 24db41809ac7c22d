"""ALLOWED_SERVER_URLS: with a list, a `server_url` outside it (and not LIVEKIT_SERVER_URL) is a 400
before any account is looked at; without one, any valid URL is echoed as before."""

from __future__ import annotations

import re

import pytest

from livekit_auth import messages
from livekit_auth.config import allowed_server_urls, load_settings
from livekit_auth.errors import ConfigurationError
from tools.ci.cfn_template import load_template
from tools.local.demo_data import DEMO
from tools.local.fake_aws import LIVEKIT_URL

LISTED = "wss://eu.livekit.example"
ALSO_LISTED = "https://us.livekit.example/rtc"
ALLOWLIST = f" {LISTED} ,{ALSO_LISTED},"


@pytest.fixture
def allowlist(monkeypatch) -> None:
    monkeypatch.setenv("ALLOWED_SERVER_URLS", ALLOWLIST)


@pytest.mark.parametrize(
    ("sent", "echoed"),
    [
        (LISTED, LISTED),
        (ALSO_LISTED, ALSO_LISTED),
        ("WSS://EU.LiveKit.example/", "WSS://EU.LiveKit.example/"),  # same server: scheme and host case, a final /
        (LIVEKIT_URL, LIVEKIT_URL),  # the configured one is always allowed
        (None, LIVEKIT_URL),
        ("", LIVEKIT_URL),
    ],
)
def test_listed_urls_and_the_configured_one_are_echoed(attempt_login, good_login, allowlist, sent, echoed):
    answer = good_login(DEMO.username, server_url=sent)
    assert answer.status == 200, answer.body
    assert answer.body["server_url"] == echoed


@pytest.mark.parametrize(
    "sent",
    [
        "wss://evil.example",
        "wss://eu.livekit.example.evil.example",
        "ws://eu.livekit.example",  # another scheme is another server
        "wss://eu.livekit.example:7881",
        "https://us.livekit.example/other",
        "https://us.livekit.example/rtc?next=https://evil.example",
    ],
)
def test_any_other_url_is_a_400_with_the_existing_text(attempt_login, good_login, allowlist, store, sent):
    answer = good_login(DEMO.username, server_url=sent)
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_SERVER_URL})
    assert "tokens" not in answer.body
    assert store.get_attempts(DEMO.username) is None  # refused before the account was looked at


def test_a_refused_url_with_a_wrong_password_is_still_a_400(attempt_login, good_login, allowlist):
    answer = attempt_login(DEMO.username, "wrong-password", server_url="wss://evil.example")
    assert (answer.status, answer.body) == (400, {"error": messages.INVALID_SERVER_URL})


def test_without_a_list_any_valid_url_is_echoed(attempt_login, good_login, monkeypatch):
    monkeypatch.delenv("ALLOWED_SERVER_URLS", raising=False)
    assert good_login(DEMO.username, server_url="wss://anywhere.example").body["server_url"] == "wss://anywhere.example"
    monkeypatch.setenv("ALLOWED_SERVER_URLS", " , ")
    assert good_login(DEMO.username, server_url="wss://anywhere.example").status == 200


def test_a_malformed_list_is_a_configuration_error(attempt_login, good_login, monkeypatch):
    monkeypatch.setenv("ALLOWED_SERVER_URLS", "eu.livekit.example")  # no scheme
    with pytest.raises(ConfigurationError, match="ALLOWED_SERVER_URLS"):
        allowed_server_urls()
    assert good_login(DEMO.username).status == 500


def test_the_list_is_trimmed_and_empty_by_default():
    assert allowed_server_urls({"ALLOWED_SERVER_URLS": ALLOWLIST}) == (LISTED, ALSO_LISTED)
    assert load_settings({}).allowed_server_urls == ()


def test_the_stack_parameter_feeds_the_variable_and_defaults_to_empty():
    template = load_template()
    variables = template["Resources"]["AuthClientFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["ALLOWED_SERVER_URLS"] == {"Ref": "AllowedServerUrls"}
    assert template["Parameters"]["AllowedServerUrls"]["Default"] == ""


@pytest.mark.parametrize(
    ("value", "accepted"),
    [("", True), (LISTED, True), (f"{LISTED}, {ALSO_LISTED}", True), ("eu.livekit.example", False), (",", False)],
)
def test_the_stack_parameter_refuses_what_the_function_would(value, accepted):
    """CloudFormation checks AllowedPattern at deploy time, so a typo fails the deploy, not every login."""
    pattern = load_template()["Parameters"]["AllowedServerUrls"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is accepted
