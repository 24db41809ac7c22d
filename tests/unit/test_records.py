"""Each item has one codec (livekit_auth.storage.records): what it writes, it reads back unchanged.

The function and authctl both go through these codecs, so their layouts cannot drift apart; these
tests hold each codec to itself, and the transfer records to the same items.
"""

from __future__ import annotations

from livekit_auth.storage import records
from livekit_auth.storage.records import Channel, Membership, SessionRecord, User
from livekit_authctl.storage import transfer

CREATED = "2026-01-02T03:04:05+00:00"


def test_a_user_item_reads_back_as_the_user_it_was_written_from():
    user = User("a@example.com", "id-1", "$2b$04$" + "a" * 53, active=False, display_name="Sara")
    item = records.user_item(user, created_at=CREATED, updated_at=CREATED)
    assert records.user_from_item(item) == user
    assert item["username"] == records.username_key(user.username)["username"]


def test_a_user_without_a_display_name_has_no_display_name_attribute():
    item = records.user_item(User("b@example.com", "id-2", "h", active=True), created_at=CREATED, updated_at=CREATED)
    assert "display_name" not in item


def test_a_channel_and_a_grant_read_back_as_written_under_their_keys():
    channel = Channel(7, "seven")
    assert records.channel_from_item(records.channel_item(channel)) == channel
    membership = Membership(7, "seven", can_publish=False, can_subscribe=True, can_publish_data=False)
    item = records.membership_item("id-1", "a@example.com", membership)
    assert records.membership_from_item(item) == membership
    assert {"pk": item["pk"], "sk": item["sk"]} == records.membership_key("id-1", 7)
    assert item["member_of"] == {"S": "CHANNEL#7"}  # the ByChannel index's key


def test_a_session_reads_back_as_written_with_and_without_its_optional_attributes():
    for device, server_url in (("phone", "wss://lk.example"), (None, None)):
        session = SessionRecord("sid", "id-1", "a@example.com", 3, device, server_url, 10, 20, 30)
        assert records.session_from_item(records.session_item(session)) == session


def test_a_transfer_user_is_written_through_the_user_codec_and_keeps_unknown_attributes():
    existing = {**records.user_item(User("a@example.com", "id-1", "old", True), created_at=CREATED, updated_at=CREATED)}
    existing["session_generation"] = {"N": "4"}
    record = transfer.UserRecord("a@example.com", "id-1", "new", display_name="Sara", updated_at="later")
    item = transfer.user_item(record, existing)
    assert item["session_generation"] == {"N": "4"}  # not this code's to write
    assert item["created_at"] == {"S": CREATED}  # the first creation stays
    assert transfer.user_from_item(item, channel_record=True) == transfer.UserRecord(
        "a@example.com", "id-1", "new", display_name="Sara", created_at=CREATED, updated_at="later"
    )
    profile = transfer.profile_item(record)
    assert transfer.pair(records.profile_key("id-1")) == (profile["pk"]["S"], profile["sk"]["S"])
