"""The LiveKit API key and secret: from SSM Parameter Store when deployed, from the environment locally.

Deployed, they come from one SecureString holding both (LIVEKIT_CREDENTIALS_PARAMETER), so a
rotation is one write and no container can read a new key beside an old secret; stacks that still
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
from livekit_auth.tokens import LiveKitCredentials

# Module level: the client and its cache live as long as the container. Only the function imports
# this module; the credentials' type lives in livekit_auth.tokens, so nothing else builds this client.
ssm_provider = SSMProvider(boto_config=CLIENT_CONFIG)


def livekit_credentials(settings: Settings) -> LiveKitCredentials:
    if settings.credentials_parameter:
        credentials = _from_one_parameter(settings)
    elif settings.credentials_from_ssm:
        values = _get_parameters(settings, {settings.api_key_parameter: {}, settings.api_secret_parameter: {}})
        credentials = LiveKitCredentials(
            api_key=str(values[settings.api_key_parameter]), api_secret=str(values[settings.api_secret_parameter])
        )
    else:
        credentials = LiveKitCredentials(api_key=settings.api_key, api_secret=settings.api_secret)
    if not credentials.api_key or not credentials.api_secret:
        raise ConfigurationError("the LiveKit API key or secret is not configured")
    if not settings.local_mode and len(credentials.api_secret.encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"the LiveKit API secret is shorter than {MIN_SECRET_BYTES} bytes")
    return credentials


def _from_one_parameter(settings: Settings) -> LiveKitCredentials:
    name = settings.credentials_parameter
    try:
        document = _get_parameters(settings, {name: {"transform": "json"}})[name]
    except TransformParameterError:  # its message may quote the value: not passed on
        raise ConfigurationError(f"SSM parameter {name}: the value is not JSON") from None
    try:
        return LiveKitCredentials.from_parameter_document(document)
    except ValueError as error:  # says what is wrong, never quotes the value
        raise ConfigurationError(f"SSM parameter {name}: {error}") from None


def _get_parameters(settings: Settings, parameters: dict[str, dict]) -> dict[str, object]:
    return ssm_provider.get_parameters_by_name(
        parameters=parameters, decrypt=True, max_age=settings.secret_max_age_seconds, raise_on_error=True
    )
