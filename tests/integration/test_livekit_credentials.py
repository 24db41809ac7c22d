"""The LiveKit key and secret from one SecureString (LIVEKIT_CREDENTIALS_PARAMETER, JSON), read in one
call so a rotation can never pair a new key with an old secret; stacks that name the two older
parameters keep working."""

from __future__ import annotations

import json
from collections.abc import Iterator

import boto3
import jwt
import pytest
from livekit.api import TokenVerifier

from livekit_auth import credentials, messages
from livekit_auth.config import load_settings
from livekit_auth.tokens import LiveKitCredentials
from tests.support.sessions import fetch_token
from tools.ci.cfn_template import load_template
from tools.local import fake_aws
from tools.local import stack as local_stack
from tools.local.demo_data import DEMO
from tools.local.fake_aws import API_KEY, API_SECRET, CREDENTIALS_PARAMETER

ROTATED = LiveKitCredentials("APIrotatedKey", "rotated-secret-that-is-at-least-32-bytes")


@pytest.fixture
def ssm_requests() -> Iterator[list[dict]]:
    """The parameters of every call the function's SSM client makes, with the operation's name."""
    requests: list[dict] = []

    def record(model, params, **_):
        requests.append({"operation": model.name, **params})

    events = credentials.ssm_provider.client.meta.events
    events.register("provide-client-params.ssm.*", record)
    yield requests
    events.unregister("provide-client-params.ssm.*", record)


def signed_with(answer, pair: LiveKitCredentials) -> bool:
    verifier = TokenVerifier(pair.api_key, pair.api_secret)
    return all(verifier.verify(entry["token"]).identity for entry in answer.body["tokens"].values())


def put(value: str) -> None:
    boto3.client("ssm").put_parameter(Name=CREDENTIALS_PARAMETER, Value=value, Type="SecureString", Overwrite=True)


def test_one_parameter_gives_key_and_secret_in_one_call(good_login, ssm_requests):
    answer = good_login(DEMO.username)
    assert answer.status == 200
    assert signed_with(answer, LiveKitCredentials(API_KEY, API_SECRET))
    assert ssm_requests == [{"operation": "GetParameters", "Names": [CREDENTIALS_PARAMETER], "WithDecryption": True}]


def test_a_rotation_is_one_write_and_the_next_read_has_both_halves(good_login, monkeypatch):
    monkeypatch.setenv("LIVEKIT_SECRET_MAX_AGE_SECONDS", "0")
    assert signed_with(good_login(DEMO.username), LiveKitCredentials(API_KEY, API_SECRET))
    put(ROTATED.parameter_value())
    assert signed_with(good_login(DEMO.username), ROTATED)


def test_older_stacks_naming_two_parameters_keep_working(good_login, monkeypatch, ssm_requests):
    monkeypatch.delenv("LIVEKIT_CREDENTIALS_PARAMETER")
    for name, value in fake_aws.legacy_credentials_environment(boto3.client("ssm")).items():
        monkeypatch.setenv(name, value)
    boto3.client("ssm").delete_parameter(Name=CREDENTIALS_PARAMETER)

    answer = good_login(DEMO.username)

    assert answer.status == 200
    assert signed_with(answer, LiveKitCredentials(API_KEY, API_SECRET))
    assert [request["Names"] for request in ssm_requests] == [
        [fake_aws.API_KEY_PARAMETER, fake_aws.API_SECRET_PARAMETER]
    ]


def test_with_both_forms_named_only_the_one_parameter_is_read(good_login, monkeypatch, ssm_requests):
    for name, value in fake_aws.legacy_credentials_environment(boto3.client("ssm")).items():
        monkeypatch.setenv(name, value)
    boto3.client("ssm").delete_parameter(Name=fake_aws.API_SECRET_PARAMETER)  # would fail the login if read
    assert good_login(DEMO.username).status == 200
    assert [request["Names"] for request in ssm_requests] == [[CREDENTIALS_PARAMETER]]


