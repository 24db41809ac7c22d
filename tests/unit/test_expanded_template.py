"""What CloudFormation would deploy: template.yaml expanded by the pinned samtranslator (tests/expanded_template.py)."""

import pytest

from tests.support.expanded_template import (
    deployed_properties,
    expanded,
    of_type,
    resources_deployed,
)
from tools.ci.cfn_template import (
    TABLE_ENV,
    api_routes,
    function_environment,
    function_properties,
    load_template,
    local_only_variables,
    resources_of_type,
)
from tools.ci.rehearsal_deploy import deploy_settings, parameter_overrides

WAF_ON = {"EnableWaf": "true"}
SNAPSTART_ON = {"EnableSnapStart": "true"}


def the_stage(resources: dict) -> tuple[str, dict]:
    stages = of_type(resources, "AWS::ApiGateway::Stage")
    assert len(stages) == 1, f"one stage, not {sorted(stages)}"
    return next(iter(stages.items()))


@pytest.mark.parametrize("overrides", [{}, WAF_ON], ids=["waf-off", "waf-on"])
def test_the_api_has_exactly_one_stage_and_no_deployment_makes_another(overrides):
    resources = resources_deployed(**overrides)
    _, stage = the_stage(resources)
    assert stage["Properties"]["StageName"] == "v1"
    deployments = of_type(resources, "AWS::ApiGateway::Deployment")
    assert deployments, "the stage needs a deployment"
    staged = {
        logical_id: d["Properties"]["StageName"]
        for logical_id, d in deployments.items()
        if "StageName" in d["Properties"]
    }
    assert not staged, "a Deployment with a StageName creates a stage without v1's protections"


def test_the_one_stage_is_throttled_access_logged_and_traced():
    _, stage = the_stage(resources_deployed())
    properties = stage["Properties"]
    assert properties["MethodSettings"] == [
        {
            "ResourcePath": "/*",
            "HttpMethod": "*",
            "ThrottlingRateLimit": {"Ref": "ThrottleRateLimit"},
            "ThrottlingBurstLimit": {"Ref": "ThrottleBurstLimit"},
            "MetricsEnabled": True,
        }
    ]
    assert properties["AccessLogSetting"]["DestinationArn"] == {"Fn::GetAtt": "AuthApiAccessLogGroup.Arn"}
    assert properties["TracingEnabled"] is True


def test_with_waf_enabled_the_web_acl_guards_the_one_stage():
    resources = resources_deployed(**WAF_ON)
    stage_id, _ = the_stage(resources)
    (association,) = of_type(resources, "AWS::WAFv2::WebACLAssociation").values()
    arn = association["Properties"]["ResourceArn"]["Fn::Sub"]
    assert arn.endswith(f"::/restapis/${{AuthApi}}/stages/${{{stage_id}}}"), arn
    assert association["Properties"]["WebACLArn"] == {"Fn::GetAtt": "AuthApiWebAcl.Arn"}
    assert not of_type(resources_deployed(), "AWS::WAFv2::WebACLAssociation"), "EnableWaf=false attaches none"


def test_lambda_permissions_allow_only_this_api_and_the_routed_method_and_path():
    """SAM 1.115's Api event always writes `__Stage__: "*"` (ApiEventSource._get_permissions sets
    permitted_stage = "*"), and a permission of our own cannot replace it (duplicate logical ids are refused).
    With one stage on the API, "*" reaches only v1; the permissions must still name this API and route."""
    permissions = of_type(resources_deployed(), "AWS::Lambda::Permission")
    routed = set()
    for permission in permissions.values():
        properties = permission["Properties"]
        assert properties["Principal"] == "apigateway.amazonaws.com"
        assert properties["FunctionName"] == {"Ref": "AuthClientFunctionAliaslive"}  # the alias the API calls
        arn, values = properties["SourceArn"]["Fn::Sub"]
        assert values["__ApiId__"] == {"Ref": "AuthApi"}
        _, stage, method, path = arn.split(":")[-1].split("/", 3)
        assert stage == "${__Stage__}"
        routed.add((method, "/" + path))
    assert routed == {(method, path) for method, path, _ in api_routes()}
    assert {("POST", "/api/auth/client"), ("OPTIONS", "/api/auth/client")} <= routed  # the guide's route


