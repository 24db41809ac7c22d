"""What the function loads at cold start: its own modules and the layer's, never authctl's or the tools'."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tools import REPO_ROOT

# authctl's code: whole-table reads and admin writes the function's IAM does not allow anyway.
NOT_FOR_THE_FUNCTION = ("livekit_authctl", "livekit_auth.storage.admin", "livekit_auth.storage.transfer", "tools")


def is_part_of(name: str, packages: tuple[str, ...]) -> bool:
    return any(name == package or name.startswith(package + ".") for package in packages)


def test_importing_the_handler_loads_no_admin_or_tool_module():
    # Given: a fresh interpreter with only the layer and the function on the path, as in Lambda
    path = os.pathsep.join(str(REPO_ROOT / part) for part in ("layers/common", "functions/auth_client"))
    env = {**os.environ, "PYTHONPATH": path, "AWS_DEFAULT_REGION": "eu-west-1"}
    script = "import json, sys; import app; print(json.dumps(sorted(sys.modules)))"
    # When
    loaded = json.loads(
        subprocess.run(  # noqa: S603 - this interpreter, a fixed script
            [sys.executable, "-c", script],
            cwd=REPO_ROOT / "functions/auth_client",
            env=env,
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    )
    # Then
    assert "livekit_auth.login" in loaded  # the check sees the layer at all
    assert [name for name in loaded if is_part_of(name, NOT_FOR_THE_FUNCTION)] == []
