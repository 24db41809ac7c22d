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


# ---- costs an imported hash may carry ---------------------------------------------------------------------

FAKE_DIGEST = "aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g="
BCRYPT_TAIL = "abcdefghijklmnopqrstuv" + "A" * 31  # 22 characters of salt, 31 of checksum: the shape only
TOO_MANY = legacy_hashes.PBKDF2_ITERATIONS.stop


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (pbkdf2(PASSWORD, iterations=1), "pbkdf2_sha256_too_few_iterations"),
        (pbkdf2(PASSWORD, iterations=legacy_hashes.PBKDF2_ITERATIONS.start - 1), "pbkdf2_sha256_too_few_iterations"),
        (pbkdf2(PASSWORD, iterations=1, algorithm="pbkdf2_sha1"), "pbkdf2_sha1_too_few_iterations"),
        (f"pbkdf2_sha256${TOO_MANY}$salt${FAKE_DIGEST}", "pbkdf2_sha256_too_many_iterations"),
        (f"pbkdf2_sha256$9999999999$salt${FAKE_DIGEST}", "pbkdf2_sha256_too_many_iterations"),
        (f"$2b${legacy_hashes.MAX_BCRYPT_COST + 1}${BCRYPT_TAIL}", "bcrypt_cost_too_high"),
        (f"$2a$31${BCRYPT_TAIL}", "bcrypt_cost_too_high"),
        (f"bcrypt$$2b$31${BCRYPT_TAIL}", "bcrypt_cost_too_high"),
        (f"bcrypt_sha256$$2b$20${BCRYPT_TAIL}", "bcrypt_cost_too_high"),
    ],
)
def test_a_hash_too_cheap_to_keep_or_too_dear_to_check_is_never_verified(encoded, name, monkeypatch, bcrypt_checks):
    """A crafted `pbkdf2_sha256$1$...` would be an account a leaked table gives away at once; a huge count
    or cost would make each login of that account burn the function's whole timeout."""
    derivations = []
    monkeypatch.setattr(legacy_hashes.hashlib, "pbkdf2_hmac", lambda *args: derivations.append(args) or b"")
    # Then: the import drops it (a locked marker naming why), and a login that meets it runs no derivation
    assert legacy_hashes.unkept_format(encoded) == name
    assert legacy_hashes.format_name(encoded) == name
    with pytest.raises(ValueError, match="cannot be checked"):
        verify_password(PASSWORD, encoded, BCRYPT_ROUNDS)
    assert (derivations, bcrypt_checks.count) == ([], 0)


def test_the_cost_bounds_take_every_django_default_and_every_configurable_bcrypt_cost():
    from livekit_auth.config import BCRYPT_ROUNDS as ROUNDS_SETTING

    assert legacy_hashes.PBKDF2_ITERATIONS.start == 10_000  # Django 1.4's, the lowest it ever shipped
    assert 1_200_000 in legacy_hashes.PBKDF2_ITERATIONS  # Django 6.0's
    assert verify_password(PASSWORD, native_bcrypt(PASSWORD, 4), BCRYPT_ROUNDS)
    assert legacy_hashes.unkept_format(f"$2b${ROUNDS_SETTING.high}${BCRYPT_TAIL}") is None
    for count in (legacy_hashes.PBKDF2_ITERATIONS.start, 20_000):
        assert legacy_hashes.unkept_format(pbkdf2(PASSWORD, iterations=count)) is None
        assert verify_password(PASSWORD, pbkdf2(PASSWORD, iterations=count), BCRYPT_ROUNDS)
