"""Shared by the export/import and upgrade-on-login tests: Django's hashes, Django dumpdata files, table scans.

Hashes are made the way Django's hashers make them (hashlib, bcrypt), so the tests check the
formats, not strings copied from somewhere.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import secrets
import string
from collections.abc import Iterator
from typing import Any

import bcrypt

from livekit_auth import legacy_hashes

DJANGO_BCRYPT_ROUNDS = 5  # Django's default is 12; any cost verifies alike, a cheap one keeps tests fast
# The fewest iterations kept (Django 1.4's default; 6.0's is 1,200,000): cheap, and the count is in the hash.
DJANGO_PBKDF2_ITERATIONS = legacy_hashes.PBKDF2_ITERATIONS.start


def django_salt() -> str:
    """Django's get_random_string(22): 22 letters and digits."""
    return "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(22))


def pbkdf2(password: str, iterations: int = DJANGO_PBKDF2_ITERATIONS, algorithm: str = "pbkdf2_sha256") -> str:
    """Django's PBKDF2PasswordHasher (and PBKDF2SHA1PasswordHasher) .encode()."""
    salt = django_salt()
    digest = hashlib.pbkdf2_hmac(algorithm.removeprefix("pbkdf2_"), password.encode(), salt.encode(), iterations)
    return f"{algorithm}${iterations}${salt}${base64.b64encode(digest).decode('ascii').strip()}"


def django_bcrypt(password: str) -> str:
    """Django's BCryptPasswordHasher: bcrypt of the password itself."""
    return "bcrypt$" + bcrypt.hashpw(password.encode(), bcrypt.gensalt(DJANGO_BCRYPT_ROUNDS)).decode("ascii")


def django_bcrypt_sha256(password: str) -> str:
    """Django's BCryptSHA256PasswordHasher: bcrypt of the hex SHA-256 of the password."""
    prehashed = binascii.hexlify(hashlib.sha256(password.encode()).digest())
    return "bcrypt_sha256$" + bcrypt.hashpw(prehashed, bcrypt.gensalt(DJANGO_BCRYPT_ROUNDS)).decode("ascii")


def native_bcrypt(password: str, cost: int, prefix: str = "$2b$") -> str:
    """bcrypt as other services store it; $2a$ and $2y$ name the same algorithm as $2b$."""
    return prefix + bcrypt.hashpw(password.encode(), bcrypt.gensalt(cost)).decode("ascii").removeprefix("$2b$")


def salted_md5(password: str) -> str:
    salt = django_salt()
    return f"md5${salt}${hashlib.md5((salt + password).encode()).hexdigest()}"  # noqa: S324 - the weak format under test


def salted_sha1(password: str) -> str:
    salt = django_salt()
    return f"sha1${salt}${hashlib.sha1((salt + password).encode()).hexdigest()}"  # noqa: S324


def unsalted_md5(password: str) -> str:
    return hashlib.md5(password.encode()).hexdigest()  # noqa: S324


def unsalted_sha1(password: str) -> str:
    return "sha1$$" + hashlib.sha1(password.encode()).hexdigest()  # noqa: S324


def unusable() -> str:
    """Django's make_password(None): '!' and 40 random characters."""
    return "!" + "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(40))


def django_user(pk: int, username: str, password_hash: str, *, email: str = "", active: bool = True, **extra: Any):
    """One entry of `manage.py dumpdata auth.user`."""
    fields = {
        "password": password_hash,
        "last_login": None,
        "is_superuser": False,
        "username": username,
        "first_name": "",
        "last_name": "",
        "email": email,
        "is_staff": False,
        "is_active": active,
        "date_joined": f"2024-05-01T10:{pk % 60:02d}:00Z",
        "groups": [],
        "user_permissions": [],
        **extra,
    }
    return {"model": "auth.user", "pk": pk, "fields": fields}


def dumpdata(*users: dict[str, Any]) -> str:
    return json.dumps(list(users), indent=2)


# ---- authctl ----------------------------------------------------------------------------------------------


def scan(client: Any, table: str) -> list[dict[str, Any]]:
    """Every item of a table, in a stable order."""
    items: list[dict[str, Any]] = []
    request: dict[str, Any] = {"TableName": table}
    while True:
        page = client.scan(**request)
        items += page["Items"]
        if "LastEvaluatedKey" not in page:
            return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
        request["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def each_line(text: str) -> Iterator[dict[str, Any]]:
    for line in text.splitlines():
        yield json.loads(line)


def tallies(out: str) -> dict[str, tuple[int, ...]]:
    """The import summary's table: {kind: (created, updated, unchanged, refused)}."""
    rows = {}
    for line in out.splitlines():
        words = line.split()
        if (
            len(words) == 5
            and words[0] in ("user", "channel", "grant", "other")
            and all(word.isdigit() for word in words[1:])
        ):
            rows[words[0]] = tuple(int(word) for word in words[1:])
    return rows
