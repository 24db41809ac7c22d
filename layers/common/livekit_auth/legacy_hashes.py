"""Password hashes this service did not make: Django's formats, native bcrypt at another cost, and locked accounts.

Imported users keep their old hash until they log in once; the login then verifies it here and
replaces it with native bcrypt at BCRYPT_ROUNDS (livekit_auth.password_upgrades). Formats:

    $2b$ / $2a$ / $2y$   native bcrypt (current only as $2b$ at BCRYPT_ROUNDS)
    bcrypt$...           Django's BCryptPasswordHasher: bcrypt of the password
    bcrypt_sha256$...    Django's BCryptSHA256PasswordHasher: bcrypt of hex(SHA-256(password))
    pbkdf2_sha256$N$salt$b64   Django's default, any iteration count N (pbkdf2_sha1 alike)
    !...                 locked: cannot log in until `authctl user passwd` (Django's unusable
                         passwords, and weak formats whose hash is dropped on import)

Weak formats (unsalted or salted MD5/SHA1, crypt) and ones this layer cannot check (argon2, scrypt)
are never verified: the import replaces them by a locked marker that names the format. So are hashes
whose cost lies outside PBKDF2_ITERATIONS or above MAX_BCRYPT_COST: a crafted `pbkdf2_sha256$1$...`
would be an account a leaked table gives away at once, a huge count a login that burns the timeout.
Standard library only (hashlib, hmac) besides bcrypt; comparisons are constant-time.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re

import bcrypt

from livekit_auth.config import BCRYPT_ROUNDS

LOCKED_PREFIX = "!"
WEAK_MARKER = LOCKED_PREFIX + "weak:"  # + the format's name: the hash itself is not kept
NATIVE_PREFIX = "$2b$"

_NATIVE = re.compile(r"\$2[aby]\$(\d\d)\$[./A-Za-z0-9]{53}")
_PBKDF2 = re.compile(r"(pbkdf2_sha256|pbkdf2_sha1)\$([1-9][0-9]{0,9})\$([^$]+)\$([A-Za-z0-9+/=]+)")
_PBKDF2_DIGESTS = {"pbkdf2_sha256": "sha256", "pbkdf2_sha1": "sha1"}
# Iteration counts kept: from Django 1.4's default (the lowest Django ever shipped) to about four times
# Django 6.0's 1,200,000 (about a second per check on one vCPU; docs/migration.md has the figures).
PBKDF2_ITERATIONS = range(10_000, 5_000_001)
# bcrypt costs kept: up to the highest BcryptRounds; each step doubles a check (cost 31 takes days).
MAX_BCRYPT_COST = BCRYPT_ROUNDS.high
# Django's formats that are too weak to keep (a GPU guesses them fast) or that need libraries the
# layer does not ship; the name is what `user list --legacy` shows.
_UNKEPT = {
    "md5$": "md5",
    "sha1$$": "unsalted_sha1",
    "sha1$": "sha1",
    "crypt$": "crypt",
    "argon2$": "argon2",
    "scrypt$": "scrypt",
}
_UNSALTED_MD5 = re.compile(r"[0-9a-f]{32}")


class UnknownHashFormat(ValueError):
    """A stored or imported value that is no password hash this service knows."""


def format_name(encoded: str) -> str:
    """What kind of hash this is: 'bcrypt', 'django_bcrypt', 'django_bcrypt_sha256', 'pbkdf2_sha256',
    'pbkdf2_sha1', 'locked' (cannot log in), or a weak/unsupported format's name (see unkept_format)."""
    if encoded.startswith(LOCKED_PREFIX):
        return "locked"
    unkept = unkept_format(encoded)
    if unkept:
        return unkept
    if _NATIVE.fullmatch(encoded):
        return "bcrypt"
    if encoded.startswith("bcrypt_sha256$") and _NATIVE.fullmatch(encoded.removeprefix("bcrypt_sha256$")):
        return "django_bcrypt_sha256"
    if encoded.startswith("bcrypt$") and _NATIVE.fullmatch(encoded.removeprefix("bcrypt$")):
        return "django_bcrypt"
    pbkdf2 = _PBKDF2.fullmatch(encoded)
    if pbkdf2:
        return pbkdf2.group(1)
    raise UnknownHashFormat("not a password hash format this service knows")


