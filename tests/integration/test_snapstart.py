"""SnapStart (template parameter EnableSnapStart): what the function's snapshot hooks promise.

Restored containers share the snapshot's memory. Their session ids and tokens must still differ (they
come from `secrets`, the OS's randomness), `random` must not replay the snapshot's sequence, and LiveKit
credentials cached before the snapshot must be read again (they may have been rotated meanwhile).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import services
from tools import REPO_ROOT
from tools.local.demo_data import DEMO


@pytest.fixture(scope="module")
def snapshot_restored_twice(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The emulation's report (tests/support/snapstart.py), run once for the module: it takes a few seconds."""
    result = tmp_path_factory.mktemp("snapstart") / "restores.json"
    path = os.pathsep.join(str(REPO_ROOT / part) for part in ("layers/common", "functions/auth_client", "."))
    subprocess.run(  # noqa: S603 - this interpreter, the repository's own module
        [sys.executable, "-m", "tests.support.snapstart", str(result)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": path},
        check=True,
        capture_output=True,
    )
    return json.loads(result.read_text(encoding="utf-8"))


def test_two_restores_of_one_snapshot_open_different_sessions_and_draw_different_randoms(snapshot_restored_twice):
    # Given one initialised function, snapshotted, then restored twice
    first, second = snapshot_restored_twice["restores"]
    # Then each restore logged in, with a session and a `random` state of its own
    assert first["status"] == second["status"] == 200
    assert first["session"]
    assert second["session"]
    assert first["session"].split(".")[0] != second["session"].split(".")[0], "same session id in two restores"
    assert first["session"] != second["session"]
    assert first["random"] != second["random"], "random replays the snapshot's sequence"


def test_the_function_registers_its_hooks_with_the_runtime_and_initialises_into_the_snapshot(snapshot_restored_twice):
    outcome = snapshot_restored_twice
    assert outcome["registered"] == {
        "before_snapshot": ["services.before_snapshot"],
        "after_restore": ["services.after_restore"],
    }
    assert outcome["configured_in_snapshot"] == 1  # settings and the dummy hash built before the snapshot


def test_a_restore_reads_the_livekit_credentials_again(good_login, aws_calls):
    # Given a container that cached the credentials
    assert good_login(DEMO.username).status == 200
    # When it is restored from a snapshot and logs in again
    services.after_restore()
    assert good_login(DEMO.username).status == 200
    # Then SSM was read again
    assert aws_calls["GetParameters"] == 2
