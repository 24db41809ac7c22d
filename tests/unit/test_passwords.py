import pytest

from livekit_auth import passwords
from livekit_auth.passwords import UnusablePassword, hash_password, verify_password
from tests.support.settings import BCRYPT_ROUNDS as ROUNDS
from tests.support.settings import DEFAULT_SETTINGS


@pytest.mark.parametrize("password", ["correct horse", "رمز عبور ۱۲۳", "pässwörd", "🔑🔑🔑", "a" * 72])
def test_any_unicode_password_round_trips(password):
    stored = hash_password(password, ROUNDS)
    assert verify_password(password, stored, ROUNDS)
    assert not verify_password(password + "x", stored, ROUNDS)


def test_hash_uses_the_requested_cost():
    assert hash_password("secret-enough", 5).startswith("$2b$05$")


@pytest.mark.parametrize("password", ["", "a" * 73, "é" * 37, "\ud800"])
def test_unusable_passwords_are_refused_when_set(password):
    with pytest.raises(UnusablePassword):
        hash_password(password, ROUNDS)


def test_a_password_over_72_bytes_never_matches_and_never_raises():
    stored = hash_password("a" * 72, ROUNDS)
    assert verify_password("a" * 100, stored, ROUNDS) is False


def test_unknown_user_is_checked_against_a_dummy_hash(bcrypt_checks):
    assert verify_password("anything", None, ROUNDS) is False
    assert bcrypt_checks.hashes == [passwords.dummy_hash(ROUNDS)]


def test_dummy_hash_for_the_default_cost_has_that_cost():
    rounds = DEFAULT_SETTINGS.bcrypt_rounds
    assert passwords.dummy_hash(rounds).startswith(f"$2b${rounds:02d}$".encode())


def test_a_corrupt_stored_hash_is_a_server_fault_not_a_wrong_password():
    with pytest.raises(ValueError, match="no format"):
        verify_password("whatever", "not-a-bcrypt-hash", ROUNDS)
