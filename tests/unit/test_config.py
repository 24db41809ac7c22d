import pytest

from livekit_auth.config import allowed_origins, load_settings
from livekit_auth.errors import ConfigurationError


def test_defaults():
    settings = load_settings({"LIVEKIT_SERVER_URL": "wss://lk.example"})
    assert settings.token_ttl_seconds == 6 * 3600
    assert settings.bcrypt_rounds == 12
    assert settings.allowed_origins == ("*",)
    assert settings.lockout_threshold == 5
    assert settings.lockout_max_seconds == 900
    assert settings.secret_max_age_seconds == 300
    assert settings.local_mode is False


def test_the_guide_variable_names_work_for_local_use():
    settings = load_settings(
        {
            "LIVEKIT_SERVER_URL": "ws://localhost:7880",
            "LIVEKIT_SERVER_API_KEY": "devkey",
            "LIVEKIT_SERVER_API_SECRET": "secret",
        }
    )
    assert (settings.livekit_url, settings.api_key, settings.api_secret) == ("ws://localhost:7880", "devkey", "secret")
    assert settings.credentials_from_ssm is False


def test_livekit_host_is_accepted_as_the_older_name():
    assert load_settings({"LIVEKIT_HOST": "wss://old.example"}).livekit_url == "wss://old.example"
    both = {"LIVEKIT_HOST": "wss://old.example", "LIVEKIT_SERVER_URL": "wss://new.example"}
    assert load_settings(both).livekit_url == "wss://new.example"


@pytest.mark.parametrize(
    ("name", "value"),
    [("BCRYPT_ROUNDS", "3"), ("BCRYPT_ROUNDS", "twelve"), ("TOKEN_TTL_SECONDS", "0"), ("LOCKOUT_THRESHOLD", "1")],
)
def test_bad_numbers_are_configuration_errors_naming_the_variable(name, value):
    with pytest.raises(ConfigurationError, match=name):
        load_settings({name: value})


def test_allowed_origins_are_a_trimmed_comma_separated_list():
    assert allowed_origins({"ALLOWED_ORIGINS": " https://a.example/ , https://b.example,"}) == (
        "https://a.example",
        "https://b.example",
    )
    assert allowed_origins({"ALLOWED_ORIGINS": ""}) == ("*",)
