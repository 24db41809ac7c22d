"""The rule of the tiers that drive real software (tests/livekit, tests/sam_local): on a machine without a tool
they skip with one line saying what is missing and how to get it; under CI (`CI` set) that is a failure."""

from __future__ import annotations

import os

import pytest


def require(missing: str | None) -> None:
    """Skip with the one line `missing` says (what is missing and how to get it); under CI (`CI` set) fail."""
    if missing is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI needs it: {missing}")
    pytest.skip(missing)
