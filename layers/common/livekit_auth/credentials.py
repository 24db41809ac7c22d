"""The LiveKit API key and secret: from SSM Parameter Store when deployed, from the environment locally.

One GetParameters call fetches and decrypts both; Powertools caches them for `max_age` seconds,
so a warm container makes no SSM call and a rotated secret takes effect within that time.
"""

from __future__ import annotations

from aws_lambda_powertools.utilities.parameters import SSMProvider

from livekit_auth.aws import CLIENT_CONFIG
from livekit_auth.config import MIN_SECRET_BYTES, Settings
from livekit_auth.errors import ConfigurationError
from livekit_auth.tokens import LiveKitCredentials

# Module level: the client and its cache live as long as the container. Only the function imports
# this module; the credentials' type lives in livekit_auth.tokens, so nothing else builds this client.
ssm_provider = SSMProvider(boto_config=CLIENT_CONFIG)


def livekit_credentials(settings: Settings) -> LiveKitCredentials:
    if settings.credentials_from_ssm:
        values = ssm_provider.get_parameters_by_name(
            parameters={settings.api_key_parameter: {}, settings.api_secret_parameter: {}},
            decrypt=True,
            max_age=settings.secret_max_age_seconds,
            raise_on_error=True,
        )
        api_key, api_secret = values[settings.api_key_parameter], values[settings.api_secret_parameter]
    else:
        api_key, api_secret = settings.api_key, settings.api_secret
    if not api_key or not api_secret:
        raise ConfigurationError("the LiveKit API key or secret is not configured")
    if not settings.local_mode and len(str(api_secret).encode("utf-8")) < MIN_SECRET_BYTES:
        raise ConfigurationError(f"the LiveKit API secret is shorter than {MIN_SECRET_BYTES} bytes")
    return LiveKitCredentials(api_key=str(api_key), api_secret=str(api_secret))
