"""One SnapStart snapshot restored twice, emulated with fork: `python -m tests.support.snapstart RESULT_FILE`.

Lambda initialises the function (imports it, runs its before-snapshot hooks), snapshots the whole memory,
and starts each new container from a copy of it, running the after-restore hooks first. Here a stand-in
for the runtime's `snapshot_restore_py` records the hooks the function registers at import; the process
initialises the function over moto and runs the before-snapshot hooks (no request yet, as in Lambda: no
worker thread exists to lose in the fork), then forks twice. Each child is one restore: it puts back the
snapshot's `random` state (fork alone would re-seed it; a restore does not), runs the after-restore hooks,
logs in with a session, and reports the session token and a draw from `random`.
The result file gets {"registered": {...}, "restores": [...], "configured_in_snapshot": n}.
"""

from __future__ import annotations

import json
import os
import random
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

HOOKS: dict[str, list[Callable[[], None]]] = {"before_snapshot": [], "after_restore": []}


def _runtime_stand_in() -> types.ModuleType:
    """What Lambda's Python runtime provides as `snapshot_restore_py`: decorators that register hooks."""
    module = types.ModuleType("snapshot_restore_py")

    def registrar(kind: str) -> Callable[[Callable[[], None]], Callable[[], None]]:
        def register(hook: Callable[[], None]) -> Callable[[], None]:
            HOOKS[kind].append(hook)
            return hook

        return register

    module.register_before_snapshot = registrar("before_snapshot")  # type: ignore[attr-defined]
    module.register_after_restore = registrar("after_restore")  # type: ignore[attr-defined]
    return module


def _restore(login: Callable[[], dict[str, Any]], report: int, snapshot_random: object) -> None:
    """The child: one restored container."""
    random.setstate(snapshot_random)
    for hook in HOOKS["after_restore"]:
        hook()
    result = login()
    body = json.loads(result["body"])
    outcome = {
        "status": result["statusCode"],
        "session": body.get("session", {}).get("token"),
        "random": random.random(),
    }
    os.write(report, json.dumps(outcome).encode())


def main(result_file: str) -> None:
    import boto3
    from moto import mock_aws

    from livekit_auth.config import table_names
    from livekit_authctl.storage.admin import AdminStore
    from tools.ci.cfn_template import create_tables
    from tools.local import demo_data, fake_aws
    from tools.local.events import LocalContext, login_event

    sys.modules["snapshot_restore_py"] = _runtime_stand_in()
    fake_aws.use_fake_aws()
    with mock_aws():
        tables = create_tables(boto3.client("dynamodb"), "snapstart")
        fake_aws.put_livekit_credentials(boto3.client("ssm"))
        os.environ.update(fake_aws.function_environment(tables))
        demo_data.seed(AdminStore(boto3.client("dynamodb"), table_names(tables)), fake_aws.BCRYPT_ROUNDS)
        import app  # registers the hooks with the stand-in
        import services

        for hook in HOOKS["before_snapshot"]:
            hook()
        body = {"username": demo_data.DEMO.username, "password": demo_data.DEMO_PASSWORD, "session": True}
        event = login_event(body)

        def login() -> dict[str, Any]:
            return app.lambda_handler(event, LocalContext())

        restores = []
        snapshot_random = random.getstate()
        for _ in range(2):
            read_end, write_end = os.pipe()
            child = os.fork()
            if child == 0:  # pragma: no cover - runs in the forked restore
                os.close(read_end)
                try:
                    _restore(login, write_end, snapshot_random)
                finally:
                    os._exit(0)
            os.close(write_end)
            with os.fdopen(read_end, "rb") as report:
                restores.append(json.loads(report.read() or b"null"))
            os.waitpid(child, 0)
        registered = {
            kind: [f"{hook.__module__}.{hook.__qualname__}" for hook in hooks] for kind, hooks in HOOKS.items()
        }
        snapshot_cached = services.configured.cache_info().currsize
    Path(result_file).write_text(
        json.dumps({"registered": registered, "restores": restores, "configured_in_snapshot": snapshot_cached}),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main(sys.argv[1])
