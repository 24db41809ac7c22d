"""The items import writes are the items AdminStore writes: two places know the layout, this test says they agree."""

from __future__ import annotations

from typing import Any

from livekit_auth.storage.records import Channel, Membership
from livekit_auth.storage.transfer import (
    catalog_item,
    catalog_key,
    membership_item,
    membership_key,
    profile_item,
    profile_key,
    user_from_item,
    user_item,
)
from tests.support.transfer import scan


def by_key(items: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(item["pk"]["S"], item["sk"]["S"]): item for item in items}


def test_user_profile_catalog_and_membership_items_match_admin_store(store, dynamodb_client, tables):
    # Given: a user, a channel and a grant as AdminStore writes them
    user_id = store.create_user("same@example.com", "$2b$04$" + "a" * 53, active=False, display_name="Sara")
    store.add_channel(5, "five")
    store.grant(
        store.require_user("same@example.com"), store.get_channel(5), Membership(5, "five", can_subscribe=False)
    )

    # When
    (admin_user,) = scan(dynamodb_client, tables["USERS_TABLE"])
    channel_items = by_key(scan(dynamodb_client, tables["CHANNELS_TABLE"]))

    # Then: transfer's items are the same, item for item
    record = user_from_item(admin_user, channel_record=True)
    assert user_item(record) == admin_user
    assert profile_item(record) == channel_items[profile_key(user_id)]
    assert catalog_item(Channel(5, "five")) == channel_items[catalog_key(5)]
    membership = Membership(5, "five", can_subscribe=False)
    assert membership_item(user_id, "same@example.com", membership) == channel_items[membership_key(user_id, 5)]
