"""LiveKit's server as the project runs it (tools/local/livekit_server.py): loopback only, the caller's keys."""

from __future__ import annotations

import ipaddress

import pytest

from tests.support import missing_tools
from tools.local import livekit_server

PORTS = livekit_server.Ports(http=17880, rtc_tcp=17881, rtc_udp=17882)


def is_loopback(network_or_host_port: str) -> bool:
    """127.0.0.0/8 or ::1: a network ("127.0.0.1/8") or an IPv4 host:port ("127.0.0.1:3478")."""
    return ipaddress.ip_network(network_or_host_port.split(":")[0], strict=False).is_loopback


def test_the_server_listens_announces_and_hands_out_loopback_addresses_only():
    config = livekit_server.server_config({"key": "s" * 32}, PORTS)
    rtc = config["rtc"]
    assert config["bind_addresses"] == ["127.0.0.1"]
    assert (rtc["node_ip"], rtc["use_external_ip"]) == ("127.0.0.1", False)
    assert rtc["interfaces"] == {"includes": ["lo"]}
    assert all(is_loopback(network) for network in rtc["ips"]["includes"])
    assert all(is_loopback(server) for server in rtc["stun_servers"])  # else clients get LiveKit's public STUN
    assert (config["port"], rtc["tcp_port"], rtc["udp_port"]) == (17880, 17881, 17882)
    assert "webhook" not in config


def test_the_keys_map_is_the_callers_and_webhooks_are_signed_with_its_first_key():
    keys = {"old": "o" * 32, "new": "n" * 32}
    config = livekit_server.server_config(keys, PORTS, webhook_url="http://127.0.0.1:9/hook")
    assert config["keys"] == keys
    assert config["webhook"] == {"api_key": "old", "urls": ["http://127.0.0.1:9/hook"]}


def test_free_ports_are_three_distinct_ports():
    ports = livekit_server.free_ports()
    assert len({ports.http, ports.rtc_tcp}) == 2
    assert min(ports.http, ports.rtc_tcp, ports.rtc_udp) > 0


def test_the_binary_lives_in_the_git_ignored_cache_under_the_pinned_version():
    ignored = (livekit_server.REPO_ROOT / ".gitignore").read_text(encoding="utf-8").split()
    assert ".cache/" in ignored
    assert livekit_server.BINARY.is_relative_to(livekit_server.REPO_ROOT / ".cache")
    assert livekit_server.VERSION in livekit_server.BINARY.parts


def test_without_go_the_server_is_missing_with_one_line_on_how_to_get_it(monkeypatch, tmp_path):
    monkeypatch.setattr(livekit_server, "BINARY", tmp_path / "server")
    monkeypatch.setattr(livekit_server.shutil, "which", lambda name: None)
    line = livekit_server.missing()
    assert line is not None
    assert "Go" in line
    assert "make livekit" in line
    assert "\n" not in line


def stop_of(missing: str | None) -> tuple[type, str] | None:
    """What missing_tools.require(missing) raises (its type and message), or None."""
    try:
        missing_tools.require(missing)
    except (pytest.skip.Exception, pytest.fail.Exception) as stop:
        return type(stop), str(stop)
    return None


def test_a_missing_tool_skips_the_test_and_fails_it_under_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    assert stop_of("a tool is missing: get it thus") == (pytest.skip.Exception, "a tool is missing: get it thus")
    assert stop_of(None) is None
    monkeypatch.setenv("CI", "true")
    kind, message = stop_of("a tool is missing: get it thus")
    assert kind is pytest.fail.Exception
    assert message.endswith("a tool is missing: get it thus")
