"""authctl export and import of this service's own format: round trip, idempotence, dry run, refusals.

Resume, throttling and progress: test_transfer_resume.py.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any
from unittest.mock import patch

import pytest
from livekit.api import TokenVerifier

from livekit_authctl.storage.admin import AdminStore
from tests.support.handler import new_container
from tests.support.logins import attempt_login, good_login
from tests.support.transfer import each_line, pbkdf2, scan, tallies
from tools.ci.cfn_template import create_tables
from tools.local import demo_data, fake_aws

LEGACY_USER = "legacy@example.com"
LEGACY_PASSWORD = "from the old service"
DISPLAY_NAME = "دمو\u200cکاربر"  # with a zero-width non-joiner, as Persian names have


@pytest.fixture
def stocked(store: AdminStore, demo_users: dict[str, str]) -> None:
    """The demo data (inactive, read-only, no channel record...) plus a display name and a legacy hash."""
    store.create_user(LEGACY_USER, pbkdf2(LEGACY_PASSWORD))
    store.set_display_name(demo_data.DEMO.username, DISPLAY_NAME)


def switch_tables(monkeypatch: pytest.MonkeyPatch, tables: dict[str, str]) -> None:
    """Point authctl and the function at other tables (a second, empty stack)."""
    for variable, name in tables.items():
        monkeypatch.setenv(variable, name)
    new_container()


def all_items(client: Any, tables: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    return {variable: scan(client, name) for variable, name in tables.items() if variable != "ATTEMPTS_TABLE"}


def test_export_writes_json_lines_of_users_channels_and_grants_without_sessions(authctl_without_demo, stocked):
    # When
    run = authctl_without_demo("export")

    # Then
    assert run.code == 0, run.err
    lines = list(each_line(run.out))
    assert [line["kind"] for line in lines] == ["user"] * 6 + ["channel"] * 2 + ["grant"] * 4
    demo = next(line for line in lines if line.get("username") == demo_data.DEMO.username and line["kind"] == "user")
    assert set(demo) == {
        "kind",
        "username",
        "user_id",
        "password_hash",
        "active",
        "display_name",
        "created_at",
        "updated_at",
        "password_changed_at",
    }
    assert demo["display_name"] == DISPLAY_NAME
    no_data = next(line for line in lines if line.get("username") == demo_data.NO_DATA.username)
    assert no_data["channel_record"] is False
    viewer = next(line for line in lines if line["kind"] == "grant" and line["username"] == demo_data.VIEWER.username)
    assert (viewer["can_publish"], viewer["can_subscribe"], viewer["can_publish_data"]) == (False, True, True)
    assert "password hashes" in run.err


def test_export_to_a_file_is_private(authctl_without_demo, stocked, tmp_path: Path):
    # Given: a world-readable file where the export goes
    target = tmp_path / "backup.jsonl"
    target.write_text("old, world-readable")
    target.chmod(0o644)

    # When
    run = authctl_without_demo("export", "-o", str(target))

    # Then
    assert run.code == 0, run.err
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert "mode 600" in run.err
    assert "password hashes" in run.err
    assert run.out == ""
    assert len(target.read_text().splitlines()) == 12


def test_round_trip_into_an_empty_stack_reproduces_it_and_everyone_logs_in(
    authctl_without_demo, stocked, tmp_path, monkeypatch, dynamodb_client
):
    # Given: an export of the stocked stack, and a second, empty stack
    exported = authctl_without_demo("export", "-o", str(tmp_path / "a.jsonl"))
    assert exported.code == 0, exported.err
    source_state = all_items(dynamodb_client, table_names_env())
    copy = create_tables(dynamodb_client, "copy")
    switch_tables(monkeypatch, copy)

    # When: imported there, then exported again
    imported = authctl_without_demo("import", str(tmp_path / "a.jsonl"))
    assert imported.code == 0, imported.out + imported.err
    assert authctl_without_demo("export", "-o", str(tmp_path / "b.jsonl")).code == 0

    # Then: the same lines apart from order, the same items, and every user gets the answer of their state
    first, second = (sorted((tmp_path / name).read_text().splitlines()) for name in ("a.jsonl", "b.jsonl"))
    assert first == second
    assert strip_names(all_items(dynamodb_client, copy)) == strip_names(source_state), "item for item, too"
    for user in demo_data.USERS:
        assert good_login(user.username).status != 401, user.username
    demo = good_login(demo_data.DEMO.username)
    assert demo.status == 200
    verifier = TokenVerifier(fake_aws.API_KEY, fake_aws.API_SECRET)
    assert {verifier.verify(entry["token"]).name for entry in demo.body["tokens"].values()} == {DISPLAY_NAME}
    assert attempt_login(LEGACY_USER, LEGACY_PASSWORD).status == 403  # no channels: the old password is right


def table_names_env() -> dict[str, str]:
    return {variable: os.environ[variable] for variable in ("USERS_TABLE", "CHANNELS_TABLE")}


def strip_names(state: dict[str, list[dict[str, Any]]]) -> list[list[dict[str, Any]]]:
    return [state["USERS_TABLE"], state["CHANNELS_TABLE"]]


def test_a_second_import_changes_nothing_and_says_so(authctl_without_demo, stocked, tmp_path, dynamodb_client, tables):
    # Given: an export imported once into an empty stack
    assert authctl_without_demo("export", "-o", str(tmp_path / "a.jsonl")).code == 0
    copy = create_tables(dynamodb_client, "again")
    with patch.dict(os.environ, copy):
        new_container()
        first = authctl_without_demo("import", str(tmp_path / "a.jsonl"))
        after_first = all_items(dynamodb_client, copy)

        # When: imported again
        second = authctl_without_demo("import", str(tmp_path / "a.jsonl"))

        # Then
        assert all_items(dynamodb_client, copy) == after_first
    assert first.code == second.code == 0
    assert tallies(first.out)["user"] == (6, 0, 0, 0)
    assert tallies(second.out)["user"] == (0, 0, 6, 0)
    assert tallies(second.out)["grant"] == (0, 0, 4, 0)
    assert "nothing to change" in second.out
    assert "nothing to change" not in first.out


def test_import_over_existing_data_updates_what_differs_and_never_deletes(
    authctl_without_demo, stocked, tmp_path, store, dynamodb_client, tables
):
    # Given: an export edited (one user enabled, one channel renamed, one user left out)
    assert authctl_without_demo("export", "-o", str(tmp_path / "a.jsonl")).code == 0
    lines = list(each_line((tmp_path / "a.jsonl").read_text()))
    for line in lines:
        if line["kind"] == "user" and line["username"] == demo_data.INACTIVE.username:
            line["active"] = True
        if line["kind"] == "channel" and line["channel_id"] == demo_data.PUBLIC_CHANNEL[0]:
            line["name"] = "Lobby"
    kept = [line for line in lines if line.get("username") != demo_data.VIEWER.username]
    (tmp_path / "b.jsonl").write_text("".join(json.dumps(line) + "\n" for line in kept))

    # When
    run = authctl_without_demo("import", str(tmp_path / "b.jsonl"))

    # Then
    assert run.code == 0, run.err
    assert tallies(run.out)["user"] == (0, 1, 4, 0)
    assert tallies(run.out)["channel"] == (0, 1, 1, 0)
    assert tallies(run.out)["grant"] == (0, 2, 1, 0)
    assert store.require_user(demo_data.INACTIVE.username).active is True
    assert store.get_user(demo_data.VIEWER.username) is not None, "never deleted"
    viewer = store.require_user(demo_data.VIEWER.username)
    assert [m.name for m in store.get_memberships(viewer.user_id)] == ["Lobby"], "a rename reaches every member"
    assert store.require_user(demo_data.DEMO.username).display_name == DISPLAY_NAME


def test_a_display_name_in_the_file_replaces_the_one_here_and_none_keeps_it(
    authctl_without_demo, stocked, tmp_path, store
):
    # Given: the demo user renamed in the file, the viewer named here but not in the file
    store.set_display_name(demo_data.VIEWER.username, "Viewer")
    demo, viewer = (store.require_user(user.username) for user in (demo_data.DEMO, demo_data.VIEWER))
    lines = [
        {"kind": "user", "username": user.username, "user_id": user.user_id, "password_hash": user.password_hash}
        for user in (demo, viewer)
    ]
    lines[0]["display_name"] = "  Demo "
    (tmp_path / "names.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))

    # When
    run = authctl_without_demo("import", str(tmp_path / "names.jsonl"))

    # Then: a name is stored as `user rename` stores it (trimmed); no name in the file deletes none
    assert run.code == 0, run.out + run.err
    assert tallies(run.out)["user"] == (0, 1, 1, 0)
    assert store.require_user(demo.username).display_name == "Demo"
    assert store.require_user(viewer.username).display_name == "Viewer"


def test_dry_run_says_what_it_would_do_and_writes_nothing(
    authctl_without_demo, stocked, tmp_path, dynamodb_client, tables
):
    # Given
    assert authctl_without_demo("export", "-o", str(tmp_path / "a.jsonl")).code == 0
    copy = create_tables(dynamodb_client, "dry")
    with patch.dict(os.environ, copy):
        # When
        run = authctl_without_demo("import", "--dry-run", str(tmp_path / "a.jsonl"))

        # Then
        assert all(not items for items in all_items(dynamodb_client, copy).values())
    assert run.code == 0, run.err
    assert run.out.startswith("would create user demo@example.com\n")
    assert "would create channel 1234567 کانال عمومی" in run.out
    assert "would create grant viewer@example.com 1234567" in run.out
    assert "dry run: nothing written" in run.out
    assert tallies(run.out)["user"] == (6, 0, 0, 0)


def test_refusals_are_named_by_line_with_a_reason_and_never_show_the_hash(authctl_without_demo, tmp_path, store):
    # Given: a file with good records among bad ones
    secret_looking = pbkdf2("hidden")
    good = {"kind": "user", "username": "ok@example.com", "password_hash": secret_looking}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({"kind": "session", "id": 1}),
        json.dumps({**good, "username": "not-an-email"}),
        json.dumps({**good, "username": "plain@example.com", "password_hash": "hunter2-in-plain-text"}),
        json.dumps({**good, "username": "OK@example.com"}),
        json.dumps({"kind": "grant", "username": "ok@example.com", "channel_id": 99}),
        json.dumps({"kind": "channel", "channel_id": 0, "name": "zero"}),
        json.dumps({"kind": "grant", "username": "nobody@example.com", "channel_id": 7}),
        json.dumps({"kind": "channel", "channel_id": 7, "name": "seven"}),
    ]
    (tmp_path / "bad.jsonl").write_text("\n".join(lines) + "\n")

    # When
    run = authctl_without_demo("import", str(tmp_path / "bad.jsonl"))

    # Then
    assert run.code == 1
    refused = [line for line in run.out.splitlines() if line.startswith("refused ")]
    assert refused == [
        "refused line 2: record: not valid JSON: Expecting property name enclosed in double quotes",
        "refused line 3: record: unknown kind 'session' (expected one of user, channel, grant)",
        "refused line 4: user: not an email address: 'not-an-email'",
        "refused line 5: user: the password hash is in no format this service knows",
        "refused line 8: channel: `channel_id` is not a whole number from 1 to 9223372036854775807",
        "refused line 1: user: ok@example.com also at line 6 (--on-collision picks a rule)",
        "refused line 6: user: ok@example.com also at line 1 (--on-collision picks a rule)",
        "refused line 7: grant: no user ok@example.com (here or imported)",
        "refused line 9: grant: no user nobody@example.com (here or imported)",
    ]
    assert tallies(run.out)["user"] == (0, 0, 0, 4), "both rows of one username (issue 18, L1)"
    assert tallies(run.out)["channel"] == (1, 0, 0, 1)
    assert tallies(run.out)["grant"] == (0, 0, 0, 2)
    assert tallies(run.out)["other"] == (0, 0, 0, 2)
    assert "9 record(s) refused (listed above); the rest is imported" in run.err
    assert secret_looking not in run.out + run.err
    assert "hunter2" not in run.out + run.err
    assert store.get_user("ok@example.com") is None
    assert store.get_channel(7) is not None, "the rest is imported"
