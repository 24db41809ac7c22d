"""Django dumpdata in, through authctl import; every user logs in with their old password and is upgraded.

Covers issue 12's "Django users" rules: username from `username` if an email else `email`, is_active,
a new UUID per user, the empty channel record, each supported hash format verified and then replaced by
native bcrypt at BCRYPT_ROUNDS, and unusable or weak hashes imported as accounts that cannot log in.
"""

from __future__ import annotations

import re
from pathlib import Path

import bcrypt
import pytest

from livekit_auth import messages
from livekit_auth.passwords import MIN_NEW_PASSWORD_CHARACTERS
from livekit_authctl.storage.admin import AdminStore
from tests.support.logins import attempt_login
from tests.support.settings import BCRYPT_ROUNDS
from tests.support.transfer import (
    django_bcrypt,
    django_bcrypt_sha256,
    django_user,
    dumpdata,
    native_bcrypt,
    pbkdf2,
    salted_md5,
    salted_sha1,
    unsalted_md5,
    unsalted_sha1,
    unusable,
)

CHANNEL = "4242"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")

# username -> (password, the hash Django would have stored for it)
USABLE = {
    "pbkdf2@example.com": ("pbkdf2 password", lambda password: pbkdf2(password)),
    "pbkdf2-more@example.com": ("other count", lambda password: pbkdf2(password, iterations=20_000)),
    "pbkdf2-sha1@example.com": ("sha1 prf", lambda password: pbkdf2(password, algorithm="pbkdf2_sha1")),
    "bcrypt@example.com": ("django bcrypt", django_bcrypt),
    "bcrypt-sha256@example.com": ("django bcrypt sha256 — with ünicode", django_bcrypt_sha256),
    "native-2b@example.com": ("native at another cost", lambda password: native_bcrypt(password, 5)),
    "native-2a@example.com": ("native 2a", lambda password: native_bcrypt(password, 5, "$2a$")),
    "native-2y@example.com": ("native 2y", lambda password: native_bcrypt(password, BCRYPT_ROUNDS, "$2y$")),
}
LOCKED = {
    "unusable@example.com": ("any", lambda password: unusable(), "unusable password"),
    "md5@example.com": ("md5 password", salted_md5, "md5 hash not kept"),
    "sha1@example.com": ("sha1 password", salted_sha1, "sha1 hash not kept"),
    "plain-md5@example.com": ("plain md5", unsalted_md5, "unsalted_md5 hash not kept"),
    "plain-sha1@example.com": ("plain sha1", unsalted_sha1, "unsalted_sha1 hash not kept"),
    "crypt@example.com": ("crypt", lambda password: "crypt$$abJnggxhB/yWI", "crypt hash not kept"),
}


