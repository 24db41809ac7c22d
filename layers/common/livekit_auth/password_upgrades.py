"""Upgrade on login: a verified password whose stored hash is outdated is re-hashed at BCRYPT_ROUNDS.

Outdated means anything but native bcrypt ($2b$) at the configured cost: Django's formats an import
brought in, and native bcrypt of another cost (after a BcryptRounds change). The upgrade costs that
one login a bcrypt hash and one conditional write; it never changes the login's answer. A lost race
(the hash changed meanwhile) and a failed write are logged, without any hash, and the login goes on.
"""

from __future__ import annotations

from aws_lambda_powertools import Logger

from livekit_auth import legacy_hashes
from livekit_auth.passwords import hash_password
from livekit_auth.storage.records import User
from livekit_auth.storage.upgrades import HashUpgrades

# A child of the function's logger (same service name): its lines carry the request's keys.
logger = Logger(child=True)


class PasswordUpgrader:
    def __init__(self, upgrades: HashUpgrades, rounds: int) -> None:
        self._upgrades = upgrades
        self._rounds = rounds

    def after_verified(self, user: User, password: str) -> str:
        """Upgrade `user`'s hash if outdated; return what happened ('current', 'upgraded', 'superseded', 'failed')."""
        if legacy_hashes.is_current(user.password_hash, self._rounds):
            return "current"
        old_format = legacy_hashes.format_name(user.password_hash)
        try:
            new_hash = hash_password(password, self._rounds)
            replaced = self._upgrades.replace_hash(user.username, user.password_hash, new_hash)
        except Exception as error:  # the login already succeeded: an upgrade fault must not turn it into a 500
            logger.warning(
                "password hash upgrade failed", extra={"from_format": old_format, "error": type(error).__name__}
            )
            return "failed"
        outcome = "upgraded" if replaced else "superseded"
        logger.info("password hash upgrade", extra={"from_format": old_format, "upgrade": outcome})
        return outcome
