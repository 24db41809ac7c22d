import pytest

from livekit_auth import config
from livekit_auth.config import INT_SETTINGS, IntSetting, allowed_origins, load_settings, require_function_settings
from livekit_auth.errors import ConfigurationError
from tools.ci.cfn_template import LOCAL_CONDITION, TABLE_ENV, function_environment, load_template

TEMPLATE = load_template()


@pytest.mark.parametrize("setting", INT_SETTINGS, ids=lambda setting: setting.variable)
def test_each_setting_has_the_templates_default_and_range(setting: IntSetting):
    """config.py is the home of these numbers; the template's parameter must say the same."""
    parameter = TEMPLATE["Parameters"][setting.parameter]
    assert (int(parameter["Default"]), parameter["MinValue"], parameter["MaxValue"]) == (
        setting.default,
        setting.low,
        setting.high,
    )


@pytest.mark.parametrize("setting", INT_SETTINGS, ids=lambda setting: setting.variable)
def test_each_setting_reaches_the_function_from_its_parameter(setting: IntSetting):
    variables = TEMPLATE["Resources"]["AuthClientFunction"]["Properties"]["Environment"]["Variables"]
    assert variables[setting.variable] == {"Ref": setting.parameter}


def test_the_template_turns_local_mode_on_only_under_sam_local():
    """Only the local-only condition sets it (tests/unit/test_expanded_template.py: a deploy has none)."""
    variables = TEMPLATE["Resources"]["AuthClientFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["LOCAL_MODE"] == {"Fn::If": [LOCAL_CONDITION, "true", {"Ref": "AWS::NoValue"}]}
    assert "LOCAL_MODE" not in function_environment()


@pytest.mark.parametrize("setting", INT_SETTINGS, ids=lambda setting: setting.variable)
def test_each_setting_refuses_values_just_outside_its_range(setting: IntSetting):
    for value in (setting.low - 1, setting.high + 1):
        with pytest.raises(ConfigurationError, match=setting.variable):
            load_settings({setting.variable: str(value)})


def test_local_mode_admits_cheap_bcrypt_costs_that_a_deployment_refuses():
    cheap = str(config.LOCAL_MIN_BCRYPT_ROUNDS)
    assert config.bcrypt_rounds({"BCRYPT_ROUNDS": cheap, "LOCAL_MODE": "true"}) == config.LOCAL_MIN_BCRYPT_ROUNDS
    with pytest.raises(ConfigurationError, match="BCRYPT_ROUNDS"):
        config.bcrypt_rounds({"BCRYPT_ROUNDS": cheap})


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


@pytest.mark.parametrize("missing", ["USERS_TABLE", "CHANNELS_TABLE", "ATTEMPTS_TABLE", "SESSIONS_TABLE"])
def test_the_function_refuses_to_start_without_any_of_its_tables(missing):
    """Every table the template gives the function: a missing one is a 500 on every route, not a late surprise."""
    env = {name: "a-table" for name in TABLE_ENV.values()} | {"LIVEKIT_SERVER_URL": "wss://lk.example"}
    with pytest.raises(ConfigurationError, match=missing):
        require_function_settings(load_settings(env | {missing: ""}))


def test_allowed_origins_default_is_the_templates():
    assert allowed_origins({}) == (TEMPLATE["Parameters"]["AllowedOrigins"]["Default"],)
