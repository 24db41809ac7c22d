"""What `sam build` ships of the function: functions/auth_client/Makefile copies each module by name."""

from __future__ import annotations

import re

from tools import REPO_ROOT

FUNCTION_DIR = REPO_ROOT / "functions" / "auth_client"


def test_the_build_copies_every_module_of_the_function():
    # Given: the function's modules, and the Makefile's copy line
    modules = {path.name for path in FUNCTION_DIR.glob("*.py")}
    (copy_line,) = re.findall(r"^\tcp (.+) \"\$\(ARTIFACTS_DIR\)/\"$", (FUNCTION_DIR / "Makefile").read_text(), re.M)
    # When
    copied = set(copy_line.split())
    # Then: a module left out would be an ImportError in Lambda, not in the tests
    assert copied == modules
