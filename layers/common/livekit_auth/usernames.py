"""Usernames as the service compares them; shared by the login and authctl, free of AWS imports."""

MAX_USERNAME_LENGTH = 254  # the longest valid email address


def normalize_username(username: str) -> str:
    """Usernames are emails compared trimmed and lower-cased, on write and on login alike."""
    return username.strip().lower()
