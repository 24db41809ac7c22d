"""authctl and sessions: listing a user's, ending them all, and disable / passwd ending them too.

Each change is checked through the real handler: the session's token gets a 401 afterwards.
"""

from __future__ import annotations

import json
import re

import pytest

from livekit_auth_tools.apigw import TOKEN_RESOURCE, proxy_event
from livekit_auth_tools.demo_data import DEMO, DEMO_SESSION_TOKENS, VIEWER
from tests.integration.test_authctl import NEW_PASSWORD, authctl_run  # noqa: F401 - the fixture
from tests.session_support import install_clock

UTC_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"


@pytest.fixture
def clock(function_env, monkeypatch):
    return install_clock(monkeypatch)


def fetch(invoke, token: str) -> int:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    return invoke(proxy_event("POST", TOKEN_RESOURCE + "/", resource=TOKEN_RESOURCE, headers=headers, body="{}")).status


def printed(run) -> list[str]:
    """authctl's own lines: the handler's JSON log lines of earlier logins share the captured stdout."""
    return [line for line in run.out.splitlines() if not line.startswith("{")]


def open_session(log_in, username: str = DEMO.username, **extra) -> str:
    answer = log_in(username, session=True, **extra)
    assert answer.status == 200, answer.body
    return answer.body["session"]["token"]


def test_sessions_lists_device_created_last_used_and_expiry_never_a_token(authctl_run, log_in, clock):  # noqa: F811
    token = open_session(log_in, device="Pixel 8")
    run = authctl_run("user", "sessions", DEMO.username)
    assert run.code == 0, run.err
    lines = printed(run)
    assert lines[0] == "device\tcreated\tlast used\texpires"
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows if row[0] == "Pixel 8"] == ["Pixel 8"]
    assert all(len(row) == 4 and all(re.fullmatch(UTC_TIME, cell) for cell in row[1:]) for row in rows)
    assert len(rows) == 1 + len(DEMO_SESSION_TOKENS)  # the demo data's own
    assert token not in run.out
    assert token.split(".")[0] not in run.out


def test_a_user_without_sessions_says_so(authctl_run, clock):  # noqa: F811
    run = authctl_run("user", "sessions", VIEWER.username)
    assert (run.code, printed(run)) == (0, [f"{VIEWER.username} has no open session"])


def test_logout_ends_every_session_of_the_user_and_only_theirs(authctl_run, log_in, invoke, clock):  # noqa: F811
    phone, laptop = open_session(log_in, device="phone"), open_session(log_in, device="laptop")
    viewer = open_session(log_in, VIEWER.username)

    run = authctl_run("user", "logout", DEMO.username)

    assert run.code == 0, run.err
    assert printed(run) == [f"{DEMO.username}: ended {2 + len(DEMO_SESSION_TOKENS)} session(s)"]
    assert fetch(invoke, phone) == fetch(invoke, laptop) == 401
    assert fetch(invoke, viewer) == 201
    assert "no open session" in authctl_run("user", "sessions", DEMO.username).out
    assert fetch(invoke, open_session(log_in)) == 201  # a new login opens a new one


@pytest.mark.parametrize("command", ["disable", "passwd"])
def test_disable_and_passwd_end_every_session(authctl_run, log_in, invoke, clock, command):  # noqa: F811
    token = open_session(log_in)
    assert fetch(invoke, token) == 201

    run = (
        authctl_run("user", command, DEMO.username, "--password-stdin", stdin=NEW_PASSWORD)
        if command == "passwd"
        else (authctl_run("user", command, DEMO.username))
    )

    assert run.code == 0, run.err
    assert fetch(invoke, token) == 401
    assert authctl_run("user", "enable", DEMO.username).code == 0
    assert fetch(invoke, token) == 401  # enabling again does not bring old sessions back


def test_a_session_whose_item_survived_is_still_refused(authctl_run, log_in, invoke, clock, store):  # noqa: F811
    """The generation marker, not the deletion, is what revokes: an item the index missed stays dead."""
    token = open_session(log_in)
    items = store.client.scan(TableName=store.tables.sessions)["Items"]
    assert authctl_run("user", "logout", DEMO.username).code == 0
    for item in items:  # put every item back, as if the deletion had missed them
        store.client.put_item(TableName=store.tables.sessions, Item=item)
    assert fetch(invoke, token) == 401
    assert fetch(invoke, DEMO_SESSION_TOKENS["token"]) == 401


def test_unknown_user_is_refused(authctl_run, clock):  # noqa: F811
    for action in ("sessions", "logout"):
        run = authctl_run("user", action, "nobody@example.com")
        assert run.code == 1
        assert "no user nobody@example.com" in run.err


def test_authctl_needs_the_sessions_table(authctl_run, clock, monkeypatch):  # noqa: F811
    monkeypatch.delenv("SESSIONS_TABLE")
    run = authctl_run("user", "list")
    assert run.code == 1
    assert "SESSIONS_TABLE" in run.err


def test_the_stack_output_names_the_sessions_table():
    from livekit_auth_tools import authctl
    from livekit_auth_tools.cfn_template import load_template

    assert authctl.STACK_OUTPUTS["SessionsTableName"] == "SESSIONS_TABLE"
    assert json.dumps(load_template()["Outputs"]["SessionsTableName"]["Value"]) == '{"Ref": "SessionsTable"}'
