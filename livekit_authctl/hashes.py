"""Password-hash rules authctl applies: which stored hash an import must not replace, and how a format is named."""

from __future__ import annotations

from datetime import datetime

from livekit_auth import legacy_hashes


def downgrade(stored: str, imported: str, rounds: int) -> bool:
    """Whether `imported` would replace bcrypt made here (an upgrade on login, `user passwd`) by an older format.

    Re-running a Django import after users logged in or had their password reset must not bring the
    old hash (and with it, after a reset, the old password) back: not a non-bcrypt one over any bcrypt,
    nor native bcrypt of another cost (or $2a$/$2y$) over the $2b$ at `rounds` that this service makes.
    """
    made_here = stored.startswith(legacy_hashes.NATIVE_PREFIX) and legacy_hashes.is_current(stored, rounds)
    older = not (imported.startswith(legacy_hashes.NATIVE_PREFIX) and legacy_hashes.is_current(imported, rounds))
    return (stored.startswith("$2") and not imported.startswith("$2")) or (made_here and older)


def changed_here_after(stored: str | None, imported: str | None) -> bool:
    """Whether the password here was set after the file's (password_changed_at of each).

    A change recorded here (user add, user passwd, an import that set the hash) outlives a file that
    records none (Django, older exports) or an earlier one: a snapshot taken before a `user passwd` must
    not bring the old password back. The login's upgrade of a hash is no password change: it records none.
    """
    if stored is None:
        return False
    return imported is None or datetime.fromisoformat(stored) > datetime.fromisoformat(imported)


def hash_description(encoded: str) -> str:
    """The format's name, never the hash: 'pbkdf2_sha256', 'bcrypt cost 10', 'locked (md5)'."""
    if encoded.startswith(legacy_hashes.WEAK_MARKER):
        return f"locked ({encoded.removeprefix(legacy_hashes.WEAK_MARKER)})"
    try:
        name = legacy_hashes.format_name(encoded)
    except legacy_hashes.UnknownHashFormat:
        return "unknown format"
    return f"bcrypt cost {encoded[4:6]}" if name == "bcrypt" else name
