"""The layer's pins (layers/common/requirements.lock), authctl's, and the dev venv's (requirements/constraints.txt)."""

from __future__ import annotations

import re
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LAYER_LOCK = ROOT / "layers/common/requirements.lock"
LAYER_REQUIREMENTS = ROOT / "layers/common/requirements.txt"
DEV_CONSTRAINTS = ROOT / "requirements/constraints.txt"
AUTHCTL_REQUIREMENTS = ROOT / "requirements/authctl.txt"  # beyond the layer's; pyproject.toml installs both
PYPROJECT = ROOT / "pyproject.toml"
HASH = re.compile(r"--hash=sha256:[0-9a-f]{64}")


def requirement_lines(path: Path) -> list[str]:
    """Logical lines of a pip requirements file: continuations joined, comments and blanks dropped."""
    text = path.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = (line.split(" #", 1)[0].strip() for line in text.split("\n"))
    return [line for line in lines if line and not line.startswith("#")]


def exact_pins(path: Path) -> dict[str, str]:
    """{canonical name: version} of every `name==version` line; anything else is an error."""
    pins = {}
    for line in requirement_lines(path):
        requirement = Requirement(line.split(" --hash", 1)[0].strip())
        (specifier,) = requirement.specifier
        assert specifier.operator == "==", line
        pins[canonicalize_name(requirement.name)] = specifier.version
    return pins


def hashes_by_name(path: Path) -> dict[str, list[str]]:
    return {
        canonicalize_name(Requirement(line.split(" --hash", 1)[0].strip()).name): HASH.findall(line)
        for line in requirement_lines(path)
    }
