"""Display names: set with authctl, stored as `display_name` on the user item, carried as the token's `name`."""

from __future__ import annotations

import boto3
import pytest
from livekit.api import TokenVerifier

from livekit_auth.display_names import MAX_DISPLAY_NAME_LENGTH
from livekit_auth.storage.records import user_from_item
from tests.integration.test_authctl import NEW_PASSWORD, NEW_USER
from tools.local.demo_data import DEMO, PUBLIC_CHANNEL
from tools.local.fake_aws import API_KEY, API_SECRET

PERSIAN_NAME = "سارا محمدی\u200cنژاد"  # holds a zero-width non-joiner, as Persian names do


def token_names(answer) -> set[str]:
    """The `name` claim of every token, each checked by LiveKit's own verifier."""
    verifier = TokenVerifier(API_KEY, API_SECRET)
    return {verifier.verify(entry["token"]).name for entry in answer.body["tokens"].values()}


def stored_item(store, username: str) -> dict:
    return boto3.client("dynamodb").get_item(TableName=store.tables.users, Key={"username": {"S": username}})["Item"]


def add_granted_user(authctl_run, *extra: str) -> None:
    run = authctl_run("user", "add", NEW_USER, "--password-stdin", *extra, stdin=NEW_PASSWORD + "\n")
    assert run.code == 0, run.err
    assert authctl_run("grant", NEW_USER, str(PUBLIC_CHANNEL[0])).code == 0


def test_a_name_given_at_add_is_the_tokens_name(authctl_run, attempt_login, good_login, store):
    add_granted_user(authctl_run, "--name", f"  {PERSIAN_NAME} ")

    answer = attempt_login(NEW_USER, NEW_PASSWORD)

    assert answer.status == 200
    assert token_names(answer) == {PERSIAN_NAME}
    assert answer.body["username"] == NEW_USER  # the answer still names the account by its username
    assert stored_item(store, NEW_USER)["display_name"] == {"S": PERSIAN_NAME}
    assert store.require_user(NEW_USER).display_name == PERSIAN_NAME


def test_without_a_name_the_token_carries_the_username(authctl_run, attempt_login, good_login, store):
    add_granted_user(authctl_run)
    assert token_names(attempt_login(NEW_USER, NEW_PASSWORD)) == {NEW_USER}
    assert "display_name" not in stored_item(store, NEW_USER)
    assert store.require_user(NEW_USER).display_name is None


def test_rename_sets_then_changes_then_clears_the_name(authctl_run, attempt_login, good_login, store):
    run = authctl_run("user", "rename", DEMO.username, "Demo User")
    assert run.code == 0, run.err
    assert token_names(good_login(DEMO.username)) == {"Demo User"}

    assert authctl_run("user", "rename", DEMO.username.upper(), PERSIAN_NAME).code == 0
    assert token_names(good_login(DEMO.username)) == {PERSIAN_NAME}

    cleared = authctl_run("user", "rename", DEMO.username, "  ")
    assert cleared.code == 0, cleared.err
    assert token_names(good_login(DEMO.username)) == {DEMO.username}
    assert "display_name" not in stored_item(store, DEMO.username)


def test_show_tells_the_name(authctl_run):
    assert "(none: tokens show the username)" in authctl_run("user", "show", DEMO.username).out
    authctl_run("user", "rename", DEMO.username, PERSIAN_NAME)
    assert f"name:     {PERSIAN_NAME}" in authctl_run("user", "show", DEMO.username).out


def test_renaming_an_unknown_user_changes_nothing(authctl_run, store):
    run = authctl_run("user", "rename", "nobody@example.com", "Nobody")
    assert (run.code, run.out) == (1, "")
    assert "no user nobody@example.com" in run.err
    assert store.get_user("nobody@example.com") is None


@pytest.mark.parametrize(
    "name",
    ["two\nlines", "tab\there", "bell\x07", "line\u2028separator", "x" * (MAX_DISPLAY_NAME_LENGTH + 1)],
    ids=["newline", "tab", "control", "line-separator", "too-long"],
)
@pytest.mark.parametrize("command", ["add", "rename"])
def test_unusable_names_are_usage_errors(authctl_run, store, name, command):
    argv = ["user", "add", NEW_USER, "--password-stdin", "--name", name] if command == "add" else []
    argv = argv or ["user", "rename", DEMO.username, name]
    run = authctl_run(*argv, stdin=NEW_PASSWORD)
    assert run.code == 2
    assert "display name" in run.err
    assert store.get_user(NEW_USER) is None
    assert store.require_user(DEMO.username).display_name is None


def test_the_longest_name_is_accepted(authctl_run, attempt_login, good_login):
    name = "n" * MAX_DISPLAY_NAME_LENGTH
    assert authctl_run("user", "rename", DEMO.username, name).code == 0
    assert token_names(good_login(DEMO.username)) == {name}


def test_items_written_before_display_names_read_as_none():
    item = {"username": {"S": "a@example.com"}, "user_id": {"S": "id"}, "password_hash": {"S": "h"}}
    assert user_from_item(item).display_name is None
