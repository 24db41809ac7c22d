"""authctl import under the second security review (issue 18: M2, L1, L2, L5, L6).

An import never undoes a password change here, never takes over an account it did not create, never
reuses another account's user_id, keeps no bcrypt below the floor unless told to, and ends the sessions
of every account whose password or state it changes. docs/security.md lists which test holds which finding.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from livekit_auth.passwords import hash_password
from livekit_authctl.storage.admin import AdminStore
from livekit_authctl.storage.transfer import TransferStore
from tests.support.handler import new_container
from tests.support.logins import attempt_login, good_login, guess
from tests.support.sessions import assert_session_refused, open_session, refresh_session
from tests.support.settings import BCRYPT_ROUNDS
from tests.support.transfer import django_bcrypt, django_user, dumpdata, each_line, native_bcrypt, pbkdf2, tallies
from tools.local.demo_data import DEMO, DEMO_PASSWORD, NO_DATA, PUBLIC_CHANNEL

CHANNEL = str(PUBLIC_CHANNEL[0])
LATER = "2099-01-01T00:00:00+00:00"  # a password_changed_at after anything done here


def write_lines(path: Path, *lines: dict[str, Any]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


def demo_line(store: AdminStore, **changes: Any) -> dict[str, Any]:
    """The demo user as `authctl export` writes it, with `changes`."""
    user = store.require_user(DEMO.username)
    return {"kind": "user", "username": user.username, "user_id": user.user_id, "password_hash": user.password_hash,
            **changes}  # fmt: skip


# ---- M2: never a blind put ---------------------------------------------------------------------------------


def test_m2_an_export_older_than_a_passwd_does_not_bring_the_old_password_back(authctl_run, tmp_path):
    # Given: an export, then a password change
    assert authctl_run("export", "-o", str(tmp_path / "before.jsonl")).code == 0
    assert authctl_run("user", "passwd", DEMO.username, "--password-stdin", stdin="changed since").code == 0

    # When
    run = authctl_run("import", str(tmp_path / "before.jsonl"))

    # Then: the change stands, and the summary says which rows kept it and why
    assert run.code == 0, run.out + run.err
    assert attempt_login(DEMO.username, DEMO_PASSWORD).status == 401
    assert attempt_login(DEMO.username, "changed since").status == 200
    assert "1 user(s) skipped: their password changed here after the file's (password_changed_at)" in run.out
    exported = [line for line in each_line((tmp_path / "before.jsonl").read_text()) if line["kind"] == "user"]
    assert all("password_changed_at" in line for line in exported)


def test_m2_a_changed_hash_ends_the_sessions_and_clears_the_lockout(authctl_run, tmp_path, store):
    # Given: an open session and failed logins
    session = open_session()
    assert guess(DEMO.username).status == 401
    assert store.get_attempts(DEMO.username) is not None
    new_hash = hash_password("from the file", BCRYPT_ROUNDS)
    path = write_lines(tmp_path / "new.jsonl", demo_line(store, password_hash=new_hash, password_changed_at=LATER))

    # When
    run = authctl_run("import", str(path))

    # Then
    assert run.code == 0, run.out + run.err
    assert_session_refused(refresh_session(session))
    assert store.get_attempts(DEMO.username) is None
    assert attempt_login(DEMO.username, "from the file").status == 200


def test_m2_disabled_then_enabled_by_import_does_not_bring_old_sessions_back(authctl_run, tmp_path, store):
    # Given
    session = open_session()
    off, on = (write_lines(tmp_path / f"{n}.jsonl", demo_line(store, active=n == "on")) for n in ("off", "on"))

    # When
    assert authctl_run("import", str(off)).code == 0
    assert authctl_run("import", str(on)).code == 0

    # Then
    assert_session_refused(refresh_session(session))
    assert good_login(DEMO.username).status == 200


def test_m2_a_concurrent_passwd_between_read_and_write_makes_the_row_fail(
    authctl_run, tmp_path, store, monkeypatch: pytest.MonkeyPatch
):
    # Given: `user passwd` lands after the import read the user and before it writes
    new_hash = hash_password("file's", BCRYPT_ROUNDS)
    path = write_lines(tmp_path / "file.jsonl", demo_line(store, password_hash=new_hash, password_changed_at=LATER))
    original = TransferStore.user_items

    def read_then_passwd(self: TransferStore, usernames: Any) -> Any:
        items = original(self, usernames)
        if DEMO.username in items:
            store.change_password(DEMO.username, hash_password("concurrent", BCRYPT_ROUNDS))
        return items

    monkeypatch.setattr(TransferStore, "user_items", read_then_passwd)

    # When
    run = authctl_run("import", str(path))

    # Then: that row fails with its own error; the concurrent password stands
    assert run.code == 1
    assert f"refused line 1: user: {DEMO.username} changed here while importing: run the import again" in run.out
    assert attempt_login(DEMO.username, "concurrent").status == 200
    assert attempt_login(DEMO.username, "file's").status == 401


def test_m2_the_logins_upgrade_of_a_hash_is_no_password_change(authctl_without_demo, tmp_path, store, dynamodb_client):
    # Given: a legacy hash imported with the time its password was set, then upgraded by a login
    changed = "2025-01-01T00:00:00+00:00"
    line = {
        "kind": "user",
        "username": "up@example.com",
        "password_hash": pbkdf2("up's"),
        "password_changed_at": changed,
    }
    assert authctl_without_demo("import", str(write_lines(tmp_path / "up.jsonl", line))).code == 0
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    assert authctl_without_demo("grant", "up@example.com", CHANNEL).code == 0
    assert attempt_login("up@example.com", "up's").status == 200

    # When
    item = dynamodb_client.get_item(TableName=store.tables.users, Key={"username": {"S": "up@example.com"}})["Item"]

    # Then: upgraded, and still the file's password_changed_at, so a later change in the source still lands
    assert item["password_hash"]["S"].startswith(f"$2b${BCRYPT_ROUNDS:02d}$")
    assert item["password_changed_at"] == {"S": changed}
    newer = {**line, "password_hash": hash_password("newer", BCRYPT_ROUNDS), "password_changed_at": LATER}
    assert authctl_without_demo("import", str(write_lines(tmp_path / "newer.jsonl", newer))).code == 0
    assert attempt_login("up@example.com", "newer").status == 200


# ---- L1: username collisions -------------------------------------------------------------------------------


def test_l1_two_rows_of_one_username_are_both_refused(authctl_without_demo, tmp_path, store):
    # Given: one row's username is another row's email
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "a@example.com", pbkdf2("one")),
                             django_user(2, "not-an-email", pbkdf2("two"), email="A@example.com")))  # fmt: skip

    # When
    run = authctl_without_demo("import", str(path))

    # Then: both, each naming the other; nothing imported for them
    assert run.code == 1
    assert "refused index 0 (pk 1): user: a@example.com also at index 1 (pk 2)" in run.out
    assert "refused index 1 (pk 2): user: a@example.com also at index 0 (pk 1)" in run.out
    assert store.get_user("a@example.com") is None

    # When: an explicit rule picks the first
    first = authctl_without_demo("import", "--on-collision", "keep", str(path))

    # Then
    assert first.code == 0, first.out
    assert attempt_login("a@example.com", "one").status != 401


def test_l1_a_django_row_updates_only_the_account_it_created(authctl_run, tmp_path, store):
    # Given: a victim here, and a source user whose email is the victim's username
    victim = store.require_user(DEMO.username)
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(7, "attacker", pbkdf2("attacker's"), email=DEMO.username),
                             django_user(8, "mine@example.com", pbkdf2("mine"))))  # fmt: skip

    # When
    run = authctl_run("import", str(path))

    # Then: refused; the victim is untouched
    assert run.code == 1
    assert f"refused index 0 (pk 7): user: {DEMO.username} exists here and was not imported from Django pk 7" in run.out
    assert store.require_user(DEMO.username) == victim
    assert attempt_login(DEMO.username, "attacker's").status == 401
    assert good_login(DEMO.username).status == 200

    # When: the source changes the password of the account it created
    path.write_text(dumpdata(django_user(8, "mine@example.com", pbkdf2("mine, changed"))))
    again = authctl_run("import", str(path))

    # Then: that is an update of its own account
    assert again.code == 0, again.out
    assert tallies(again.out)["user"] == (0, 1, 0, 0)

    # When: keep leaves the account here as it is, and says so
    path.write_text(dumpdata(django_user(7, "attacker", pbkdf2("attacker's"), email=DEMO.username)))
    kept = authctl_run("import", "--on-collision", "keep", str(path))
    assert kept.code == 0, kept.out
    assert f"1 user(s) skipped: an account here that this source did not create: {DEMO.username}" in kept.out
    assert store.require_user(DEMO.username) == victim


# ---- L2: another account's user_id -------------------------------------------------------------------------


def test_l2_a_row_with_another_usernames_user_id_is_refused(authctl_run, tmp_path, store):
    # Given: the user_id of an account here with no channel record (nothing else names it)
    other = store.require_user(NO_DATA.username)
    path = write_lines(tmp_path / "id.jsonl",
                       {"kind": "user", "username": "new@example.com", "user_id": other.user_id,
                        "password_hash": pbkdf2("new")})  # fmt: skip

    # When
    run = authctl_run("import", str(path))

    # Then
    assert run.code == 1
    assert f"refused line 1: user: user_id {other.user_id} belongs to {NO_DATA.username} here" in run.out
    assert store.get_user("new@example.com") is None


# ---- L5: the bcrypt floor ----------------------------------------------------------------------------------


def test_l5_bcrypt_below_the_floor_is_refused_or_kept_for_upgrade(authctl_run, tmp_path, store, monkeypatch):
    # Given: a deployed-like cost (the floor is then BcryptRounds' lowest, 10) and cheap hashes in the file
    monkeypatch.setenv("BCRYPT_ROUNDS", "10")
    new_container()
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "cheap@example.com", django_bcrypt("cheap one")),
                             django_user(2, "native@example.com", native_bcrypt("cheap two", 4))))  # fmt: skip

    # When
    refused = authctl_run("import", str(path))

    # Then
    assert refused.code == 1
    assert "refused index 1 (pk 2): user: bcrypt cost 04 is below the floor of 10 (--allow-weak-bcrypt" in refused.out
    assert store.get_user("native@example.com") is None

    # When: kept on purpose
    kept = authctl_run("import", "--allow-weak-bcrypt", str(path))

    # Then: counted, and the next login replaces it at the configured cost
    assert kept.code == 0, kept.out
    assert "2 user(s) keep a bcrypt hash below cost 10 (--allow-weak-bcrypt): upgraded at next login" in kept.out
    assert authctl_run("grant", "native@example.com", CHANNEL).code == 0
    assert attempt_login("native@example.com", "cheap two").status == 200
    assert store.require_user("native@example.com").password_hash.startswith("$2b$10$")


# ---- L6: an unusable password wins -------------------------------------------------------------------------


def test_l6_an_unusable_password_in_the_source_locks_the_account_and_ends_its_sessions(authctl_run, tmp_path, store):
    # Given: an imported user who logged in (the hash is now bcrypt made here) with a session
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "six@example.com", pbkdf2("six's"))))
    assert authctl_run("import", str(path)).code == 0
    assert authctl_run("grant", "six@example.com", CHANNEL).code == 0
    login = attempt_login("six@example.com", "six's", session=True)
    assert login.status == 200, login.body
    session = login.body["session"]["token"]

    # When: the source makes the password unusable
    path.write_text(dumpdata(django_user(1, "six@example.com", "!" + "x" * 40)))
    run = authctl_run("import", str(path))

    # Then
    assert run.code == 0, run.out
    assert store.require_user("six@example.com").password_hash.startswith("!")
    assert attempt_login("six@example.com", "six's").status == 401
    assert_session_refused(refresh_session(session))