MALFORMED = {
    "not-json": "APIkey:" + "s" * 40,
    "a-list": '["APIkey", "' + "s" * 40 + '"]',
    "no-secret": '{"api_key": "APIkey"}',
    "extra-field": '{"api_key": "APIkey", "api_secret": "' + "s" * 40 + '", "other": 1}',
    "secret-not-a-string": '{"api_key": "APIkey", "api_secret": 12345678901234567890123456789012345}',
    "empty-key": '{"api_key": "", "api_secret": "' + "s" * 40 + '"}',
}


@pytest.mark.parametrize("value", MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_value_is_a_500_that_never_shows_it(good_login, capsys, value):
    put(value)
    capsys.readouterr()
    answer = good_login(DEMO.username)
    out, err = capsys.readouterr()
    assert (answer.status, answer.body["error"]) == (500, messages.SERVER_ERROR)
    assert "s" * 40 not in out + err + str(answer.body)
    assert "12345678901234567890" not in out + err


def test_the_parameter_holds_exactly_the_json_the_docs_show():
    assert LiveKitCredentials("k", "s").parameter_value() == '{"api_key": "k", "api_secret": "s"}'
    assert LiveKitCredentials.from_parameter_document({"api_key": "k", "api_secret": "s"}) == LiveKitCredentials(
        "k", "s"
    )


def test_the_stack_parameter_feeds_the_variable_and_is_empty_by_default():
    template = load_template()
    variables = template["Resources"]["AuthClientFunction"]["Properties"]["Environment"]["Variables"]
    assert variables["LIVEKIT_CREDENTIALS_PARAMETER"] == {"Ref": "LiveKitCredentialsParameterName"}
    assert template["Parameters"]["LiveKitCredentialsParameterName"]["Default"] == ""
    assert load_settings({}).credentials_parameter == ""


def test_the_local_stack_and_the_emulated_function_use_the_one_parameter():
    assert local_stack.function_settings(fake_aws.local_table_names(), {})["LIVEKIT_CREDENTIALS_PARAMETER"]
    environment = fake_aws.function_environment(fake_aws.local_table_names())
    assert environment["LIVEKIT_CREDENTIALS_PARAMETER"] == CREDENTIALS_PARAMETER


# ---- a key per server (the map shape) -----------------------------------------------------------------


def test_with_a_key_per_server_the_requests_server_url_selects_the_signing_key(good_login, livekit_servers):
    first, second = livekit_servers.first, livekit_servers.second
    assert signed_with(good_login(DEMO.username), first.pair)  # no server_url: LIVEKIT_SERVER_URL's key
    assert signed_with(good_login(DEMO.username, server_url=second.url), second.pair)
    with pytest.raises(jwt.InvalidSignatureError):  # the first server would refuse it
        signed_with(good_login(DEMO.username, server_url=second.url), first.pair)


def test_the_token_endpoint_signs_with_the_key_of_the_sessions_server(good_login, livekit_servers):
    second = livekit_servers.second
    session = good_login(DEMO.username, session=True, server_url=second.url).body["session"]["token"]
    answer = fetch_token(session)
    assert answer.status == 201
    assert answer.body["server_url"] == second.url
    assert TokenVerifier(second.pair.api_key, second.pair.api_secret).verify(answer.body["participant_token"]).identity


def test_rotating_one_servers_key_leaves_the_others_alone(good_login, livekit_servers, monkeypatch):
    monkeypatch.setenv("LIVEKIT_SECRET_MAX_AGE_SECONDS", "0")
    first, second = livekit_servers.first, livekit_servers.second
    put(
        json.dumps(
            {
                first.url: {"api_key": first.pair.api_key, "api_secret": first.pair.api_secret},
                second.url: {"api_key": ROTATED.api_key, "api_secret": ROTATED.api_secret},
            }
        )
    )
    assert signed_with(good_login(DEMO.username), first.pair)
    assert signed_with(good_login(DEMO.username, server_url=second.url), ROTATED)


def test_a_map_without_the_default_server_is_a_500_that_names_no_secret(good_login, livekit_servers, capsys):
    second = livekit_servers.second
    put(json.dumps({second.url: {"api_key": second.pair.api_key, "api_secret": second.pair.api_secret}}))
    capsys.readouterr()
    answer = good_login(DEMO.username)
    out, err = capsys.readouterr()
    assert answer.status == 500
    assert second.pair.api_secret not in out + err
