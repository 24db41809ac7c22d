"""The function's DynamoDB access; records holds every table layout (docs/design.md, "Data model").

Split by consumer, so each reader sees only what its caller may do (authctl's stores: livekit_authctl.storage):
    dynamo    plumbing shared by all: calls with one translation of AWS errors, the pager, keys, number codec
    records   the records and one item codec each (user, channel record, channel, grant, session, attempt)
    accounts  the login's reads: one user GetItem, one memberships Query
    attempts  the lockout policy beside the conditional writes that enforce it
    upgrades  the login's one write: a password hash replaced by its upgrade, conditioned on the old one
    sessions  the sessions table's single-item calls (create, read, rotate, touch, delete) and the token item

Users table      username (PK) -> user_id, password_hash, active, display_name?, session_generation?
Channels table   pk, sk (single-table design)
    USER#<user_id>   PROFILE                the user's channel record: exists even with no channel
    USER#<user_id>   CHANNEL#<padded id>    a membership: channel name and grants; member_of = CHANNEL#<id>
    CATALOG          CHANNEL#<padded id>    a channel: its id and name
    index ByChannel  member_of (PK), pk (SK): the members of one channel, for renames
Attempts table   username (PK) -> attempts, locked_until, held_until, expires_at (TTL, also checked in code)
"""
