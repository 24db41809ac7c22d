"""authctl against emulated tables, every command and refusal, checked through the real login handler."""

from __future__ import annotations

from collections.abc import Callable

import jwt
import pytest

from livekit_auth import messages
from livekit_auth.storage.dynamo import MAX_CHANNEL_ID
from livekit_authctl import common, targets
from tests.support.authctl import Run
from tests.support.logins import lock_out
from tests.support.stacks import deploy_service_stack, deploy_stack
from tools.local.demo_data import DEMO, DEMO_PASSWORD, INACTIVE, NO_DATA, PRIVATE_CHANNEL, PUBLIC_CHANNEL
from tools.local.fake_aws import API_SECRET

NEW_USER = "new.user@example.com"
NEW_PASSWORD = "correct horse battery staple"


def add_user(authctl_run: Callable[..., Run], *extra: str, password: str = NEW_PASSWORD) -> str:
    run = authctl_run("user", "add", NEW_USER, "--password-stdin", *extra, stdin=password + "\n")
    assert run.code == 0, run.err
    return run.out.strip()


def video_grants(answer) -> dict[str, dict]:
    """{channel id: the `video` claim of its token}, the token's signature checked."""
    return {
        channel_id: jwt.decode(entry["token"], API_SECRET, algorithms=["HS256"])["video"]
        for channel_id, entry in answer.body["tokens"].items()
    }


# ---- users ---------------------------------------------------------------------------------------------


def test_an_added_user_without_a_grant_has_no_channel(authctl_run, attempt_login):
    # Given
    add_user(authctl_run, password=NEW_PASSWORD)
    # When
    refused = attempt_login(NEW_USER, NEW_PASSWORD)
    # Then
    assert (refused.status, refused.body) == (403, {"error": messages.NO_CHANNELS})


def test_an_added_and_granted_user_logs_in_with_the_id_add_printed(authctl_run, attempt_login):
    # Given
    user_id = add_user(authctl_run, password=NEW_PASSWORD)
    assert authctl_run("grant", NEW_USER, str(PUBLIC_CHANNEL[0])).code == 0
    # When
    answer = attempt_login(NEW_USER, NEW_PASSWORD)
    # Then
    assert answer.status == 200, answer.body
    assert answer.body["user_id"] == user_id
    assert answer.body["channels"] == [{"channel_id": PUBLIC_CHANNEL[0], "name": PUBLIC_CHANNEL[1]}]


def test_user_add_normalizes_the_email(authctl_run, attempt_login):
    run = authctl_run("user", "add", "  New.User@Example.COM ", "--password-stdin", stdin=NEW_PASSWORD)
    assert run.code == 0, run.err
    assert authctl_run("grant", NEW_USER, str(PUBLIC_CHANNEL[0])).code == 0
    assert attempt_login(NEW_USER, NEW_PASSWORD).status == 200


def test_user_added_inactive_is_refused_as_inactive(authctl_run, attempt_login):
    add_user(authctl_run, "--inactive")
    answer = attempt_login(NEW_USER, NEW_PASSWORD)
    assert (answer.status, answer.body) == (403, {"error": messages.ACCOUNT_INACTIVE})


def test_wrong_password_for_an_added_user_is_401(authctl_run, guess):
    add_user(authctl_run)
    answer = guess(NEW_USER, "not " + NEW_PASSWORD)
    assert (answer.status, answer.body) == (401, {"error": messages.INVALID_CREDENTIALS})


def test_disable_refuses_the_user_as_inactive(authctl_run, good_login):
    # When
    disabled = authctl_run("user", "disable", DEMO.username)
    # Then
    assert (disabled.code, disabled.out) == (0, f"disabled {DEMO.username}\n")
    answer = good_login(DEMO.username)
    assert (answer.status, answer.body) == (403, {"error": messages.ACCOUNT_INACTIVE})


