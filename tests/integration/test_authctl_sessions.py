"""authctl and sessions: listing a user's, ending them all, and disable / passwd ending them too.

Each change is checked through the real handler: the session's token gets a 401 afterwards. The listing
ends sessions where the token endpoint does: at the absolute expiry or the idle limit, whichever is first.
"""

from __future__ import annotations

import json
import re

import pytest

from livekit_auth.config import SESSION_IDLE, SESSION_MAX_AGE
from livekit_authctl import common, targets
from livekit_authctl.common import utc
from tests.support.clock import FakeClock
from tests.support.sessions import fetch_token, open_session, real_time_clock
from tests.support.stacks import deploy_service_stack
from tools.ci.cfn_template import load_template
from tools.local.demo_data import DEMO, DEMO_SESSION_TOKENS, VIEWER

UTC_TIME = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ"
NEW_PASSWORD = "a new password for the sessions test"
DAY = 86400
TWO_HOURS = 7200  # SESSION_IDLE's least


@pytest.fixture
def clock() -> FakeClock:
    """The handler_clock fixture's clock, at the real time: the demo data's sessions were opened then."""
    return real_time_clock()


@pytest.fixture
def shared_clock(handler_clock: FakeClock, monkeypatch: pytest.MonkeyPatch) -> FakeClock:
    """The handler's clock, read by authctl too: moving it ages the sessions alike for both."""
    monkeypatch.setattr(common, "clock", handler_clock)
    return handler_clock


def fetch(token: str) -> int:
    return fetch_token(token).status


def printed(run) -> list[str]:
    """authctl's own lines: the handler's JSON log lines of earlier logins share the captured stdout."""
    return [line for line in run.out.splitlines() if not line.startswith("{")]


def listed(run) -> dict[str, list[str]]:
    """{device: [created, last used, expires]} of a `user sessions` listing; {} for "no open session"."""
    assert run.code == 0, run.err
    return {row[0]: row[1:] for row in (line.split("\t") for line in printed(run)[1:])}


def test_sessions_lists_device_created_last_used_and_expiry_never_a_token(authctl_run, handler_clock):
    # Given: a session of a device labelled "Pixel 8", beside the demo data's
    token = open_session(device="Pixel 8")
    # When
    run = authctl_run("user", "sessions", DEMO.username)
    # Then: a header and one row per session with three UTC times; no part of a token
    assert run.code == 0, run.err
    lines = printed(run)
    assert lines[0] == "device\tcreated\tlast used\texpires"
    rows = [line.split("\t") for line in lines[1:]]
    assert [row[0] for row in rows if row[0] == "Pixel 8"] == ["Pixel 8"]
    assert all(len(row) == 4 and all(re.fullmatch(UTC_TIME, cell) for cell in row[1:]) for row in rows)
    assert len(rows) == 1 + len(DEMO_SESSION_TOKENS)  # the demo data's own
    assert token not in run.out
    assert token.split(".")[0] not in run.out


def test_a_user_without_sessions_says_so(authctl_run):
    run = authctl_run("user", "sessions", VIEWER.username)
    assert (run.code, printed(run)) == (0, [f"{VIEWER.username} has no open session"])


def test_logout_ends_every_session_of_the_user_and_only_theirs(authctl_run, handler_clock):
    # Given: two sessions of the demo user (beside the demo data's) and one of another user
    phone, laptop = open_session(device="phone"), open_session(device="laptop")
    viewer = open_session(VIEWER.username)
    # When
    run = authctl_run("user", "logout", DEMO.username)
    # Then: every session of that user ends, the other user's works, and a new login opens a new one
    assert run.code == 0, run.err
    assert printed(run) == [f"{DEMO.username}: ended {2 + len(DEMO_SESSION_TOKENS)} session(s)"]
    assert fetch(phone) == fetch(laptop) == 401
    assert fetch(viewer) == 201
    assert "no open session" in authctl_run("user", "sessions", DEMO.username).out
    assert fetch(open_session()) == 201


@pytest.mark.parametrize("command", ["disable", "passwd"])
def test_disable_and_passwd_end_every_session(authctl_run, handler_clock, command):
    # Given: a working session
    token = open_session()
    assert fetch(token) == 201
    # When
    run = (
        authctl_run("user", command, DEMO.username, "--password-stdin", stdin=NEW_PASSWORD)
        if command == "passwd"
        else (authctl_run("user", command, DEMO.username))
    )

    # Then: it is refused, and enabling the user again does not bring it back
    assert run.code == 0, run.err
    assert fetch(token) == 401
    assert authctl_run("user", "enable", DEMO.username).code == 0
    assert fetch(token) == 401


