"""authctl's rules for a new password: ASVS 6.2.1's minimum, bcrypt's maximum, one line on stdin, and
`user passwd` changing the hash and lifting the lockout in one transaction."""

from __future__ import annotations

from collections import Counter

import boto3
import pytest

from livekit_auth.passwords import MAX_PASSWORD_BYTES, MIN_NEW_PASSWORD_CHARACTERS, check_new_password
from livekit_authctl import common, targets
from tests.integration.test_authctl import NEW_USER
from tools.local.demo_data import DEMO, DEMO_PASSWORD, DEMO_SESSION_TOKENS

SHORTEST = "ü" * MIN_NEW_PASSWORD_CHARACTERS  # characters, not bytes: 16 bytes in UTF-8
NEW_PASSWORD = "a-new-password-3f9c"


def test_the_minimum_is_asvs_6_2_1s_and_counts_characters():
    assert MIN_NEW_PASSWORD_CHARACTERS == 8
    check_new_password(SHORTEST)
    check_new_password("p" * MAX_PASSWORD_BYTES)
    with pytest.raises(ValueError, match="shorter than 8 characters"):
        check_new_password(SHORTEST[1:])


@pytest.mark.parametrize("command", ["add", "passwd"])
def test_a_password_under_the_minimum_is_refused(authctl_run, store, command):
    username = NEW_USER if command == "add" else DEMO.username
    run = authctl_run("user", command, username, "--password-stdin", stdin="seven77\n")
    assert (run.code, run.out) == (1, "")
    assert f"shorter than {MIN_NEW_PASSWORD_CHARACTERS} characters" in run.err
    assert store.get_user(NEW_USER) is None


def test_a_prompted_password_under_the_minimum_is_refused(authctl_run, monkeypatch):
    monkeypatch.setattr(common.getpass, "getpass", lambda prompt: "short")
    run = authctl_run("user", "add", NEW_USER, tty=True)
    assert run.code == 1
    assert "shorter than" in run.err


def test_the_minimum_and_the_maximum_themselves_are_accepted(authctl_run, attempt_login):
    assert authctl_run("user", "add", NEW_USER, "--password-stdin", stdin=SHORTEST + "\n").code == 0
    run = authctl_run("user", "passwd", NEW_USER, "--password-stdin", stdin="p" * MAX_PASSWORD_BYTES)
    assert run.code == 0, run.err


@pytest.mark.parametrize(
    "stdin",
    [
        NEW_PASSWORD + "\n" + NEW_PASSWORD + "\n",
        NEW_PASSWORD + "\nsecond line",
        NEW_PASSWORD + "\n\n",
        "\n" + NEW_PASSWORD,
    ],
    ids=["two-lines", "no-final-newline", "blank-second-line", "blank-first-line"],
)
def test_stdin_must_hold_exactly_one_line(authctl_run, store, stdin):
    run = authctl_run("user", "add", NEW_USER, "--password-stdin", stdin=stdin)
    assert run.code == 1
    assert "exactly one line" in run.err
    assert NEW_PASSWORD not in run.err
    assert store.get_user(NEW_USER) is None


@pytest.mark.parametrize("ending", ["", "\n", "\r\n"])
def test_one_line_with_or_without_its_line_ending_is_the_password(authctl_run, attempt_login, ending):
    run = authctl_run("user", "passwd", DEMO.username, "--password-stdin", stdin=NEW_PASSWORD + ending)
    assert run.code == 0, run.err
    assert attempt_login(DEMO.username, NEW_PASSWORD).status == 200


@pytest.fixture
def authctl_calls(monkeypatch) -> Counter:
    """Every DynamoDB operation authctl's own client makes, by name."""
    calls: Counter = Counter()
    make_client = boto3.client

    def counted_client(*args, **kwargs):
        client = make_client(*args, **kwargs)
        client.meta.events.register("before-call", lambda model, **_: calls.update([model.name]))
        return client

    monkeypatch.setattr(targets.boto3, "client", counted_client)
    return calls


def test_passwd_changes_the_hash_and_lifts_the_lockout_in_one_transaction(authctl_run, attempt_login, authctl_calls):
    for number in range(5):
        attempt_login(DEMO.username, f"wrong-{number}")
    assert attempt_login(DEMO.username, "wrong").status == 429

    assert authctl_run("user", "passwd", DEMO.username, "--password-stdin", stdin=NEW_PASSWORD).code == 0

    assert authctl_calls["TransactWriteItems"] == 1
    assert authctl_calls["UpdateItem"] == 0
    assert authctl_calls["DeleteItem"] == len(DEMO_SESSION_TOKENS)  # the revoked sessions' items, afterwards
    assert attempt_login(DEMO.username, NEW_PASSWORD).status == 200


def test_a_passwd_that_cannot_lift_the_lockout_leaves_the_old_password(authctl_run, attempt_login, function_env, store):
    old_hash = store.require_user(DEMO.username).password_hash
    boto3.client("dynamodb").delete_table(TableName=function_env["ATTEMPTS_TABLE"])

    run = authctl_run("user", "passwd", DEMO.username, "--password-stdin", stdin=NEW_PASSWORD)

    assert run.code == 1
    assert store.require_user(DEMO.username).password_hash == old_hash
    assert DEMO_PASSWORD not in run.err