def test_enable_lets_a_disabled_user_log_in_again(authctl_run, good_login):
    # Given
    assert authctl_run("user", "disable", DEMO.username).code == 0
    # When
    assert authctl_run("user", "enable", DEMO.username).code == 0
    # Then
    assert good_login(DEMO.username).status == 200


def test_passwd_replaces_the_password(authctl_run, attempt_login):
    run = authctl_run("user", "passwd", DEMO.username, "--password-stdin", stdin=NEW_PASSWORD + "\r\n")
    assert run.code == 0, run.err
    assert attempt_login(DEMO.username, DEMO_PASSWORD).status == 401
    assert attempt_login(DEMO.username, NEW_PASSWORD).status == 200


def test_passwd_lifts_a_lockout(authctl_run, guess, attempt_login, settings):
    # Given: a locked account
    lock_out(DEMO.username, settings.lockout_threshold)
    assert guess(DEMO.username).status == 429
    # When
    assert authctl_run("user", "passwd", DEMO.username, "--password-stdin", stdin=NEW_PASSWORD).code == 0
    # Then
    assert attempt_login(DEMO.username, NEW_PASSWORD).status == 200


def test_a_prompted_password_typed_twice_alike_is_set(authctl_run, attempt_login, monkeypatch):
    # Given: the same password typed at both prompts
    typed = iter([NEW_PASSWORD, NEW_PASSWORD])
    monkeypatch.setattr(common.getpass, "getpass", lambda prompt: next(typed))
    # When
    assert authctl_run("user", "add", NEW_USER, tty=True).code == 0
    # Then
    assert authctl_run("grant", NEW_USER, str(PUBLIC_CHANNEL[0])).code == 0
    assert attempt_login(NEW_USER, NEW_PASSWORD).status == 200


def test_a_prompted_password_typed_differently_is_refused(authctl_run, monkeypatch):
    # Given: two different passwords at the prompts
    typed = iter([NEW_PASSWORD, "something else"])
    monkeypatch.setattr(common.getpass, "getpass", lambda prompt: next(typed))
    # When
    differing = authctl_run("user", "passwd", DEMO.username, tty=True)
    # Then
    assert differing.code == 1
    assert "differ" in differing.err


def test_show_tells_state_and_channels_but_never_the_hash(authctl_run, demo_users):
    run = authctl_run("user", "show", DEMO.username)
    assert run.code == 0, run.err
    assert demo_users[DEMO.username] in run.out
    assert "active:   yes" in run.out
    assert f"{PUBLIC_CHANNEL[0]}\t{PUBLIC_CHANNEL[1]}\tpublish, subscribe, data" in run.out
    assert "$2b$" not in run.out + run.err


def test_show_tells_a_missing_channel_record(authctl_run):
    assert "no channel record" in authctl_run("user", "show", NO_DATA.username).out


def test_show_tells_an_inactive_user(authctl_run):
    assert "active:   no" in authctl_run("user", "show", INACTIVE.username).out


def test_show_reports_failed_logins(authctl_run, guess):
    guess(DEMO.username)
    assert "failed logins: 1" in authctl_run("user", "show", DEMO.username).out


def test_list_shows_every_user_and_no_hash(authctl_run, demo_users):
    run = authctl_run("user", "list")
    assert run.code == 0, run.err
    lines = run.out.splitlines()
    assert [line.split("\t")[0] for line in lines] == sorted(demo_users)
    assert f"{INACTIVE.username}\tinactive\t{demo_users[INACTIVE.username]}" in lines
    assert "$2b$" not in run.out


# ---- channels and grants ---------------------------------------------------------------------------------


def test_channel_add_and_list(authctl_run):
    run = authctl_run("channel", "add", "42", "  کانال تازه ")
    assert run.code == 0, run.err
    listed = authctl_run("channel", "list").out.splitlines()
    assert listed == [
        "42\tکانال تازه",
        f"{PUBLIC_CHANNEL[0]}\t{PUBLIC_CHANNEL[1]}",
        f"{PRIVATE_CHANNEL[0]}\t{PRIVATE_CHANNEL[1]}",
    ]