def test_a_session_whose_item_survived_is_still_refused(authctl_run, handler_clock, store):
    """The generation marker, not the deletion, is what revokes: an item the index missed stays dead."""
    # Given: a session, the items of every session
    token = open_session()
    items = store.client.scan(TableName=store.tables.sessions)["Items"]
    # When: the user is logged out, then every item is put back as if the deletion had missed them
    assert authctl_run("user", "logout", DEMO.username).code == 0
    for item in items:
        store.client.put_item(TableName=store.tables.sessions, Item=item)
    # Then
    assert fetch(token) == 401
    assert fetch(DEMO_SESSION_TOKENS["token"]) == 401


def test_unknown_user_is_refused(authctl_run):
    for action in ("sessions", "logout"):
        run = authctl_run("user", action, "nobody@example.com")
        assert run.code == 1
        assert "no user nobody@example.com" in run.err


def test_authctl_needs_the_sessions_table(authctl_run, monkeypatch):
    monkeypatch.delenv("SESSIONS_TABLE")
    run = authctl_run("user", "list")
    assert run.code == 1
    assert "SESSIONS_TABLE" in run.err


def test_the_stack_output_names_the_sessions_table():
    assert targets.STACK_OUTPUTS["SessionsTableName"] == "SESSIONS_TABLE"
    assert json.dumps(load_template()["Outputs"]["SessionsTableName"]["Value"]) == '{"Ref": "SessionsTable"}'


# ---- expiry as the token endpoint has it -----------------------------------------------------------------


def test_a_session_idle_past_the_limit_is_no_longer_listed(authctl_run, shared_clock):
    # Given: a session, and a second one opened a second before the first has been idle for the whole limit
    old = open_session(device="old phone")
    shared_clock.advance(SESSION_IDLE.default - 1)
    new = open_session(device="new phone")
    assert {"old phone", "new phone"} <= set(listed(authctl_run("user", "sessions", DEMO.username)))
    # When: that second passes
    shared_clock.advance(1)
    # Then: the idle ones (the first, the demo data's) are neither listed nor accepted; the other is both
    assert list(listed(authctl_run("user", "sessions", DEMO.username))) == ["new phone"]
    assert fetch(old) == fetch(DEMO_SESSION_TOKENS["token"]) == 401
    assert fetch(new) == 201


def test_the_listed_expiry_is_the_earlier_of_last_use_plus_idle_and_the_absolute_expiry(authctl_run, shared_clock):
    # Given: a session, listed as expiring one idle period after its opening (the idle limit comes first)
    opened = int(shared_clock())
    token = open_session(device="tablet")
    tablet = listed(authctl_run("user", "sessions", DEMO.username))["tablet"]
    assert tablet == [utc(opened), utc(opened), utc(opened + SESSION_IDLE.default)]
    # When: it is used every six days (each use recorded) until the idle limit would outlast the absolute expiry
    for _ in range(4):
        shared_clock.advance(6 * DAY)
        assert fetch(token) == 201
        last_use = int(shared_clock())
        tablet = listed(authctl_run("user", "sessions", DEMO.username))["tablet"]
        # Then: the listed expiry follows the last use while that comes first, then stays at the absolute expiry
        ends = min(last_use + SESSION_IDLE.default, opened + SESSION_MAX_AGE.default)
        assert tablet == [utc(opened), utc(last_use), utc(ends)]
    assert ends == opened + SESSION_MAX_AGE.default


def test_without_a_stack_the_idle_limit_is_session_idle_seconds(authctl_run, shared_clock, monkeypatch):
    # Given: SESSION_IDLE_SECONDS of two hours in authctl's environment, and a session
    monkeypatch.setenv("SESSION_IDLE_SECONDS", str(TWO_HOURS))
    opened = int(shared_clock())
    open_session(device="tablet")
    # When / Then: it expires two hours after its last use, and is not listed from then on
    assert listed(authctl_run("user", "sessions", DEMO.username))["tablet"][2] == utc(opened + TWO_HOURS)
    shared_clock.advance(TWO_HOURS)
    assert "tablet" not in listed(authctl_run("user", "sessions", DEMO.username))


def test_with_a_stack_the_idle_limit_is_its_parameter(authctl_run, shared_clock, tables, monkeypatch):
    """The stack's SessionIdleSeconds, not SESSION_IDLE_SECONDS here: the deployed function ends sessions by it."""
    # Given: a session; a stack whose function ends sessions after two idle hours; an environment saying a year
    opened = int(shared_clock())
    open_session(device="tablet")
    for variable in tables:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("SESSION_IDLE_SECONDS", str(SESSION_IDLE.high))
    deploy_service_stack("livekit-auth", tables, session_idle_seconds=TWO_HOURS)
    # When
    run = authctl_run("--stack", "livekit-auth", "user", "sessions", DEMO.username)
    # Then
    assert listed(run)["tablet"][2] == utc(opened + TWO_HOURS)
    shared_clock.advance(TWO_HOURS)
    assert "tablet" not in listed(authctl_run("--stack", "livekit-auth", "user", "sessions", DEMO.username))
