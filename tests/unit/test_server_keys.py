"""A key per LiveKit server: the credentials parameter's two shapes, and which pair signs for which server."""

from __future__ import annotations

import pytest

from livekit_auth.server_keys import ServerKeys, room_service_url
from livekit_auth.tokens import LiveKitCredentials

EU = LiveKitCredentials("APIeu", "eu-secret-that-is-at-least-32-bytes-long")
US = LiveKitCredentials("APIus", "us-secret-that-is-at-least-32-bytes-long")
MAP = {
    "wss://eu.lk.example": {"api_key": EU.api_key, "api_secret": EU.api_secret},
    "wss://us.lk.example/": {"api_key": US.api_key, "api_secret": US.api_secret},
}


def test_each_server_url_selects_its_own_pair():
    keys = ServerKeys.from_parameter_document(MAP, "wss://eu.lk.example")
    assert keys.for_server("wss://us.lk.example") == US
    assert keys.for_server("WSS://US.LK.EXAMPLE/") == US  # compared as ALLOWED_SERVER_URLS compares
    assert keys.for_server("wss://eu.lk.example") == EU
    assert keys.for_server(None) == EU


def test_a_server_without_its_own_pair_gets_the_default_servers():
    keys = ServerKeys.from_parameter_document(MAP, "wss://eu.lk.example")
    assert keys.for_server("wss://elsewhere.example") == EU


def test_the_first_shape_is_one_pair_for_every_configured_server():
    keys = ServerKeys.from_parameter_document(
        {"api_key": EU.api_key, "api_secret": EU.api_secret}, "wss://eu.lk.example", ("wss://us.lk.example",)
    )
    assert keys.for_server("wss://us.lk.example") == EU
    assert [url for url, _ in keys.servers()] == ["wss://eu.lk.example", "wss://us.lk.example"]


def test_removal_reaches_each_server_once_over_http():
    keys = ServerKeys.from_parameter_document(
        MAP | {"https://eu.lk.example": MAP["wss://eu.lk.example"]}, "wss://eu.lk.example"
    )
    assert [room_service_url(url) for url, _ in keys.servers()] == ["https://eu.lk.example", "https://us.lk.example"]
    assert room_service_url("ws://127.0.0.1:7880/") == "http://127.0.0.1:7880"


def test_a_webhooks_key_finds_its_servers():
    keys = ServerKeys.from_parameter_document(MAP, "wss://eu.lk.example")
    assert keys.by_key("APIus") == [("wss://us.lk.example/", US)]
    assert keys.by_key("APIunknown") == []


BAD = {
    "not a URL": {"eu.lk.example": MAP["wss://eu.lk.example"]},
    "a pair missing its secret": {"wss://eu.lk.example": {"api_key": "APIeu"}},
    "no entry for the default server": {"wss://us.lk.example": MAP["wss://us.lk.example/"]},
    "empty": {},
    "a list": [MAP],
}


@pytest.mark.parametrize("document", BAD.values(), ids=BAD.keys())
def test_a_malformed_map_is_refused_without_quoting_a_secret(document):
    with pytest.raises(ValueError, match=r"\S") as refused:
        ServerKeys.from_parameter_document(document, "wss://eu.lk.example")
    assert "secret-that" not in str(refused.value)


def test_a_short_secret_is_named_by_its_server():
    keys = ServerKeys.from_parameter_document(
        MAP | {"wss://us.lk.example/": {"api_key": "APIus", "api_secret": "short"}}, "wss://eu.lk.example"
    )
    with pytest.raises(ValueError, match=r"us\.lk\.example"):
        keys.check_secrets(32)