def test_rename_reaches_every_members_login(authctl_run, good_login):
    # When
    run = authctl_run("channel", "rename", str(PUBLIC_CHANNEL[0]), "Lobby")
    # Then
    assert run.code == 0, run.err
    assert "3 member(s)" in run.out  # demo, inactive and viewer

    answer = good_login(DEMO.username)
    names = {channel["channel_id"]: channel["name"] for channel in answer.body["channels"]}
    assert names == {PUBLIC_CHANNEL[0]: "Lobby", PRIVATE_CHANNEL[0]: PRIVATE_CHANNEL[1]}
    assert answer.body["tokens"][str(PUBLIC_CHANNEL[0])]["name"] == "Lobby"
    assert f"{PUBLIC_CHANNEL[0]}\tLobby" in authctl_run("channel", "list").out


def test_grant_flags_reach_the_tokens_video_grant(authctl_run, good_login):
    # Given
    assert authctl_run("channel", "add", "42", "Stage").code == 0
    # When
    run = authctl_run("grant", DEMO.username, "42", "--no-publish", "--no-data")
    # Then
    assert run.code == 0, run.err
    grants = video_grants(good_login(DEMO.username))
    assert grants["42"] == {
        "room": "channel-42",
        "roomJoin": True,
        "canPublish": False,
        "canSubscribe": True,
        "canPublishData": False,
    }
    assert grants[str(PUBLIC_CHANNEL[0])]["canPublish"] is True


def test_granting_again_replaces_the_flags(authctl_run, good_login):
    # Given: a grant without publish and data
    assert authctl_run("channel", "add", "42", "Stage").code == 0
    assert authctl_run("grant", DEMO.username, "42", "--no-publish", "--no-data").code == 0
    # When
    assert authctl_run("grant", DEMO.username, "42", "--no-subscribe").code == 0
    # Then
    grant = video_grants(good_login(DEMO.username))["42"]
    assert (grant["canPublish"], grant["canSubscribe"], grant["canPublishData"]) == (True, False, True)


def test_revoke_removes_the_channel(authctl_run, good_login):
    # When
    assert authctl_run("revoke", DEMO.username, str(PRIVATE_CHANNEL[0])).code == 0
    # Then
    answer = good_login(DEMO.username)
    assert list(answer.body["tokens"]) == [str(PUBLIC_CHANNEL[0])]


def test_revoking_the_last_channel_leaves_none(authctl_run, good_login):
    # Given
    assert authctl_run("revoke", DEMO.username, str(PRIVATE_CHANNEL[0])).code == 0
    # When
    assert authctl_run("revoke", DEMO.username, str(PUBLIC_CHANNEL[0])).code == 0
    # Then
    answer = good_login(DEMO.username)
    assert (answer.status, answer.body) == (403, {"error": messages.NO_CHANNELS})


