"""authctl as an operator installs it: the wheel `pip install .` builds, into a fresh venv, run against moto.

The wheel is built from this checkout; its dependencies come from the package index (pip's cache) at
the dev venv's pins. The installed command runs in its own process, away from the checkout, with
`--local` pointed at a moto server on loopback whose tables come from template.yaml.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import venv
from email.parser import Parser
from pathlib import Path
from zipfile import ZipFile

import boto3
import pytest

from livekit_authctl import local_stack
from tests.layer_pins import AUTHCTL_REQUIREMENTS, DEV_CONSTRAINTS, LAYER_REQUIREMENTS, ROOT, exact_pins
from tools.ci import cfn_template
from tools.local.emulator import emulator_running

PIP = ("-m", "pip", "--disable-pip-version-check", "--quiet")


def run(*command: str | Path, **options) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603 - our own interpreters and command, fixed arguments
        [str(part) for part in command], check=True, capture_output=True, text=True, timeout=600, **options
    )


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    try:
        run(sys.executable, *PIP, "wheel", "--no-deps", "--no-build-isolation", "--wheel-dir", out, ROOT)
    finally:  # setuptools' scratch copy: a later build would carry modules deleted since
        shutil.rmtree(ROOT / "build", ignore_errors=True)
    (built,) = out.glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin/ of a fresh venv holding the wheel and the dependencies it declares, nothing else."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=True)
    run(home / "bin/python", *PIP, "install", "--constraint", DEV_CONSTRAINTS, wheel, cwd=home)
    return home / "bin"


def test_the_wheel_declares_the_layer_s_pins_and_authctl_s(wheel):
    with ZipFile(wheel) as archive:
        (metadata,) = [name for name in archive.namelist() if name.endswith(".dist-info/METADATA")]
        requires = Parser().parsestr(archive.read(metadata).decode()).get_all("Requires-Dist")
    declared = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1] for line in requires}
    assert declared == exact_pins(LAYER_REQUIREMENTS) | exact_pins(AUTHCTL_REQUIREMENTS)


def test_the_wheel_installs_authctl_s_packages_and_no_tools_package(wheel):
    with ZipFile(wheel) as archive:
        packages = {name.split("/")[0] for name in archive.namelist() if name.endswith(".py")}
        names = set(archive.namelist())
    assert packages == {"livekit_auth", "livekit_authctl"}
    assert {"livekit_auth/storage/records.py", "livekit_authctl/storage/admin.py"} <= names


def test_the_installed_authctl_answers_help_away_from_the_checkout(installed, tmp_path):
    result = run(installed / "authctl", "--help", cwd=tmp_path, env={"PATH": str(installed)})
    assert result.stdout.startswith("usage: authctl")
    for area in ("user", "channel", "grant", "revoke", "export", "import"):
        assert area in result.stdout


def test_the_installed_authctl_manages_users_and_channels_of_a_moto_stack(installed, tmp_path):
    # Given: moto on a free loopback port, with the template's tables under the names --local expects
    with emulator_running(0) as url:
        client = boto3.client("dynamodb", endpoint_url=url)
        cfn_template.create_tables(client, local_stack.TABLE_PREFIX)
        port = url.rsplit(":", 1)[1]
        env = {"PATH": str(installed), "HOME": str(tmp_path), "EMULATOR_PORT": port, "BCRYPT_ROUNDS": "4"}

        def authctl(*argv: str, stdin: str = "") -> str:
            return run(installed / "authctl", "--local", *argv, input=stdin, cwd=tmp_path, env=env).stdout

        # When: the installed command adds a user (bcrypt, its native dependency), a channel and a grant
        user_id = authctl("user", "add", "wheel@example.com", "--password-stdin", stdin="a wheel password").strip()
        authctl("channel", "add", "7", "seven")
        authctl("grant", "wheel@example.com", "7", "--no-data")

        # Then: they are in the tables, as authctl and the function read them
        assert authctl("channel", "list") == "7\tseven\n"
        shown = authctl("user", "show", "wheel@example.com")
        assert f"user_id:  {user_id}" in shown
        assert "7\tseven\tpublish, subscribe" in shown
        item = client.get_item(
            TableName=f"{local_stack.TABLE_PREFIX}-UsersTable", Key={"username": {"S": "wheel@example.com"}}
        )
        assert item["Item"]["password_hash"]["S"].startswith("$2b$04$")