def unkept_format(encoded: str) -> str | None:
    """The name of a format the import replaces by a locked marker (weak, unsupported, or a cost out of
    bounds), else None."""
    if not encoded:
        return "empty"
    pbkdf2 = _PBKDF2.fullmatch(encoded)
    if pbkdf2 and int(pbkdf2.group(2)) < PBKDF2_ITERATIONS.start:
        return f"{pbkdf2.group(1)}_too_few_iterations"
    if pbkdf2 and int(pbkdf2.group(2)) >= PBKDF2_ITERATIONS.stop:
        return f"{pbkdf2.group(1)}_too_many_iterations"
    native = _NATIVE.fullmatch(encoded.removeprefix("bcrypt$").removeprefix("bcrypt_sha256$"))
    if native and int(native.group(1)) > MAX_BCRYPT_COST:
        return "bcrypt_cost_too_high"
    if _UNSALTED_MD5.fullmatch(encoded) or (encoded.startswith("md5$$") and len(encoded) == 37):
        return "unsalted_md5"
    return next((name for prefix, name in _UNKEPT.items() if encoded.startswith(prefix)), None)


def bcrypt_cost(encoded: str) -> int | None:
    """The cost of a bcrypt hash, native or wrapped by Django (bcrypt$, bcrypt_sha256$); None for other formats."""
    native = _NATIVE.fullmatch(encoded.removeprefix("bcrypt$").removeprefix("bcrypt_sha256$"))
    return int(native.group(1)) if native else None


def is_current(encoded: str, rounds: int) -> bool:
    """Native bcrypt ($2b$) at exactly `rounds`: nothing to upgrade. Locked markers count as current."""
    if encoded.startswith(LOCKED_PREFIX):
        return True
    return encoded.startswith(NATIVE_PREFIX) and encoded[4:6] == f"{rounds:02d}" and bool(_NATIVE.fullmatch(encoded))


def verify(candidate: bytes, encoded: str) -> bool:
    """Check UTF-8 password bytes against any usable format; ValueError (a server fault) for anything else."""
    try:
        kind = format_name(encoded)
    except UnknownHashFormat:
        raise ValueError("the stored hash is in no format this service knows") from None
    if kind == "bcrypt":
        return bcrypt.checkpw(candidate, encoded.encode("ascii"))
    if kind == "django_bcrypt":
        return bcrypt.checkpw(candidate, encoded.removeprefix("bcrypt$").encode("ascii"))
    if kind == "django_bcrypt_sha256":
        digest = binascii.hexlify(hashlib.sha256(candidate).digest())
        return bcrypt.checkpw(digest, encoded.removeprefix("bcrypt_sha256$").encode("ascii"))
    if kind in _PBKDF2_DIGESTS:
        return _verify_pbkdf2(candidate, encoded)
    raise ValueError(f"{kind} hashes cannot be checked")


def _verify_pbkdf2(candidate: bytes, encoded: str) -> bool:
    """Django's PBKDF2PasswordHasher: base64(pbkdf2_hmac(digest, password, salt, iterations)), full digest length."""
    match = _PBKDF2.fullmatch(encoded)
    if match is None:
        raise UnknownHashFormat("not a PBKDF2 hash")
    algorithm, iterations, salt, expected = match.groups()
    derived = hashlib.pbkdf2_hmac(_PBKDF2_DIGESTS[algorithm], candidate, salt.encode("utf-8"), int(iterations))
    return hmac.compare_digest(base64.b64encode(derived).decode("ascii"), expected)
