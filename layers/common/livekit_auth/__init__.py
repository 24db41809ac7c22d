"""Shared code of the LiveKit login service, shipped to Lambda as the CommonLayer.

Module map:
    messages     every user-facing string (the API guide's Persian text, byte for byte)
    config       every setting, read from the environment in one place (defaults and ranges included)
    aws          botocore timeouts and retries shared by every client
    usernames    how usernames are compared (no AWS import: authctl shares it)
    display_names  what a display name (the token's `name`) may be (no AWS import: authctl's)
    server_urls  what a server_url may be, and when two name the same server
    passwords    bcrypt hashing and constant-cost verification
    legacy_hashes  hashes this service did not make (Django's, other bcrypt costs) and locked markers
    password_upgrades  upgrade on login: an outdated hash re-hashed at BCRYPT_ROUNDS
    tokens       LiveKit access tokens (HS256 JWTs) and the credentials that sign them
    credentials  the LiveKit API keys and secrets, from SSM Parameter Store, cached
    server_keys  a key pair per LiveKit server: which signs for a server_url, which servers removal reaches
    room_service  LiveKit's RoomService over Twirp JSON (urllib3): list, remove, restrict, on every server
    webhooks     LiveKit webhooks: the signature and body check, and what a joined participant may keep
    revocation   who leaves which rooms when access ends (authctl, logout), and the webhook's join check
    storage/     the only code that knows the DynamoDB table layouts, split by consumer (see its map)
    login        the login use case: credentials in, channel tokens out
    sessions     sessions: open, the token endpoint's short tokens, refresh (rotation), logout
    browser      CORS and security headers for browser clients
    routes       the API's routes, one row each (path, handler, log message, metric prefix): the
                 handler, its preflights and the local API Gateway all read them
    errors       domain outcomes that are not a success
"""
