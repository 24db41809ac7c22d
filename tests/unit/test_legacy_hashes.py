"""legacy_hashes: each format verifies its own password only; what counts as current; what the import drops."""

from __future__ import annotations

import pytest

from livekit_auth import legacy_hashes
from livekit_auth.passwords import verify_password
from tests.support.settings import BCRYPT_ROUNDS
from tests.support.transfer import (
    django_bcrypt,
    django_bcrypt_sha256,
    native_bcrypt,
    pbkdf2,
    salted_md5,
    salted_sha1,
    unsalted_md5,
    unsalted_sha1,
    unusable,
)

PASSWORD = "pässword with ünicode"
MAKERS = {
    "pbkdf2_sha256": pbkdf2,
    "pbkdf2_sha1": lambda password: pbkdf2(password, algorithm="pbkdf2_sha1"),
    "django_bcrypt": django_bcrypt,
    "django_bcrypt_sha256": django_bcrypt_sha256,
    "bcrypt": lambda password: native_bcrypt(password, BCRYPT_ROUNDS, "$2a$"),
}


@pytest.mark.parametrize("name", MAKERS)
def test_each_format_verifies_its_password_and_no_other(name):
    # Given
    encoded = MAKERS[name](PASSWORD)
    # Then
    assert legacy_hashes.format_name(encoded) == name
    assert legacy_hashes.verify(PASSWORD.encode(), encoded) is True
    assert legacy_hashes.verify(b"wrong", encoded) is False
    assert verify_password(PASSWORD, encoded, BCRYPT_ROUNDS) is True
    assert verify_password("wrong", encoded, BCRYPT_ROUNDS) is False


def test_bcrypt_sha256_is_not_plain_bcrypt():
    """Django pre-hashes for bcrypt_sha256: the same bcrypt string under the other prefix must not verify."""
    # Given
    encoded = django_bcrypt_sha256(PASSWORD)
    # When
    relabelled = "bcrypt$" + encoded.removeprefix("bcrypt_sha256$")
    # Then
    assert not legacy_hashes.verify(PASSWORD.encode(), relabelled)


def test_only_native_2b_at_the_configured_cost_is_current():
    cost = BCRYPT_ROUNDS
    assert legacy_hashes.is_current(native_bcrypt(PASSWORD, cost), cost)
    assert not legacy_hashes.is_current(native_bcrypt(PASSWORD, cost + 1), cost)
    assert not legacy_hashes.is_current(native_bcrypt(PASSWORD, cost, "$2y$"), cost)
    assert not legacy_hashes.is_current(pbkdf2(PASSWORD), cost)
    assert legacy_hashes.is_current("!locked", cost), "nothing to upgrade: it cannot log in"


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (salted_md5(PASSWORD), "md5"),
        (salted_sha1(PASSWORD), "sha1"),
        (unsalted_md5(PASSWORD), "unsalted_md5"),
        ("md5$$" + unsalted_md5(PASSWORD), "unsalted_md5"),
        (unsalted_sha1(PASSWORD), "unsalted_sha1"),
        ("crypt$$abJnggxhB/yWI", "crypt"),
        ("argon2$argon2id$v=19$m=102400,t=2,p=8$c2FsdA$aGFzaA", "argon2"),
        ("", "empty"),
    ],
)
def test_weak_and_unsupported_formats_are_named_and_never_verified(encoded, name):
    assert legacy_hashes.unkept_format(encoded) == name
    with pytest.raises(ValueError, match=r"cannot be checked|no format"):
        legacy_hashes.verify(PASSWORD.encode(), encoded)


def test_a_locked_hash_costs_one_dummy_check_and_never_matches(bcrypt_checks):
    # When: a Django unusable password and a weak format's marker are checked
    unusable_matches = verify_password("anything", unusable(), BCRYPT_ROUNDS)
    weak_matches = verify_password("anything", legacy_hashes.WEAK_MARKER + "md5", BCRYPT_ROUNDS)

    # Then: no match, each at the cost of one check of the dummy hash, as for an unknown user
    assert (unusable_matches, weak_matches) == (False, False)
    assert bcrypt_checks.count == 2
    assert all(hashed.startswith(f"$2b${BCRYPT_ROUNDS:02d}$".encode()) for hashed in bcrypt_checks.hashes)


def test_garbage_is_no_known_format():
    for value in ("plain text", "pbkdf2_sha256$0$salt$aGFzaA==", "bcrypt$not-bcrypt"):
        with pytest.raises(legacy_hashes.UnknownHashFormat):
            legacy_hashes.format_name(value)