def test_every_table_is_protected_from_deletion_and_retained():
    resources = expanded()["Resources"]
    tables = of_type(resources, "AWS::DynamoDB::Table")
    assert set(tables) == set(TABLE_ENV)
    for logical_id, table in tables.items():
        assert table["Properties"].get("DeletionProtectionEnabled") is True, logical_id
        assert table["DeletionPolicy"] == "Retain", logical_id
        assert table["UpdateReplacePolicy"] == "Retain", logical_id


# ---- alarms on refused and locked logins ------------------------------------------------------------


@pytest.mark.parametrize(
    ("alarm_id", "metric", "threshold_parameter"),
    [
        ("LoginLockedSpikeAlarm", "LoginLocked", "LoginLockedAlarmThreshold"),
        ("LoginRefusedSpikeAlarm", "LoginRefused", "LoginRefusedAlarmThreshold"),
    ],
)
def test_a_spike_of_locked_or_refused_logins_raises_an_alarm_at_a_parameter_threshold(
    alarm_id, metric, threshold_parameter
):
    resources = expanded()["Resources"]
    alarm = resources[alarm_id]["Properties"]
    server_errors = resources["HandledServerErrorsAlarm"]["Properties"]
    environment = function_environment()
    assert (alarm["Namespace"], alarm["MetricName"]) == (environment["POWERTOOLS_METRICS_NAMESPACE"], metric)
    assert alarm["Dimensions"] == [{"Name": "service", "Value": environment["POWERTOOLS_SERVICE_NAME"]}]
    assert all(
        query["MetricStat"]["Metric"]["Dimensions"] == alarm["Dimensions"] for query in server_errors["Metrics"][1:]
    )
    assert alarm["Statistic"] == "Sum"
    assert alarm["Threshold"] == {"Ref": threshold_parameter}
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert alarm["TreatMissingData"] == "notBreaching"
    assert alarm["AlarmActions"] == server_errors["AlarmActions"]
    parameter = load_template()["Parameters"][threshold_parameter]
    assert parameter["Type"] == "Number"
    assert int(parameter["Default"]) >= int(parameter["MinValue"]) >= 1


@pytest.mark.parametrize("overrides", [{}, WAF_ON, SNAPSTART_ON], ids=["waf-off", "waf-on", "snapstart-on"])
def test_sam_adds_only_the_role_the_deployment_the_stage_and_one_permission_per_route(overrides):
    """Everything CloudFormation gets is either written in template.yaml or one of the few resources SAM
    derives from it; a SAM upgrade or a template change that adds anything else fails here. SnapStart on or
    off, the same resources: the parameter changes only what the function's SnapStart applies to."""
    declared = {
        logical_id
        for logical_id, resource in load_template()["Resources"].items()
        if not resource["Type"].startswith("AWS::Serverless::")
    }
    added = {
        logical_id: resource["Type"]
        for logical_id, resource in resources_deployed(**overrides).items()
        if logical_id not in declared
    }
    kinds = sorted(added.values())
    assert kinds.count("AWS::Lambda::Function") == 1
    assert kinds.count("AWS::Lambda::LayerVersion") == 1
    assert kinds.count("AWS::IAM::Role") == 1
    assert kinds.count("AWS::ApiGateway::RestApi") == 1
    assert kinds.count("AWS::ApiGateway::Deployment") == 1
    assert kinds.count("AWS::ApiGateway::Stage") == 1
    assert kinds.count("AWS::Lambda::Version") == 1  # AutoPublishAlias: one version per deploy
    assert kinds.count("AWS::Lambda::Alias") == 1
    assert kinds.count("AWS::Lambda::Permission") == len(api_routes())
    assert len(kinds) == 8 + len(api_routes()), sorted(added.items())


