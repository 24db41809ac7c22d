"""DynamoDB access: the only code that knows the table layouts (docs/design.md, "Data model").

Split by consumer, so each reader sees only what its caller may do:
    dynamo    plumbing shared by all: calls with one translation of AWS errors, the pager, keys, number codec
    records   the records (User, Membership, Channel, AttemptState) and their item codecs
    accounts  the login's reads: one user GetItem, one memberships Query
    attempts  the lockout policy beside the conditional writes that enforce it
    admin     what authctl changes: users, channels, grants, lockout state (the function's IAM cannot)
    upgrades  the login's one write: a password hash replaced by its upgrade, conditioned on the old one
    transfer  authctl export/import: whole-table reads, batched retried writes, the transfer records
    sessions  the sessions table: the function's single-item calls, authctl's listing and revocation (its layout there)

Users table      username (PK) -> user_id, password_hash, active, display_name?, session_generation?
Channels table   pk, sk (single-table design)
    USER#<user_id>   PROFILE                the user's channel record: exists even with no channel
    USER#<user_id>   CHANNEL#<padded id>    a membership: channel name and grants; member_of = CHANNEL#<id>
    CATALOG          CHANNEL#<padded id>    a channel: its id and name
    index ByChannel  member_of (PK), pk (SK): the members of one channel, for renames
Attempts table   username (PK) -> attempts, locked_until, held_until, expires_at (TTL, also checked in code)
"""
