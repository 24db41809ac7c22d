"""The settings tests run with, from one place: the function's configuration module and the test environment.

Tests read the lockout threshold, the bcrypt cost and the rest from here or from the `settings`
fixture (the function's environment as the function loads it), never from a number of their own.
"""

from __future__ import annotations

from livekit_auth.config import Settings, load_settings, require_function_settings
from tools.local import fake_aws

# livekit_auth.config's defaults: what a stack (and `make run`) gets without overrides.
DEFAULT_SETTINGS = load_settings({})
# The cheapest bcrypt cost, which the test environment gives the function.
BCRYPT_ROUNDS = fake_aws.BCRYPT_ROUNDS


def function_settings() -> Settings:
    """The settings the function loads from the current environment (set by the function_env fixture)."""
    return require_function_settings(load_settings())
