"""Display names: what other participants see as a user's name (the token's `name` claim).

Optional; with none, the token carries the username (an email address) as before. Shared by authctl
and whatever else sets names; free of AWS imports.
"""

from __future__ import annotations

import unicodedata

MAX_DISPLAY_NAME_LENGTH = 128  # characters; a name, not a document
# Control characters, surrogates and line/paragraph separators; format characters such as the
# zero-width non-joiner (common in Persian names) are allowed.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Zl", "Zp"})


class UnusableDisplayName(ValueError):
    """A display name that cannot be stored; the message says why."""


def normalize_display_name(text: str) -> str | None:
    """The name as stored: trimmed; None (no name, tokens show the username) when blank."""
    name = text.strip()
    if not name:
        return None
    if any(unicodedata.category(character) in _REFUSED_CATEGORIES for character in name):
        raise UnusableDisplayName("the display name holds a control character or a line break")
    if len(name) > MAX_DISPLAY_NAME_LENGTH:
        raise UnusableDisplayName(f"the display name is longer than {MAX_DISPLAY_NAME_LENGTH} characters")
    return name
