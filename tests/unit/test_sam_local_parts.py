"""The parts `make sam-invoke` puts together, without Docker: its environment, its relay, its base image's tag."""

from __future__ import annotations

import socket
import threading

import pytest

from tools import REPO_ROOT
from tools.ci import cfn_template
from tools.local import base_image, bridge_relay, fake_aws, sam_bytecode, sam_local
from tools.local import stack as local_stack


def test_the_env_vars_file_is_make_runs_function_settings_for_the_variables_the_template_declares():
    environ = {"LOCKOUT_THRESHOLD": "100"}
    declared = cfn_template.load_template()["Resources"]["AuthClientFunction"]["Properties"]["Environment"]["Variables"]

    (function,) = sam_local.function_env_vars(environ).values()

    settings = local_stack.function_settings(fake_aws.local_table_names(), environ)
    assert function == {name: value for name, value in settings.items() if name in declared}
    assert function["LOCKOUT_THRESHOLD"] == "100"
    assert function["LOCAL_MODE"] == "true"
    assert {function[name] for name in cfn_template.TABLE_ENV.values()} == set(fake_aws.local_table_names().values())


def test_sam_gets_fake_credentials_and_the_emulator_only_through_the_local_parameter():
    environ = {"AWS_PROFILE": "prod", "AWS_ENDPOINT_URL": "https://elsewhere.example", "PATH": "/usr/bin"}

    environment = sam_local.sam_environment(environ)
    arguments = sam_local.sam_arguments("stand-in:tag", "http://172.17.0.1:4000", sam_local.BUILT_TEMPLATE)

    assert environment["AWS_ACCESS_KEY_ID"] == fake_aws.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"]
    assert "AWS_PROFILE" not in environment
    assert "AWS_ENDPOINT_URL" not in environment
    assert arguments[-2:] == ["--parameter-overrides", "LocalEndpointUrl=http://172.17.0.1:4000"]
    assert arguments[arguments.index("--invoke-image") + 1] == "stand-in:tag"
    official = sam_local.sam_arguments(sam_local.OFFICIAL_IMAGE, "http://x:1", sam_local.BUILT_TEMPLATE)
    assert "--invoke-image" not in official


def test_the_relay_carries_both_directions_between_its_address_and_the_target():
    with socket.create_server((fake_aws.HOST, 0)) as upstream:

        def shout_back() -> None:
            connection, _ = upstream.accept()
            with connection:
                connection.sendall(connection.recv(1024).upper())

        threading.Thread(target=shout_back, daemon=True).start()
        with bridge_relay.BridgeRelay(fake_aws.HOST, upstream.getsockname()[:2]) as relay:
            with socket.create_connection(relay.address, timeout=5) as client:
                client.sendall(b"ping")
                assert client.recv(1024) == b"PING"
            assert relay.url == f"http://{fake_aws.HOST}:{relay.address[1]}"


def test_the_base_images_tag_changes_with_its_recipe(monkeypatch):
    tag = base_image.image_tag()
    monkeypatch.setattr(base_image, "RUNTIME_PINS", ("awslambdaric==0.0.1", "boto3==0.0.1"))

    assert base_image.image_tag() != tag
    assert tag.startswith(f"{base_image.REPOSITORY}:3.13-arm64-")


def test_the_base_images_config_says_arm64_and_starts_the_runtime_interface_client():
    assert base_image.IMAGE_CONFIG["architecture"] == "arm64"
    assert 'exec /usr/bin/python3.13 -m awslambdaric "$_HANDLER"' in base_image.BOOTSTRAP
    assert "/opt/python" in base_image.BOOTSTRAP


def test_the_base_images_runtime_packages_are_at_the_versions_the_project_pins():
    constraints = dict(
        line.split("==", 1)
        for line in (REPO_ROOT / "requirements" / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    pins = dict(pin.split("==", 1) for pin in base_image.RUNTIME_PINS)
    shared = pins.keys() & constraints.keys()

    assert {"boto3", "botocore", "urllib3"} <= shared
    assert {name: pins[name] for name in shared} == {name: constraints[name] for name in shared}


def test_the_runtime_counts_as_up_only_when_an_http_server_answers_behind_the_port():
    def serve(listener: socket.socket, reply: bytes) -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(1024)
            connection.sendall(reply)

    answers = {}
    for name, reply in (("proxy alone", b""), ("emulator", b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")):
        with socket.create_server(("127.0.0.1", 0)) as listener:
            server = threading.Thread(target=serve, args=(listener, reply))
            server.start()
            answers[name] = sam_local.http_answers(*listener.getsockname()[:2])
            server.join(timeout=5)

    assert answers == {"proxy alone": False, "emulator": True}


def test_the_local_copy_of_the_build_has_3_13_bytecode_at_the_containers_paths_and_the_build_has_none(
    tmp_path, monkeypatch
):
    if sam_bytecode.host_python313() is None:  # the image's python3.13 compiles it then (tests/sam_local covers that)
        pytest.skip("no python3.13 on this machine")
    build = tmp_path / "build"
    (build / "AuthClientFunction").mkdir(parents=True)
    (build / "AuthClientFunction" / "app.py").write_text("ANSWER = 42\n")
    (build / "CommonLayer" / "python").mkdir(parents=True)
    (build / "CommonLayer" / "python" / "shared.py").write_text("NAME = 'layer'\n")
    (build / "template.yaml").write_text("Resources: {}\n")
    monkeypatch.setattr(sam_bytecode, "COMPILED_DIR", tmp_path / "compiled")

    template = sam_bytecode.compiled_build(build / "template.yaml", "unused:image")

    copy = template.parent
    assert template.read_text() == "Resources: {}\n"
    compiled = {
        inside: next((copy / where).glob("__pycache__/*.cpython-313.pyc")).read_bytes()
        for where, inside in (
            ("AuthClientFunction", b"/var/task/app.py"),
            ("CommonLayer/python", b"/opt/python/shared.py"),
        )
    }
    for inside, pyc in compiled.items():
        assert pyc[:4] == b"\xf3\r\r\n"  # CPython 3.13's bytecode magic
        assert int.from_bytes(pyc[4:8], "little") == 0b01  # hash-based, unchecked: no mtime to go stale
        assert inside in pyc
    assert not list(build.rglob("__pycache__"))  # what sam deploy packages is untouched
    assert sam_bytecode.compiled_build(build / "template.yaml", "unused:image") == template  # reused
    assert sam_bytecode.has_bytecode(copy)
    assert sam_bytecode.compiled_build(template, "unused:image") == template  # a build with bytecode runs as it is
