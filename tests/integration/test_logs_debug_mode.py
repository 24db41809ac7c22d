"""The log check again, with Powertools' debug switches on: POWERTOOLS_DEV=true and POWERTOOLS_DEBUG=true.

Powertools reads them when it is imported (the package logger) and when the resolver and the
logger are built (debug mode prints every event, password included), so setting them inside this
process would prove nothing. The function therefore runs in a fresh interpreter with both set, as a
container would start: this module run as a script (`main`) sends every kind of attempt through
the handler over moto and writes down the secrets involved; the test searches all it printed.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEBUG_SWITCHES = {"POWERTOOLS_DEV": "true", "POWERTOOLS_DEBUG": "true"}
# What Powertools warns when it sees each switch: proof that the run really had them on.
SWITCH_WARNINGS = (
    "POWERTOOLS_DEV environment variable is enabled",
    "POWERTOOLS_DEBUG environment variable is enabled",
)


def test_with_powertools_debug_switches_on_the_logs_hold_no_password_secret_hash_or_token(tmp_path: Path) -> None:
    # Imported here, not at the top: run as a script this module must not load the function before main().
    from tests.integration.test_logs import BCRYPT_HASH

    report = tmp_path / "secrets.json"
    environment = {**os.environ, **DEBUG_SWITCHES, "PYTHONPATH": os.pathsep.join(sys.path)}
    completed = subprocess.run(  # noqa: S603 - this interpreter, this module
        [sys.executable, "-m", __name__, str(report)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    everything = completed.stdout + completed.stderr

    assert completed.returncode == 0, completed.stderr[-3000:]
    for warning in SWITCH_WARNINGS:
        assert warning in completed.stderr
    assert "DEBUG" in everything  # Powertools' own debug lines were written
    ran = json.loads(report.read_text())
    assert len(completed.stdout.splitlines()) > len(ran["statuses"])  # the function's output was captured
    assert {200, 201, 204, 401, 403, 404, 429, 500} <= set(ran["statuses"])
    leaked = sorted(secret[:6] + "..." for secret in ran["secrets"] if secret in everything)
    assert leaked == []
    assert not BCRYPT_HASH.search(everything)


def main(report_path: str) -> None:
    """In the fresh interpreter: every kind of attempt, then the secrets they involved into `report_path`."""
    import boto3
    from moto import mock_aws

    from tests.support import fake_aws_plugin

    fake_aws_plugin.pytest_load_initial_conftests()  # the fake AWS, as under pytest, before the function loads

    from livekit_auth.config import load_settings, table_names
    from livekit_authctl.storage.admin import AdminStore
    from tests.integration.test_logs import Attempts, run_every_kind_of_attempt, stored_hashes
    from tests.support.handler import call_handler
    from tools.ci.cfn_template import create_tables
    from tools.local import demo_data, fake_aws

    logging.basicConfig(level=logging.INFO, stream=sys.stderr)  # any other logger, at Lambda's level
    with mock_aws():
        tables = create_tables(boto3.client("dynamodb"), "debug")
        fake_aws.put_livekit_credentials(boto3.client("ssm"))
        for name in fake_aws.INHERITED_FUNCTION_VARIABLES:
            os.environ.pop(name, None)
        os.environ.update(fake_aws.function_environment(tables))
        store = AdminStore(boto3.client("dynamodb"), table_names(tables))
        demo_data.seed(store, fake_aws.BCRYPT_ROUNDS)
        threshold = load_settings().lockout_threshold
        attempts = Attempts(call_handler, threshold, secrets={fake_aws.API_SECRET})
        session_secrets, session_statuses = use_every_session_route()  # first: the attempts end without SSM
        run_every_kind_of_attempt(attempts, store)
        secrets = attempts.secrets | session_secrets | stored_hashes(store) - {"not-a-bcrypt-hash"}
        statuses = set(attempts.expected_status.values()) | session_statuses
        Path(report_path).write_text(json.dumps({"secrets": sorted(secrets), "statuses": sorted(statuses)}))


def use_every_session_route() -> tuple[set[str], set[int]]:
    """A login opening a session, then the token, refresh and logout routes with its Bearer token (their
    headers and bodies are what debug mode would print); the secrets involved and the statuses seen."""
    from livekit_auth.routes import LOGOUT, REFRESH, TOKEN
    from livekit_auth.session_tokens import token_hash
    from tests.support.handler import call_handler
    from tools.local.demo_data import DEMO, DEMO_PASSWORD
    from tools.local.events import login_event, session_event

    secrets: set[str] = set()
    statuses: set[int] = set()

    def send(event: dict, expected: int) -> dict:
        answer = call_handler(event)
        assert answer.status == expected, answer.body
        statuses.add(answer.status)
        return answer.body or {}

    def remembered(token: str) -> str:
        secrets.update({token, token.rsplit(".", 1)[-1], token_hash(token), f"Bearer {token}"})
        return token

    login = login_event({"username": DEMO.username, "password": DEMO_PASSWORD, "session": True, "device": "debug"})
    opened = send(login, 200)
    session = remembered(opened["session"]["token"])
    for channel in opened["tokens"].values():
        remembered(channel["token"])
    remembered(send(session_event(TOKEN, session, {"room_name": "channel-7654321"}), 201)["participant_token"])
    renewed = remembered(send(session_event(REFRESH, session, raw=""), 200)["token"])
    send(session_event(TOKEN, renewed.split(".")[0] + ".not-the-secret", {}), 401)
    send(session_event(LOGOUT, renewed), 204)
    return secrets, statuses


if __name__ == "__main__":
    main(sys.argv[1])
