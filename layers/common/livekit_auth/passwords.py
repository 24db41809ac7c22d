"""bcrypt hashing, and verification whose cost does not depend on whether the user exists."""

from __future__ import annotations

import functools

import bcrypt

from livekit_auth import legacy_hashes

MAX_PASSWORD_BYTES = 72  # bcrypt's limit; bcrypt 5 raises on longer input instead of truncating
# OWASP ASVS 5.0 6.2.1: a password being set has at least this many characters (Unicode code points).
# Checked where passwords are set (authctl), never at login: an older, shorter one still verifies.
MIN_NEW_PASSWORD_CHARACTERS = 8

# A hash of a random, forgotten password at the default cost: unknown usernames are checked
# against it so that they take as long as a wrong password for a real user.
_DUMMY_HASH_COST_12 = b"$2b$12$Kug9lGs4GR1Ztn37W6Wg2.BDRzO4qo32BZU0p0tjmPmoz1jRBEPO."


class UnusablePassword(ValueError):
    """A password that cannot be stored: empty, too short to set, over MAX_PASSWORD_BYTES, or not encodable as UTF-8."""


def encode_password(password: str) -> bytes:
    """UTF-8 bytes of a password that bcrypt can take, or UnusablePassword."""
    try:
        encoded = password.encode("utf-8")
    except UnicodeEncodeError:
        raise UnusablePassword("the password is not valid Unicode text") from None
    if not encoded:
        raise UnusablePassword("the password is empty")
    if len(encoded) > MAX_PASSWORD_BYTES:
        raise UnusablePassword(f"the password is longer than {MAX_PASSWORD_BYTES} bytes in UTF-8")
    return encoded


def check_new_password(password: str) -> None:
    """A password may be set when bcrypt can take it and it is at least MIN_NEW_PASSWORD_CHARACTERS long."""
    encode_password(password)
    if len(password) < MIN_NEW_PASSWORD_CHARACTERS:
        raise UnusablePassword(f"the password is shorter than {MIN_NEW_PASSWORD_CHARACTERS} characters")


def hash_password(password: str, rounds: int) -> str:
    return bcrypt.hashpw(encode_password(password), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password: str, stored_hash: str | None, rounds: int) -> bool:
    """True when `password` matches `stored_hash`; one bcrypt check in every case.

    With no stored hash (unknown user), a locked one (legacy_hashes.LOCKED_PREFIX) or an unusable
    password the check runs against a dummy hash and the answer is False, so the time taken reveals
    none of them. A hash this service did not make is checked in its own format (legacy_hashes),
    which may cost more or less than the dummy check until the login upgrades it. A corrupt stored
    hash, or one whose cost legacy_hashes does not keep, raises ValueError: a server fault, not a
    wrong password.
    """
    try:
        candidate = encode_password(password)
        usable = True
    except UnusablePassword:
        candidate, usable = b"\0", False
    if stored_hash is None or stored_hash.startswith(legacy_hashes.LOCKED_PREFIX):
        bcrypt.checkpw(candidate, dummy_hash(rounds))
        return False
    if legacy_hashes.is_current(stored_hash, rounds):
        matches = bcrypt.checkpw(candidate, stored_hash.encode("ascii"))
    else:  # its own format, within the costs legacy_hashes keeps (else a server fault, never a long check)
        matches = legacy_hashes.verify(candidate, stored_hash)
    return matches and usable


@functools.cache
def dummy_hash(rounds: int) -> bytes:
    if rounds == 12:
        return _DUMMY_HASH_COST_12
    return bcrypt.hashpw(b"no user has this password", bcrypt.gensalt(rounds))
