"""The LiveKit API keys and secrets: from SSM Parameter Store when deployed, from the environment locally.

Deployed, they come from one SecureString (LIVEKIT_CREDENTIALS_PARAMETER): one pair, or a map from
server URL to each server's pair (livekit_auth.server_keys), so a rotation is one write and no
container can read a new key beside an old secret; stacks that still
name two parameters (LIVEKIT_API_KEY_PARAMETER, LIVEKIT_API_SECRET_PARAMETER) keep working. Either
way one GetParameters call fetches and decrypts them; Powertools caches them for `max_age` seconds,
so a warm container makes no SSM call and a rotated secret takes effect within that time.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SSMProvider
from aws_lambda_powertools.utilities.parameters.exceptions import TransformParameterError

from livekit_auth.aws import CLIENT_CONFIG
from livekit_auth.config import MIN_SECRET_BYTES, Settings
from livekit_auth.errors import ConfigurationError
from livekit_auth.server_keys import ServerKeys
from livekit_auth.tokens import LiveKitCredentials

# Module level: the client and its cache live as long as the container. Only the function imports
# this module; the credentials' type lives in livekit_auth.tokens, so nothing else builds this client.
ssm_provider = SSMProvider(boto_config=CLIENT_CONFIG)


def server_keys(settings: Settings, provider: SSMProvider | None = None) -> ServerKeys:
    """Every configured server's pair; ConfigurationError (never quoting a value) when missing or malformed.
    `provider`: another SSM client's (authctl's); the function's own by default."""
    provider = provider or ssm_provider
    if settings.credentials_parameter:
        return _from_one_parameter(settings, provider)
    if settings.credentials_from_ssm:
        values = _get_parameters(
            provider, settings, {settings.api_key_parameter: {}, settings.api_secret_parameter: {}}
        )
        pair = LiveKitCredentials(
            api_key=str(values[settings.api_key_parameter]), api_secret=str(values[settings.api_secret_parameter])
        )
    else:
        pair = LiveKitCredentials(api_key=settings.api_key, api_secret=settings.api_secret)
    if not pair.api_key or not pair.api_secret:
        raise ConfigurationError("the LiveKit API key or secret is not configured")
    return _checked(settings, ServerKeys.one_pair(pair, settings.livekit_url, settings.allowed_server_urls))


def livekit_credentials(settings: Settings) -> LiveKitCredentials:
    """The pair of the default server (LIVEKIT_SERVER_URL)."""
    return server_keys(settings).default


def _from_one_parameter(settings: Settings, provider: SSMProvider) -> ServerKeys:
    name = settings.credentials_parameter
    try:
        document = _get_parameters(provider, settings, {name: {"transform": "json"}})[name]
    except TransformParameterError:  # its message may quote the value: not passed on
        raise ConfigurationError(f"SSM parameter {name}: the value is not JSON") from None
    try:
        keys = ServerKeys.from_parameter_document(document, settings.livekit_url, settings.allowed_server_urls)
    except ValueError as error:  # says what is wrong, never quotes the value
        raise ConfigurationError(f"SSM parameter {name}: {error}") from None
    return _checked(settings, keys)


def _checked(settings: Settings, keys: ServerKeys) -> ServerKeys:
    if not settings.local_mode:
        try:
            keys.check_secrets(MIN_SECRET_BYTES)
        except ValueError as error:
            raise ConfigurationError(str(error)) from None
    return keys


def _get_parameters(provider: SSMProvider, settings: Settings, parameters: dict[str, dict]) -> dict[str, object]:
    return provider.get_parameters_by_name(
        parameters=parameters, decrypt=True, max_age=settings.secret_max_age_seconds, raise_on_error=True
    )