@pytest.fixture
def django_file(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A dumpdata file with one user per supported and locked format; returns (path, {username: hash})."""
    hashes: dict[str, str] = {}
    users = []
    for pk, (username, (password, make, *_)) in enumerate({**USABLE, **LOCKED}.items(), start=1):
        hashes[username] = make(password)
        users.append(django_user(pk, username, hashes[username], email=f"other-{pk}@example.com"))
    users.append(django_user(50, "legacy_login_name", pbkdf2("by email"), email="By.Email@Example.com"))
    users.append(django_user(51, "off@example.com", pbkdf2("inactive one"), active=False))
    users.append(django_user(52, "named@example.com", pbkdf2("named"), first_name="Sara", last_name=" Ahmadi "))
    path = tmp_path / "users.json"
    path.write_text(dumpdata(*users), encoding="utf-8")
    return path, hashes


def stored_hash(store: AdminStore, username: str) -> str:
    return store.require_user(username).password_hash


def test_every_supported_format_logs_in_with_its_old_password_and_is_upgraded(authctl_without_demo, django_file, store):
    # Given: every supported format imported, each user granted a channel
    path, hashes = django_file
    imported = authctl_without_demo("import", str(path))
    assert imported.code == 0, imported.out + imported.err
    assert "read as Django dumpdata auth.user" in imported.out
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    for username in USABLE:
        assert authctl_without_demo("grant", username, CHANNEL).code == 0

    for username, (password, _) in USABLE.items():
        assert stored_hash(store, username) == hashes[username], "kept as Django stored it until the first login"
        # When
        answer = attempt_login(username, password)
        # Then: in, and the hash is native bcrypt at the configured cost
        assert answer.status == 200, (username, answer.body)
        assert answer.body["username"] == username
        upgraded = stored_hash(store, username)
        assert upgraded.startswith(f"$2b${BCRYPT_ROUNDS:02d}$"), username
        assert bcrypt.checkpw(password.encode(), upgraded.encode())
        assert attempt_login(username, password).status == 200  # and again, over the upgraded hash
        assert stored_hash(store, username) == upgraded


def test_a_wrong_password_for_a_legacy_hash_is_refused_and_changes_nothing(authctl_without_demo, django_file, store):
    # Given
    path, hashes = django_file
    assert authctl_without_demo("import", str(path)).code == 0
    for username in USABLE:
        # When
        answer = attempt_login(username, "not the password")
        # Then
        assert (answer.status, answer.body) == (401, {"error": messages.INVALID_CREDENTIALS})
        assert stored_hash(store, username) == hashes[username]


def test_unusable_and_weak_hashes_cannot_log_in_until_passwd(authctl_without_demo, django_file, store):
    # Given
    path, hashes = django_file

    # When
    imported = authctl_without_demo("import", str(path))

    # Then: the summary lists them, they are stored locked, and `user passwd` opens them
    assert f"{len(LOCKED)} account(s) cannot log in until `authctl user passwd`" in imported.out
    for username, (_, _, reason) in LOCKED.items():
        assert f"  {username} ({reason})" in imported.out
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    for username, (password, _, _) in LOCKED.items():
        assert stored_hash(store, username).startswith("!")
        if username != "unusable@example.com":
            assert hashes[username] not in stored_hash(store, username), "the weak hash itself is not kept"
        assert attempt_login(username, password).status == 401
        assert authctl_without_demo("user", "passwd", username, "--password-stdin", stdin="a new password").code == 0
        assert authctl_without_demo("grant", username, CHANNEL).code == 0
        assert attempt_login(username, "a new password").status == 200


def test_django_fields_map_to_the_users(authctl_without_demo, django_file, store, dynamodb_client, tables):
    # Given
    path, _ = django_file

    # When
    assert authctl_without_demo("import", str(path)).code == 0

    # Then
    by_email = store.require_user("by.email@example.com")  # `username` is no email: the email field, normalized
    assert UUID.fullmatch(by_email.user_id)
    assert store.get_memberships(by_email.user_id) == [], "the empty channel record, like `user add`"
    assert store.require_user("off@example.com").active is False
    assert attempt_login("off@example.com", "inactive one").body == {"error": messages.ACCOUNT_INACTIVE}
    assert store.get_user("pbkdf2@example.com").user_id != store.get_user("bcrypt@example.com").user_id
    assert store.require_user("named@example.com").display_name == "Sara Ahmadi", "first and last name"
    assert store.require_user("pbkdf2@example.com").display_name is None, "no name: tokens show the username"
    item = dynamodb_client.get_item(TableName=tables["USERS_TABLE"], Key={"username": {"S": "named@example.com"}})
    assert item["Item"]["created_at"] == {"S": "2024-05-01T10:52:00Z"}, "date_joined"


def test_a_django_name_authctl_would_refuse_is_refused(authctl_without_demo, tmp_path, store):
    # Given: a first name holding a line break (livekit_auth.display_names refuses it)
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "broken@example.com", pbkdf2("pw"), first_name="Sara\nAhmadi")))

    # When
    run = authctl_without_demo("import", str(path))

    # Then
    assert run.code == 1
    assert "refused index 0 (pk 1): user: the display name holds a control character or a line break" in run.out
    assert store.get_user("broken@example.com") is None


def test_imported_hashes_of_passwords_shorter_than_the_minimum_still_log_in(authctl_without_demo, tmp_path):
    # Given: the old service allowed a password shorter than authctl's minimum for a new one
    short = "x" * (MIN_NEW_PASSWORD_CHARACTERS - 1)
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "short@example.com", pbkdf2(short))))
    assert authctl_without_demo("import", str(path)).code == 0
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    assert authctl_without_demo("grant", "short@example.com", CHANNEL).code == 0

    # When
    answer = attempt_login("short@example.com", short)

    # Then: the minimum applies to passwords typed in, not to hashes brought in
    assert answer.status == 200
    refused = authctl_without_demo("user", "passwd", "short@example.com", "--password-stdin", stdin=short)
    assert refused.code == 1
    assert f"shorter than {MIN_NEW_PASSWORD_CHARACTERS} characters" in refused.err


def test_username_field_email_takes_the_email_even_when_username_is_one(authctl_without_demo, tmp_path, store):
    # Given
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "login@example.com", pbkdf2("pw"), email="mail@example.com")))

    # When
    assert authctl_without_demo("import", "--username-field", "email", str(path)).code == 0

    # Then
    assert store.get_user("mail@example.com") is not None
    assert store.get_user("login@example.com") is None


def test_list_legacy_counts_what_remains_and_shrinks_as_users_log_in(authctl_without_demo, django_file):
    # Given
    path, _ = django_file
    assert authctl_without_demo("import", str(path)).code == 0

    # When
    before = authctl_without_demo("user", "list", "--legacy")

    # Then
    assert before.code == 0
    outdated = len(USABLE) + 3  # the by-email, inactive and named users are PBKDF2 too
    assert f"{outdated} of {outdated + len(LOCKED)} user(s) have a legacy hash" in before.err
    assert f"{len(LOCKED)} cannot log in" in before.err
    assert "pbkdf2@example.com\tpbkdf2_sha256\tupgraded at next login" in before.out.splitlines()
    assert "native-2b@example.com\tbcrypt cost 05\tupgraded at next login" in before.out.splitlines()
    assert "md5@example.com\tlocked (md5)\tcannot log in until `authctl user passwd`" in before.out.splitlines()
    assert "$" not in before.out, "formats are named, hashes never shown"

    # When: one of them logs in
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    assert authctl_without_demo("grant", "pbkdf2@example.com", CHANNEL).code == 0
    assert attempt_login("pbkdf2@example.com", USABLE["pbkdf2@example.com"][0]).status == 200
    after = authctl_without_demo("user", "list", "--legacy")

    # Then
    assert f"{outdated - 1} of {outdated + len(LOCKED)} user(s) have a legacy hash" in after.err
    assert "pbkdf2@example.com\t" not in after.out


def test_the_login_answer_is_the_same_before_and_after_the_upgrade(authctl_without_demo, tmp_path, store):
    # Given
    path = tmp_path / "users.json"
    path.write_text(dumpdata(django_user(1, "same@example.com", pbkdf2("same answer"))))
    assert authctl_without_demo("import", str(path)).code == 0
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    assert authctl_without_demo("grant", "same@example.com", CHANNEL).code == 0

    # When: the first login upgrades, the second does not
    first, second = attempt_login("same@example.com", "same answer"), attempt_login("same@example.com", "same answer")

    # Then: apart from the tokens themselves, the answers are the same
    assert (first.status, second.status) == (200, 200)
    for answer in (first, second):
        for entry in answer.body["tokens"].values():
            entry["token"] = "<token>"
    assert first.body == second.body
    assert first.headers.keys() == second.headers.keys()


def test_running_the_import_again_never_brings_an_old_hash_back(authctl_without_demo, django_file, store):
    """After an upgrade on login or a `user passwd`, the file's older hash does not replace the new one."""
    # Given: one user upgraded on login, another reset by `user passwd`
    path, _ = django_file
    assert authctl_without_demo("import", str(path)).code == 0
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    for username in ("pbkdf2@example.com", "md5@example.com"):
        assert authctl_without_demo("grant", username, CHANNEL).code == 0
    assert attempt_login("pbkdf2@example.com", USABLE["pbkdf2@example.com"][0]).status == 200  # upgraded
    assert (
        authctl_without_demo("user", "passwd", "md5@example.com", "--password-stdin", stdin="reset by support").code
        == 0
    )
    upgraded = stored_hash(store, "pbkdf2@example.com")

    # When
    again = authctl_without_demo("import", str(path))

    # Then
    assert again.code == 0, again.out
    assert "2 user(s) keep their bcrypt hash over the file's older format" in again.out
    assert "nothing to change" in again.out
    assert "md5@example.com (md5 hash not kept)" not in again.out, "no longer locked"
    assert stored_hash(store, "pbkdf2@example.com") == upgraded
    assert attempt_login("md5@example.com", "reset by support").status == 200


def test_hashes_too_cheap_or_too_dear_to_check_are_imported_locked(authctl_without_demo, tmp_path, store):
    """A crafted 1-iteration PBKDF2 hash (guessed at once from a leaked table) and huge costs (a login
    that burns the function's timeout) are not kept: the accounts are listed and cannot log in."""
    tail = "abcdefghijklmnopqrstuv" + "A" * 31
    crafted = {
        "one-iteration@example.com": (pbkdf2("guess me", iterations=1), "pbkdf2_sha256_too_few_iterations"),
        "huge-count@example.com": ("pbkdf2_sha256$999999999$salt$aGFzaA==", "pbkdf2_sha256_too_many_iterations"),
        "huge-cost@example.com": (f"bcrypt$$2b$31${tail}", "bcrypt_cost_too_high"),
    }
    path = tmp_path / "crafted.json"
    path.write_text(dumpdata(*(django_user(pk, name, made) for pk, (name, (made, _)) in enumerate(crafted.items()))))

    # When
    imported = authctl_without_demo("import", str(path))

    # Then
    assert imported.code == 0, imported.out + imported.err
    assert f"{len(crafted)} account(s) cannot log in until `authctl user passwd`" in imported.out
    for username, (made, reason) in crafted.items():
        assert f"  {username} ({reason} hash not kept)" in imported.out
        assert stored_hash(store, username) == "!weak:" + reason
        assert made not in imported.out + imported.err
    assert attempt_login("one-iteration@example.com", "guess me").status == 401


def test_running_the_import_again_never_brings_back_a_native_bcrypt_hash_of_another_cost(
    authctl_without_demo, tmp_path, store
):
    """Native bcrypt from Django at another cost is older than `user passwd`'s hash, like Django's own formats."""
    # Given: a user imported with native bcrypt at another cost, then reset by support
    path = tmp_path / "native.json"
    path.write_text(dumpdata(django_user(1, "native@example.com", native_bcrypt("the old one", 5, "$2a$"))))
    assert authctl_without_demo("import", str(path)).code == 0
    assert authctl_without_demo("channel", "add", CHANNEL, "Lobby").code == 0
    assert authctl_without_demo("grant", "native@example.com", CHANNEL).code == 0
    reset = authctl_without_demo("user", "passwd", "native@example.com", "--password-stdin", stdin="reset by support")
    assert reset.code == 0, reset.err

    # When
    again = authctl_without_demo("import", str(path))

    # Then: the reset stands, and the old password stays refused
    assert again.code == 0, again.out
    assert "1 user(s) keep their bcrypt hash over the file's older format" in again.out
    assert attempt_login("native@example.com", "reset by support").status == 200
    assert attempt_login("native@example.com", "the old one").status == 401
