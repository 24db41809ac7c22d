"""Storage details the login path depends on."""

from livekit_auth.storage import Membership
from livekit_auth_tools.demo_data import DEMO


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