def test_the_functions_role_adds_only_logs_and_tracing_to_the_templates_own_statements():
    resources = resources_deployed()
    (role,) = [
        resource
        for logical_id, resource in resources.items()
        if resource["Type"] == "AWS::IAM::Role" and logical_id.startswith("AuthClientFunction")
    ]
    properties = role["Properties"]
    assert sorted(properties["ManagedPolicyArns"]) == [
        "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess",
        "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    ]
    (trust,) = properties["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": ["lambda.amazonaws.com"]}
    written = load_template()["Resources"]["AuthClientFunction"]["Properties"]["Policies"][0]["Statement"]
    deployed = [statement for policy in properties["Policies"] for statement in policy["PolicyDocument"]["Statement"]]
    assert [statement["Sid"] for statement in deployed] == [statement["Sid"] for statement in written]


def test_the_deployed_function_keeps_its_layer_tracing_architecture_log_group_and_alarms():
    """What moto cannot show in the deploy rehearsal, checked where CloudFormation receives it."""
    resources = expanded()["Resources"]
    function = resources["AuthClientFunction"]["Properties"]
    declared = function_properties()
    (layer,) = function["Layers"]
    assert resources[layer["Ref"]]["Type"] == "AWS::Lambda::LayerVersion"
    assert function["TracingConfig"] == {"Mode": declared["Tracing"]}
    assert function["Architectures"] == declared["Architectures"]
    assert function["LoggingConfig"]["LogGroup"] == {"Ref": "AuthClientFunctionLogGroup"}
    alarms = sorted(name for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm")
    assert alarms == resources_of_type("AWS::CloudWatch::Alarm")


SAMCONFIG_ENVIRONMENTS = ("default", "staging", "prod")
LOCAL_ONLY = {"AWS_ENDPOINT_URL", "LOCAL_MODE"}


@pytest.mark.parametrize("config_env", SAMCONFIG_ENVIRONMENTS)
def test_a_deployed_function_has_no_endpoint_override_no_local_mode_and_its_own_timeout(config_env):
    """The local-only parameter LocalEndpointUrl (sam local) stays empty in every samconfig environment, so the
    deployed function can neither be pointed elsewhere nor relax a check, and keeps the deployed timeout."""
    overrides = parameter_overrides(deploy_settings(config_env))
    assert "LocalEndpointUrl" not in overrides
    function = deployed_properties("AuthClientFunction", **overrides)

    assert not LOCAL_ONLY & set(function["Environment"]["Variables"])
    assert function["Timeout"] == function_properties()["Timeout"] == 20


def test_only_the_local_parameter_gives_the_function_the_emulators_endpoint_local_mode_and_a_longer_timeout():
    function = deployed_properties("AuthClientFunction", LocalEndpointUrl="http://172.17.0.1:5000")

    variables = function["Environment"]["Variables"]
    assert {name: variables[name] for name in LOCAL_ONLY} == {
        "AWS_ENDPOINT_URL": {"Ref": "LocalEndpointUrl"},
        "LOCAL_MODE": "true",
    }
    assert set(local_only_variables()) == LOCAL_ONLY
    assert function["Timeout"] > function_properties()["Timeout"]


# ---- SnapStart -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("overrides", "applies_on"), [({}, "None"), (SNAPSTART_ON, "PublishedVersions")])
def test_snapstart_is_off_by_default_and_applies_to_published_versions_when_on(overrides, applies_on):
    function = deployed_properties("AuthClientFunction", **overrides)
    assert function["SnapStart"]["ApplyOn"] == applies_on
    assert function["Runtime"] >= "python3.12"  # SnapStart for Python starts at 3.12
    assert load_template()["Parameters"]["EnableSnapStart"]["Default"] == "false"
    assert set(resources_deployed(**overrides)) == set(resources_deployed()), "SnapStart adds or removes nothing"


def test_with_snapstart_on_the_api_calls_the_alias_of_the_published_version():
    resources = resources_deployed(**SNAPSTART_ON)
    (version_id, version) = next(iter(of_type(resources, "AWS::Lambda::Version").items()))
    (alias_id, alias) = next(iter(of_type(resources, "AWS::Lambda::Alias").items()))
    assert version["Properties"]["FunctionName"] == {"Ref": "AuthClientFunction"}
    assert alias["Properties"]["FunctionName"] == {"Ref": "AuthClientFunction"}
    assert alias["Properties"]["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
    integrations = [
        operation["x-amazon-apigateway-integration"]
        for path in resources["AuthApi"]["Properties"]["Body"]["paths"].values()
        for operation in path.values()
    ]
    assert len(integrations) == len(api_routes())
    for integration in integrations:
        uri = integration["uri"]["Fn::Sub"]
        assert (
            uri == f"arn:aws:apigateway:${{AWS::Region}}:lambda:path/2015-03-31/functions/${{{alias_id}}}/invocations"
        )
    permissions = of_type(resources, "AWS::Lambda::Permission").values()
    assert {p["Properties"]["FunctionName"]["Ref"] for p in permissions} == {alias_id}
