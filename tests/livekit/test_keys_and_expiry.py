"""What a real LiveKit server does with tokens over time: an expired one is refused, and a key rotation done as
docs/deploy.md describes it ("Rotating the LiveKit secret") never refuses a token it should accept."""

from __future__ import annotations

import time

import jwt
from livekit import rtc

from livekit_auth.tokens import LiveKitCredentials, room_name
from tests.support import livekit as lk
from tools.local import fake_aws
from tools.local.demo_data import DEMO, DEMO_PASSWORD, PUBLIC_CHANNEL

ROOM = room_name(PUBLIC_CHANNEL[0])
# The new pair of the rotation; the old one is the local stack's own.
NEW_CREDENTIALS = LiveKitCredentials("APIrotatedKey", "rotated-secret-that-is-at-least-32-bytes")
JWT_LEEWAY_SECONDS = 60  # how far past `exp` LiveKit's server still accepts a token; the test goes well beyond


def joins(url: str, token: str) -> bool:
    """Whether the server lets `token` in (a refusal is rtc.ConnectError); the participant leaves at once."""

    async def attempt() -> bool:
        async with lk.Rooms() as rooms:
            try:
                await rooms.join(url, token)
            except rtc.ConnectError:
                return False
            return True

    return lk.run(attempt)


def public_channel_token(answer_body: dict) -> str:
    return answer_body["tokens"][str(PUBLIC_CHANNEL[0])]["token"]


def test_an_expired_token_is_refused_and_a_current_one_joins(livekit, handler_clock, good_login, settings):
    """The handler (in-process, signing with the emulator's key, which the server holds) on the tests' clock."""
    handler_clock.now = time.time() - settings.token_ttl_seconds - 5 * JWT_LEEWAY_SECONDS
    expired = good_login(DEMO.username)
    handler_clock.now = time.time()
    current = good_login(DEMO.username)
    assert (expired.status, current.status) == (200, 200)

    assert joins(livekit.url, public_channel_token(current.body))
    assert not joins(livekit.url, public_channel_token(expired.body))


def issuer(token: str) -> str:
    return jwt.decode(token, options={"verify_signature": False})["iss"]


def test_a_key_rotation_as_deploy_md_describes_it(livekit_server_factory):
    old_pair = {fake_aws.DEV_API_KEY: fake_aws.DEV_API_SECRET}
    new_pair = {NEW_CREDENTIALS.api_key: NEW_CREDENTIALS.api_secret}
    # Step 1: the new pair is added to the server's `keys:` map beside the old one.
    server = livekit_server_factory(old_pair | new_pair)
    # SecretMaxAgeSeconds=0: step 3's wait is none.
    stack = lk.start_stack(server, LIVEKIT_SECRET_MAX_AGE_SECONDS="0")
    try:
        before = public_channel_token(lk.login(stack, DEMO.username, DEMO_PASSWORD))
        # Step 2: one write of the credentials parameter (put-parameter --overwrite) with the new pair.
        fake_aws.local_client("ssm", stack.emulator_url).put_parameter(
            Name=fake_aws.LOCAL_STACK_SETTINGS["LIVEKIT_CREDENTIALS_PARAMETER"],
            Value=NEW_CREDENTIALS.parameter_value(),
            Type="SecureString",
            Overwrite=True,
        )
        # Step 3: from now on every new token is signed with the new pair.
        after = public_channel_token(lk.login(stack, DEMO.username, DEMO_PASSWORD))
    finally:
        stack.stop()
    assert (issuer(before), issuer(after)) == (fake_aws.DEV_API_KEY, NEW_CREDENTIALS.api_key)
    assert joins(server.url, before), "a token minted before the switch must join while both keys are held"
    assert joins(server.url, after)

    # Step 4: the old key is removed from the `keys:` map and the server restarted with it.
    server.stop()
    restarted = livekit_server_factory(new_pair, ports=server.ports)
    assert not joins(restarted.url, before)
    assert joins(restarted.url, after)
