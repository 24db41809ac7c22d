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
from tests.support.logins import attempt_login, lock_out
from tests.support.logs import capture_function_output, log_records
from tests.support.transfer import native_bcrypt, pbkdf2
from tools.local.demo_data import PUBLIC_CHANNEL

USER = "racer@example.com"
OLD_PASSWORD = "the imported password"
NEW_PASSWORD = "set by the operator meanwhile"


@pytest.fixture
def legacy_user(store, function_env) -> str:
    """A user with a Django PBKDF2 hash and one channel; returns that hash."""
    old_hash = pbkdf2(OLD_PASSWORD)
    store.create_user(USER, old_hash)
    store.add_channel(*PUBLIC_CHANNEL)
    store.grant(store.require_user(USER), store.get_channel(PUBLIC_CHANNEL[0]), Membership(*PUBLIC_CHANNEL))
    return old_hash


def upgrade_lines(capsys) -> list[dict]:
    return [record for record in log_records(capsys) if record.get("message", "").startswith("password hash upgrade")]


def test_upgrade_loses_to_a_concurrent_user_passwd(legacy_user, authctl_without_demo, store, monkeypatch, capsys):
    # Given: between the login's read and its upgrade write, the operator sets a new password
    # (`user passwd`: the new hash and the lifted lockout in one transaction)
    real_hash = password_upgrades.hash_password

    def passwd_lands_first(password: str, rounds: int) -> str:
        changed = authctl_without_demo("user", "passwd", USER, "--password-stdin", stdin=NEW_PASSWORD)
        assert changed.code == 0, changed.err
        return real_hash(password, rounds)

    monkeypatch.setattr(password_upgrades, "hash_password", passwd_lands_first)
    capture_function_output(monkeypatch)

    # When
    answer = attempt_login(USER, OLD_PASSWORD)

    # Then: the login succeeds (the password was right when checked), the new password is kept
    assert answer.status == 200
    kept = store.require_user(USER).password_hash
    assert bcrypt.checkpw(NEW_PASSWORD.encode(), kept.encode())
    assert [(line["upgrade"], line["from_format"]) for line in upgrade_lines(capsys)] == [
        ("superseded", "pbkdf2_sha256")
    ]
    # and from now on only the new password logs in
    monkeypatch.setattr(password_upgrades, "hash_password", real_hash)
    assert attempt_login(USER, OLD_PASSWORD).status == 401
    assert attempt_login(USER, NEW_PASSWORD).status == 200


def test_a_failed_upgrade_write_is_logged_without_the_hash_and_the_login_succeeds(
    legacy_user, store, monkeypatch, capsys
):
    # Given: the upgrade write is refused
    def refuse(self, username, old_hash, new_hash):
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "UpdateItem")

    monkeypatch.setattr(HashUpgrades, "replace_hash", refuse)
    capture_function_output(monkeypatch)

    # When
    answer = attempt_login(USER, OLD_PASSWORD)

    # Then
    assert answer.status == 200
    assert store.require_user(USER).password_hash == legacy_user, "nothing written"
    out = capsys.readouterr().out
    assert '"password hash upgrade failed"' in out
    assert '"error":"ClientError"' in out
    assert legacy_user not in out
    assert legacy_user.split("$")[2] not in out, "not even the salt"
    assert OLD_PASSWORD not in out


def test_native_bcrypt_of_another_cost_is_rehashed_at_the_configured_cost(store, settings, monkeypatch, capsys):
    # Given: a hash made before a BcryptRounds change
    store.create_user(USER, native_bcrypt(OLD_PASSWORD, settings.bcrypt_rounds + 1))
    capture_function_output(monkeypatch)

    # When
    answer = attempt_login(USER, OLD_PASSWORD)

    # Then: the guide's answer for no channels (the password was right), and the hash at the configured cost
    assert answer.status == 403
    upgraded = store.require_user(USER).password_hash
    assert upgraded.startswith(f"$2b${settings.bcrypt_rounds:02d}$")
    assert bcrypt.checkpw(OLD_PASSWORD.encode(), upgraded.encode())
    assert [line["upgrade"] for line in upgrade_lines(capsys)] == ["upgraded"]


def test_a_current_hash_is_left_alone(store, settings, monkeypatch, capsys):
    # Given
    current = native_bcrypt(OLD_PASSWORD, settings.bcrypt_rounds)
    store.create_user(USER, current)
    capture_function_output(monkeypatch)

    # When
    answer = attempt_login(USER, OLD_PASSWORD)

    # Then
    assert answer.status == 403
    assert store.require_user(USER).password_hash == current
    assert upgrade_lines(capsys) == []


def test_passwd_after_an_upgrade_replaces_it_and_lifts_the_lockout(legacy_user, authctl_without_demo, store, settings):
    # Given: the user was upgraded on login, then locked out by wrong guesses
    assert attempt_login(USER, OLD_PASSWORD).status == 200
    lock_out(USER, settings.lockout_threshold)
    assert store.get_attempts(USER) is not None

    # When
    changed = authctl_without_demo("user", "passwd", USER, "--password-stdin", stdin=NEW_PASSWORD)

    # Then: one transaction wrote the new hash and cleared the counter
    assert changed.code == 0, changed.err
    assert store.get_attempts(USER) is None
    assert attempt_login(USER, NEW_PASSWORD).status == 200
    assert attempt_login(USER, OLD_PASSWORD).status == 401
