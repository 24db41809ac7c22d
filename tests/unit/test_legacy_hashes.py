"""legacy_hashes: each format verifies its own password only; what counts as current; what the import drops."""

from __future__ import annotations

import bcrypt
import pytest

from livekit_auth import legacy_hashes
from livekit_auth.passwords import verify_password
from tests.transfer_support import (
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
    "bcrypt": lambda password: native_bcrypt(password, 4, "$2a$"),
}


@pytest.mark.parametrize("name", MAKERS)
def test_each_format_verifies_its_password_and_no_other(name):
    encoded = MAKERS[name](PASSWORD)
    assert legacy_hashes.format_name(encoded) == name
    assert legacy_hashes.verify(PASSWORD.encode(), encoded) is True
    assert legacy_hashes.verify(b"wrong", encoded) is False
    assert verify_password(PASSWORD, encoded, 4) is True
    assert verify_password("wrong", encoded, 4) is False


def test_bcrypt_sha256_is_not_plain_bcrypt():
    """Django pre-hashes for bcrypt_sha256: the same bcrypt string under the other prefix must not verify."""
    encoded = django_bcrypt_sha256(PASSWORD)
    assert not legacy_hashes.verify(PASSWORD.encode(), "bcrypt$" + encoded.removeprefix("bcrypt_sha256$"))


def test_only_native_2b_at_the_configured_cost_is_current():
    assert legacy_hashes.is_current(native_bcrypt(PASSWORD, 4), 4)
    assert not legacy_hashes.is_current(native_bcrypt(PASSWORD, 5), 4)
    assert not legacy_hashes.is_current(native_bcrypt(PASSWORD, 4, "$2y$"), 4)
    assert not legacy_hashes.is_current(pbkdf2(PASSWORD), 4)
    assert legacy_hashes.is_current("!locked", 4), "nothing to upgrade: it cannot log in"


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


def test_a_locked_hash_costs_one_dummy_check_and_never_matches(monkeypatch):
    checks = []
    real = bcrypt.checkpw
    monkeypatch.setattr(bcrypt, "checkpw", lambda password, hashed: checks.append(hashed) or real(password, hashed))
    assert verify_password("anything", unusable(), 4) is False
    assert verify_password("anything", legacy_hashes.WEAK_MARKER + "md5", 4) is False
    assert len(checks) == 2
    assert all(hashed.startswith(b"$2b$04$") for hashed in checks), "the dummy hash, as for an unknown user"


def test_garbage_is_no_known_format():
    for value in ("plain text", "pbkdf2_sha256$0$salt$aGFzaA==", "bcrypt$not-bcrypt"):
        with pytest.raises(legacy_hashes.UnknownHashFormat):
            legacy_hashes.format_name(value)
