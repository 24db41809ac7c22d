"""What template.yaml promises: least privilege, durable tables, the runtime, the outputs."""

from livekit_auth import aws
from livekit_auth.storage.attempts import HOLD_SECONDS
from tools.ci import cfn_template
from tools.ci.cfn_template import load_template, table_specs
from tools.local import fake_aws

RESOURCES = load_template()["Resources"]
FUNCTION = RESOURCES["AuthClientFunction"]


def statements() -> dict[str, dict]:
    policy = FUNCTION["Properties"]["Policies"][0]
    return {statement["Sid"]: statement for statement in policy["Statement"]}


def as_list(value):
    return value if isinstance(value, list) else [value]


def test_function_runs_python_313_on_arm64_and_builds_without_containers():
    globals_ = load_template()["Globals"]["Function"]
    assert globals_["Runtime"] == "python3.13"
    assert globals_["Architectures"] == ["arm64"]
    assert FUNCTION["Metadata"]["BuildMethod"] == "makefile"
    assert RESOURCES["CommonLayer"]["Metadata"]["BuildMethod"] == "makefile"


def test_dynamodb_permissions_are_exactly_what_a_login_needs_on_exactly_these_tables():
    granted = {
        (action, resource.get("Fn::GetAtt") or resource["Fn::Sub"])
        for statement in statements().values()
        for action in as_list(statement["Action"])
        if action.startswith("dynamodb:")
        for resource in as_list(statement["Resource"])
    }
    assert granted == {
        ("dynamodb:GetItem", "UsersTable.Arn"),
        ("dynamodb:UpdateItem", "UsersTable.Arn"),  # upgrade on login (tests/unit/test_password_upgrade_iam.py)
        ("dynamodb:Query", "ChannelsTable.Arn"),
        ("dynamodb:UpdateItem", "AttemptsTable.Arn"),
        ("dynamodb:DeleteItem", "AttemptsTable.Arn"),
        # sessions (tests/integration/test_session_call_budget.py says which call needs which)
        ("dynamodb:BatchGetItem", "SessionsTable.Arn"),
        ("dynamodb:PutItem", "SessionsTable.Arn"),
        ("dynamodb:UpdateItem", "SessionsTable.Arn"),
        ("dynamodb:DeleteItem", "SessionsTable.Arn"),
        # the LiveKit webhook: is the joined device's session live (livekit_auth.revocation.JoinCheck)
        ("dynamodb:Query", "${SessionsTable.Arn}/index/ByUser"),
    }


def test_ssm_permission_is_get_parameters_on_exactly_the_parameters_the_function_reads():
    """The one with both when LiveKitCredentialsParameterName is set, else the two older ones."""
    statement = statements()["ReadLiveKitCredentials"]
    assert statement["Action"] == "ssm:GetParameters"
    condition, when_set, when_empty = statement["Resource"]["Fn::If"]
    assert load_template()["Conditions"][condition] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "LiveKitCredentialsParameterName"}, ""]}]
    }
    parameters = [
        [resource["Fn::Sub"].rsplit("parameter", 1)[1] for resource in branch] for branch in (when_set, when_empty)
    ]
    assert parameters == [
        ["${LiveKitCredentialsParameterName}"],
        ["${LiveKitApiKeyParameterName}", "${LiveKitApiSecretParameterName}"],
    ]


def test_tables_are_on_demand_encrypted_recoverable_and_retained():
    for spec in table_specs():
        resource = RESOURCES[spec.logical_id]
        assert resource["DeletionPolicy"] == "Retain", spec.logical_id
        assert resource["UpdateReplacePolicy"] == "Retain", spec.logical_id
        assert spec.properties["BillingMode"] == "PAY_PER_REQUEST"
        assert spec.properties["SSESpecification"]["SSEEnabled"] is True
        assert spec.point_in_time_recovery


def test_attempt_counters_expire_through_ttl():
    attempts = next(spec for spec in table_specs() if spec.logical_id == "AttemptsTable")
    assert attempts.ttl_attribute == "expires_at"


def test_outputs_name_the_api_url_the_tables_and_the_function():
    outputs = load_template()["Outputs"]
    assert {"ApiUrl", "UsersTableName", "ChannelsTableName", "AttemptsTableName", "FunctionName"} <= set(outputs)
    assert outputs["ApiUrl"]["Value"]["Fn::Sub"].endswith("/api/auth/client/")


def test_the_slowest_login_still_answers_inside_the_function_timeout():
    bcrypt_allowance_seconds = 1.5  # cost 12 at one vCPU is ~0.25 s; leave room for cost 13
    worst = aws.WORST_CASE_CALL_SECONDS * aws.SEQUENTIAL_CALLS_PER_LOGIN + bcrypt_allowance_seconds
    assert worst < cfn_template.function_properties()["Timeout"]


def test_both_login_methods_are_routed_to_the_function():
    events = FUNCTION["Properties"]["Events"].values()
    assert {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in events} == {
        ("POST", "/api/auth/client"),
        ("OPTIONS", "/api/auth/client"),
        *((method, f"/api/auth/{route}") for route in ("token", "refresh", "logout") for method in ("POST", "OPTIONS")),
        ("POST", "/api/livekit/webhook"),
        ("OPTIONS", "/api/livekit/webhook"),  # every route answers its preflight (livekit_auth.routes)
    }


def test_a_held_account_outlasts_any_attempt_that_holds_it():
    """The hold must not run out while its attempt can still be running."""
    assert cfn_template.function_properties()["Timeout"] < HOLD_SECONDS


def test_every_variable_the_template_gives_the_function_reaches_the_tests_and_make_run():
    """The emulated runs derive the function's environment from the template: a new variable needs no second edit."""
    declared = set(cfn_template.function_environment())
    derived = fake_aws.function_environment(fake_aws.local_table_names())
    assert declared <= set(derived)