# ---- refusals ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        pytest.param(["user", "disable", "nobody@example.com"], "", "no user nobody@example.com", id="unknown-user"),
        pytest.param(["user", "show", "nobody@example.com"], "", "no user nobody@example.com", id="show-unknown-user"),
        pytest.param(
            ["user", "passwd", "nobody@example.com", "--password-stdin"], "pw", "no user", id="passwd-unknown"
        ),
        pytest.param(["grant", "nobody@example.com", "1234567"], "", "no user nobody@example.com", id="grant-unknown"),
        pytest.param(["grant", DEMO.username, "999"], "", "no channel 999", id="unknown-channel"),
        pytest.param(["channel", "rename", "999", "X"], "", "no channel 999", id="rename-unknown-channel"),
        pytest.param(["user", "add", DEMO.username, "--password-stdin"], "pw", "already exists", id="duplicate-user"),
        pytest.param(["channel", "add", str(PUBLIC_CHANNEL[0]), "X"], "", "already exists", id="duplicate-channel"),
        pytest.param(["revoke", "nochannels@example.com", "1234567"], "", "no grant on channel", id="not-granted"),
        pytest.param(["user", "add", "not-an-email", "--password-stdin"], "pw", "not an email address", id="no-at"),
        pytest.param(["user", "show", "a@b"], "", "not an email address", id="no-dot"),
        pytest.param(["user", "show", "a b@example.com"], "", "not an email address", id="space"),
        pytest.param(["user", "show", "x" * 250 + "@example.com"], "", "not an email address", id="too-long"),
        pytest.param(["user", "add", NEW_USER, "--password-stdin"], "", "the password is empty", id="empty-pw"),
        pytest.param(["user", "add", NEW_USER, "--password-stdin"], "\n", "the password is empty", id="newline-pw"),
        pytest.param(["user", "add", NEW_USER, "--password-stdin"], "é" * 37, "longer than 72 bytes", id="73-bytes"),
        pytest.param(["user", "add", NEW_USER, "--password-stdin"], "\ud800", "not valid Unicode", id="surrogate"),
        pytest.param(["user", "add", NEW_USER], "", "--password-stdin", id="no-terminal-to-prompt"),
    ],
)
def test_refusals_exit_1_with_a_clear_message(authctl_run, argv, stdin, message):
    run = authctl_run(*argv, stdin=stdin)
    assert run.code == 1
    assert run.err.startswith("authctl: ")
    assert message in run.err
    assert run.out == ""


def test_a_refused_add_creates_nobody(authctl_run):
    authctl_run("user", "add", NEW_USER, "--password-stdin", stdin="p" * 73)
    assert NEW_USER not in authctl_run("user", "list").out


def test_bad_channel_ids_are_usage_errors(authctl_run):
    for bad_id in ("0", "-1", "abc", "1.5", "1_000", "١٢٣", str(MAX_CHANNEL_ID + 1), ""):
        for argv in (
            ["grant", DEMO.username, bad_id],
            ["channel", "add", bad_id, "X"],
            ["revoke", DEMO.username, bad_id],
        ):
            run = authctl_run(*argv)
            assert run.code == 2, argv
            assert "a channel id is a whole number from 1 to" in run.err


def test_the_largest_channel_id_is_accepted(authctl_run):
    assert authctl_run("channel", "add", str(MAX_CHANNEL_ID), "Last").code == 0


def test_blank_channel_name_is_a_usage_error(authctl_run):
    run = authctl_run("channel", "add", "42", "   ")
    assert run.code == 2
    assert "the channel name is empty" in run.err


@pytest.mark.parametrize(
    "argv",
    [
        ["user", "add", NEW_USER, "hunter2-secret"],
        ["user", "add", NEW_USER, "--password", "hunter2-secret"],
        ["user", "add", NEW_USER, "--password=hunter2-secret"],
        ["user", "add", NEW_USER, "--password-s=hunter2-secret"],
        ["user", "passwd", DEMO.username, "hunter2-secret"],
    ],
)
def test_a_password_is_never_taken_from_the_command_line_nor_echoed(authctl_run, argv):
    run = authctl_run(*argv, stdin=NEW_PASSWORD)
    assert run.code == 2
    assert "hunter2-secret" not in run.out + run.err
    assert "passwords are read from stdin" in run.err
    assert NEW_USER not in authctl_run("user", "list").out


def test_no_password_is_ever_printed(authctl_run):
    outputs = [
        authctl_run("user", "add", NEW_USER, "--password-stdin", stdin=NEW_PASSWORD),
        authctl_run("user", "passwd", NEW_USER, "--password-stdin", stdin=NEW_PASSWORD + "2"),
        authctl_run("user", "show", NEW_USER),
        authctl_run("user", "list"),
    ]
    assert all(NEW_PASSWORD not in run.out + run.err for run in outputs)


# ---- which tables ---------------------------------------------------------------------------------------------


