"""Upgrade on login: the conditional write, a concurrent `user passwd` winning it, and a failed write.

Whatever happens to the upgrade, the login answers as it would have; the log names the outcome and
the old format, never a hash.
"""

from __future__ import annotations

import bcrypt
import pytest
from botocore.exceptions import ClientError

from livekit_auth import password_upgrades
from livekit_auth.storage.records import Membership
from livekit_auth.storage.upgrades import HashUpgrades
from livekit_auth_tools.demo_data import PUBLIC_CHANNEL
from livekit_auth_tools.fake_aws import BCRYPT_ROUNDS
from tests.conftest import call_handler, login_event
from tests.log_capture import capture_function_output, log_records
from tests.transfer_support import authctl_runner, native_bcrypt, pbkdf2

USER = "racer@example.com"
OLD_PASSWORD = "the imported password"
NEW_PASSWORD = "set by the operator meanwhile"


@pytest.fixture
def run_authctl(function_env, monkeypatch, capsys):
    return authctl_runner(monkeypatch, capsys)


@pytest.fixture
def legacy_user(store, function_env) -> str:
    """A user with a Django PBKDF2 hash and one channel; returns that hash."""
    old_hash = pbkdf2(OLD_PASSWORD)
    store.create_user(USER, old_hash)
    store.add_channel(*PUBLIC_CHANNEL)
    store.grant(store.require_user(USER), store.get_channel(PUBLIC_CHANNEL[0]), Membership(*PUBLIC_CHANNEL))
    return old_hash


def log_in(password: str):
    return call_handler(login_event({"username": USER, "password": password}))


def upgrade_lines(capsys) -> list[dict]:
    return [record for record in log_records(capsys) if record.get("message", "").startswith("password hash upgrade")]


def test_a_concurrent_passwd_wins_over_the_upgrade(legacy_user, run_authctl, store, monkeypatch, capsys):
    real_hash = password_upgrades.hash_password

    def passwd_lands_first(password: str, rounds: int) -> str:
        """Between the login's read and its upgrade write, the operator sets a new password."""
        changed = run_authctl("user", "passwd", USER, "--password-stdin", stdin=NEW_PASSWORD)
        assert changed.code == 0, changed.err
        return real_hash(password, rounds)

    monkeypatch.setattr(password_upgrades, "hash_password", passwd_lands_first)
    capture_function_output(monkeypatch)

    answer = log_in(OLD_PASSWORD)
    assert answer.status == 200, "the password was right when it was checked"
    kept = store.require_user(USER).password_hash
    assert bcrypt.checkpw(NEW_PASSWORD.encode(), kept.encode()), "the new password is kept"
    assert [(line["upgrade"], line["from_format"]) for line in upgrade_lines(capsys)] == [
        ("superseded", "pbkdf2_sha256")
    ]

    monkeypatch.setattr(password_upgrades, "hash_password", real_hash)
    assert log_in(OLD_PASSWORD).status == 401
    assert log_in(NEW_PASSWORD).status == 200


def test_a_failed_upgrade_write_is_logged_without_the_hash_and_the_login_succeeds(
    legacy_user, store, monkeypatch, capsys
):
    def refuse(self, username, old_hash, new_hash):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateItem")

    monkeypatch.setattr(HashUpgrades, "replace_hash", refuse)
    capture_function_output(monkeypatch)

    answer = log_in(OLD_PASSWORD)
    assert answer.status == 200
    assert store.require_user(USER).password_hash == legacy_user, "nothing written"
    out = capsys.readouterr().out
    assert '"password hash upgrade failed"' in out
    assert '"error":"ClientError"' in out
    assert legacy_user not in out
    assert legacy_user.split("$")[2] not in out, "not even the salt"
    assert OLD_PASSWORD not in out


def test_native_bcrypt_of_another_cost_is_rehashed_at_the_configured_cost(store, function_env, monkeypatch, capsys):
    other_cost = native_bcrypt(OLD_PASSWORD, BCRYPT_ROUNDS + 1)
    store.create_user(USER, other_cost)
    capture_function_output(monkeypatch)

    assert log_in(OLD_PASSWORD).status == 403  # no channels: the password was right
    upgraded = store.require_user(USER).password_hash
    assert upgraded.startswith(f"$2b${BCRYPT_ROUNDS:02d}$")
    assert bcrypt.checkpw(OLD_PASSWORD.encode(), upgraded.encode())
    assert [line["upgrade"] for line in upgrade_lines(capsys)] == ["upgraded"]


def test_a_current_hash_is_left_alone(store, function_env, monkeypatch, capsys):
    current = native_bcrypt(OLD_PASSWORD, BCRYPT_ROUNDS)
    store.create_user(USER, current)
    capture_function_output(monkeypatch)
    assert log_in(OLD_PASSWORD).status == 403
    assert store.require_user(USER).password_hash == current
    assert upgrade_lines(capsys) == []
