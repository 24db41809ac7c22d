"""Storage details the login path depends on."""

import pytest

from livekit_auth.errors import MembersChanged, UnknownChannel, UnknownUser, UserExists
from livekit_auth.storage.records import Channel, Membership
from tools.local.demo_data import DEMO


def test_the_channels_query_follows_every_page(store, demo_users, dynamodb_client):
    """A user with many channels spans several Query pages; none may be dropped."""
    user = store.require_user(DEMO.username)
    for channel_id in range(1, 6):
        store.add_channel(channel_id, f"channel {channel_id}")
        store.grant(user, store.get_channel(channel_id), Membership(channel_id, f"channel {channel_id}"))

    def one_item_per_page(params, **_):
        params["Limit"] = 1

    dynamodb_client.meta.events.register("provide-client-params.dynamodb.Query", one_item_per_page)
    try:
        memberships = store.get_memberships(demo_users[DEMO.username])
    finally:
        dynamodb_client.meta.events.unregister("provide-client-params.dynamodb.Query", one_item_per_page)
    assert [m.channel_id for m in memberships] == [1, 2, 3, 4, 5, 1234567, 7654321]


def test_channel_record_states_are_told_apart(store, demo_users):
    assert store.get_memberships("no-such-user") is None
    assert store.get_memberships(demo_users["nochannels@example.com"]) == []
    assert store.get_memberships(demo_users["nodata@example.com"]) is None


def test_a_rename_that_races_a_revoke_changes_nothing_and_says_so(store, demo_users, monkeypatch):
    viewer = store.require_user("viewer@example.com")
    stale_members = store.channel_members(1234567)
    store.revoke(viewer, 1234567)
    monkeypatch.setattr(store, "channel_members", lambda channel_id: stale_members)
    with pytest.raises(MembersChanged):
        store.rename_channel(1234567, "renamed")
    assert store.get_channel(1234567).name == "کانال عمومی"


def test_renaming_an_unknown_channel_is_refused(store, demo_users):
    with pytest.raises(UnknownChannel):
        store.rename_channel(999, "nothing")


def test_a_grant_for_a_user_deleted_or_recreated_meanwhile_is_refused(store, demo_users, dynamodb_client):
    user = store.require_user(DEMO.username)
    dynamodb_client.delete_item(TableName=store.tables.users, Key={"username": {"S": DEMO.username}})
    with pytest.raises(UnknownUser):
        store.grant(user, store.get_channel(1234567), Membership(1234567, "x"))


def test_a_grant_on_a_missing_channel_is_refused(store, demo_users):
    user = store.require_user(DEMO.username)
    with pytest.raises(UnknownChannel):
        store.grant(user, Channel(42, "never added"), Membership(42, "never added"))


def test_adding_an_existing_user_is_refused(store, demo_users):
    with pytest.raises(UserExists):
        store.create_user(DEMO.username, "$2b$04$" + "x" * 53)