def test_without_a_target_authctl_says_how_to_name_one(authctl_run, monkeypatch):
    monkeypatch.delenv("USERS_TABLE")
    run = authctl_run("user", "list")
    assert run.code == 1
    assert "--local, --stack NAME, or set USERS_TABLE" in run.err


def test_a_missing_table_is_named(authctl_run, monkeypatch):
    monkeypatch.setenv("CHANNELS_TABLE", "no-such-table")
    run = authctl_run("channel", "list")
    assert run.code == 1
    assert "no-such-table" in run.err
    assert "does not exist" in run.err


def test_local_and_stack_exclude_each_other(authctl_run):
    assert authctl_run("--local", "--stack", "x", "user", "list").code == 2


def test_stack_names_the_tables_and_the_livekit_servers_through_its_outputs_and_parameters(
    authctl_run, tables, monkeypatch, livekit_servers, demo_users
):
    for variable in tables:
        monkeypatch.delenv(variable)
    deploy_service_stack("livekit-auth", tables, livekit=livekit_servers)  # its parameters name its LiveKit servers
    livekit_servers.seat("channel-1234567", demo_users[DEMO.username])

    run = authctl_run("--stack", "livekit-auth", "user", "disable", DEMO.username)
    assert run.code == 0, run.err
    assert [server.rooms for server in livekit_servers.both()] == [{"channel-1234567": set()}] * 2
    assert DEMO.username in authctl_run("--stack", "livekit-auth", "user", "list").out


@pytest.mark.parametrize("command", ["add", "passwd"])
def test_stack_passwords_are_hashed_at_the_stacks_bcrypt_rounds(
    authctl_run, tables, store, monkeypatch, command, livekit_servers
):
    """The stack's BcryptRounds, not BCRYPT_ROUNDS here: logins cost the same for every user and the dummy hash."""
    for variable in tables:
        monkeypatch.delenv(variable)
    monkeypatch.setenv("BCRYPT_ROUNDS", "4")  # the function's environment says 4; the stack says 10
    deploy_service_stack("livekit-auth", tables, bcrypt_rounds=10, livekit=livekit_servers)
    username = NEW_USER if command == "add" else DEMO.username

    run = authctl_run("--stack", "livekit-auth", "user", command, username, "--password-stdin", stdin=NEW_PASSWORD)

    assert run.code == 0, run.err
    assert store.require_user(username).password_hash.startswith("$2b$10$")


def test_without_a_stack_passwords_are_hashed_at_bcrypt_rounds(authctl_run, store, monkeypatch):
    monkeypatch.setenv("BCRYPT_ROUNDS", "5")
    assert authctl_run("user", "add", NEW_USER, "--password-stdin", stdin=NEW_PASSWORD).code == 0
    assert store.require_user(NEW_USER).password_hash.startswith("$2b$05$")


@pytest.mark.parametrize("missing", ["BcryptRounds", "SessionIdleSeconds"])
def test_a_stack_without_a_shared_setting_is_refused(authctl_run, tables, missing):
    """authctl hashes and lists sessions as the stack's function does, or not at all."""
    outputs = {output: tables[variable] for output, variable in targets.STACK_OUTPUTS.items()}
    parameters = {setting.parameter: str(setting.default) for setting in targets.STACK_SETTINGS}
    del parameters[missing]
    deploy_stack("half-service", outputs, parameters)
    run = authctl_run("--stack", "half-service", "user", "list")
    assert run.code == 1
    assert f"has no parameter {missing}: is it this service's stack?" in run.err


def test_an_unknown_stack_is_refused(authctl_run):
    run = authctl_run("--stack", "no-such-stack", "user", "list")
    assert run.code == 1
    assert "no stack no-such-stack" in run.err


def test_a_foreign_stack_is_refused(authctl_run):
    deploy_stack("someone-else", {"Unrelated": "x"})
    run = authctl_run("--stack", "someone-else", "user", "list")
    assert run.code == 1
    assert "has no output UsersTableName, ChannelsTableName, AttemptsTableName" in run.err
