"""Deploy rehearsal: `sam build` and `sam deploy --config-env default` against an in-process AWS emulator.

Why: without an AWS account this still proves that template.yaml and samconfig.toml deploy as a stack,
that the stack's tables carry the declared keys, index, TTL and point-in-time recovery, that the
function gets the configuration samconfig asks for, and that the function, run with the environment
the stack gave it, logs a user in from the stack's own tables (its tokens checked by LiveKit's verifier).

moto is not CloudFormation. `fill_emulator_gaps` adds what CloudFormation does and moto does not
(the SAM transform, outputs of a created change set, a REST API's OpenAPI body, table TTL and
point-in-time recovery); resource types moto cannot create at all are listed in the report.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import shlex
import socket
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from livekit_auth.tokens import LiveKitCredentials
from tools import REPO_ROOT
from tools.ci import cfn_template
from tools.local import fake_aws

ROOT = REPO_ROOT
SAM = str(Path(sys.executable).parent / "sam")
CONFIG_ENV = "default"
REGION = fake_aws.REGION
ARTIFACT_BUCKET = "livekit-auth-rehearsal-artifacts"
SAM_TRANSFORM = "AWS::Serverless-2016-10-31"

log = logging.getLogger("rehearsal")


class RehearsalFailed(Exception):
    """A deployed resource is not what the template and samconfig declare."""


@dataclass
class Report:
    """What the log ends with: figures, and what moto could not do."""

    started: float = field(default_factory=time.monotonic)
    build_seconds: float = 0.0
    deploy_seconds: float = 0.0
    created: dict[str, str] = field(default_factory=dict)  # logical id -> type
    not_created: dict[str, str] = field(default_factory=dict)  # logical id -> type (moto lacks it)
    skipped_by_condition: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)

    def passed(self, check: str) -> None:
        self.checks.append(check)
        log.info("ok  %s", check)


def deploy_settings(config_env: str = CONFIG_ENV) -> dict[str, Any]:
    """samconfig.toml's deploy parameters for one environment."""
    with (ROOT / "samconfig.toml").open("rb") as handle:
        return tomllib.load(handle)[config_env]["deploy"]["parameters"]


def parameter_overrides(settings: dict[str, Any]) -> dict[str, str]:
    raw = settings.get("parameter_overrides", [])
    items = raw if isinstance(raw, list) else raw.split()
    return dict(item.split("=", 1) for item in items)


def stack_tags(settings: dict[str, Any]) -> dict[str, str]:
    """samconfig's `tags = "key=\"value\" ..."` as {key: value}."""
    return dict(item.split("=", 1) for item in shlex.split(settings.get("tags", "")))


def output_for_resource() -> dict[str, str]:
    """{logical id: the template output that names it} for outputs that are a plain !Ref (the tables, the function)."""
    outputs = cfn_template.load_template()["Outputs"]
    return {
        spec["Value"]["Ref"]: key
        for key, spec in outputs.items()
        if isinstance(spec["Value"], dict) and "Ref" in spec["Value"]
    }


# ---- the emulator -----------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class TransformLog:
    """Every template the emulator's SAM transform expanded, for the report."""

    templates: list[dict[str, Any]] = field(default_factory=list)


def fill_emulator_gaps(transforms: TransformLog) -> None:
    """Teach moto (pinned, 5.2.5) five things real CloudFormation does, so `sam deploy` can run unchanged.

    1. The AWS::Serverless transform: CloudFormation expands it server-side with the same samtranslator
       library SAM CLI ships; moto would silently skip every AWS::Serverless::* resource.
    2. Outputs of a stack created through a change set (moto computes them from the empty initial template).
    3. AWS::ApiGateway::RestApi `Body`: SAM puts the routes there; moto ignores it and then refuses the
       Deployment ("The REST API doesn't contain any methods").
    4. AWS::DynamoDB::Table TimeToLiveSpecification and PointInTimeRecoverySpecification, which moto's
       CloudFormation ignores although its DynamoDB API supports both.
    5. AWS::Lambda::Alias (AutoPublishAlias's `live`, which the API calls) and a Version's `Version` attribute:
       moto's Lambda API has both, its CloudFormation neither.
    """
    from moto.apigateway import models as apigateway
    from moto.cloudformation import models as cloudformation
    from moto.dynamodb.models import dynamodb_backends
    from moto.dynamodb.models.table import Table
    from samtranslator.translator.transform import transform

    class InlinePoliciesOnly:
        """The template names no managed policy, so the transform needs no IAM lookup."""

        def load(self) -> dict[str, str]:
            return {}

    def expand(template: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(template, dict) or template.get("Transform") != SAM_TRANSFORM:
            return template
        defaults = {name: p["Default"] for name, p in template.get("Parameters", {}).items() if "Default" in p}
        expanded = transform(template, defaults, InlinePoliciesOnly())
        transforms.templates.append(expanded)
        return expanded

    parse_stack_template = cloudformation.Stack.parse_template
    cloudformation.Stack.parse_template = staticmethod(lambda text: expand(parse_stack_template(text)))

    parse_change_set_template = cloudformation.ChangeSet._parse_template

    def parse_and_expand(self: Any) -> None:
        parse_change_set_template(self)
        self.template_dict = expand(self.template_dict)

    cloudformation.ChangeSet._parse_template = parse_and_expand

    apply_change_set = cloudformation.ChangeSet.apply

    def apply_with_outputs(self: Any) -> None:
        apply_change_set(self)
        self.stack.template_dict = self.template_dict
        self.stack.output_map = self.stack._create_output_map()

    cloudformation.ChangeSet.apply = apply_with_outputs

    create_rest_api = apigateway.RestAPI.create_from_cloudformation_json.__func__

    def rest_api_with_body(cls: type, name: str, resource: dict, account_id: str, region: str, **kwargs: Any) -> Any:
        api = create_rest_api(cls, name, resource, account_id, region, **kwargs)
        body = resource["Properties"].get("Body")
        if body:  # moto imports only OpenAPI 3 and reads only `paths`, which Swagger 2 shares
            document = {key: value for key, value in body.items() if key != "swagger"} | {"openapi": "3.0.1"}
            backend = apigateway.apigateway_backends[account_id][region]
            backend.put_rest_api(api.id, document, fail_on_warnings=False, mode="overwrite")
        return api

    apigateway.RestAPI.create_from_cloudformation_json = classmethod(rest_api_with_body)

    create_table = Table.create_from_cloudformation_json.__func__

    def table_with_ttl_and_pitr(cls: type, name: str, resource: dict, account_id: str, region: str, **kwargs: Any):
        table = create_table(cls, name, resource, account_id, region, **kwargs)
        properties, backend = resource["Properties"], dynamodb_backends[account_id][region]
        if ttl := properties.get("TimeToLiveSpecification"):
            backend.update_time_to_live(table.name, ttl)
        if pitr := properties.get("PointInTimeRecoverySpecification"):
            backend.update_continuous_backups(table.name, pitr)
        return table

    Table.create_from_cloudformation_json = classmethod(table_with_ttl_and_pitr)

    from moto.awslambda.models import LambdaVersion, lambda_backends
    from moto.cloudformation import parsing
    from moto.core.common_models import CloudFormationModel

    class LambdaAliasResource(CloudFormationModel):
        __module__ = "moto.awslambda"  # moto files its models by the service its module names

        def __init__(self, arn: str) -> None:
            self.arn = arn

        @property
        def physical_resource_id(self) -> str:
            return self.arn

        @staticmethod
        def cloudformation_type() -> str:
            return "AWS::Lambda::Alias"

        @classmethod
        def create_from_cloudformation_json(  # type: ignore[override]
            cls, resource_name: str, cloudformation_json: dict, account_id: str, region_name: str, **kwargs: Any
        ) -> LambdaAliasResource:
            properties = cloudformation_json["Properties"]
            alias = lambda_backends[account_id][region_name].create_alias(
                properties["Name"], properties["FunctionName"], str(properties["FunctionVersion"]), "", None
            )
            return cls(alias.arn)

    LambdaVersion.get_cfn_attribute = lambda self, attribute: self.version  # the only attribute: Version
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()


@contextmanager
def emulator() -> Iterator[str]:
    """moto in server mode on a free port; yields the endpoint URL the SAM CLI and boto3 use."""
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        # `localhost`, not 127.0.0.1: moto finds the bucket of a template URL only on that host name.
        yield f"http://localhost:{port}"
    finally:
        server.stop()


def fake_account_env(endpoint: str) -> dict[str, str]:
    """The environment for the SAM CLI and boto3: the emulator, a fixed region, throwaway credentials."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("AWS_") and name not in {"USERS_TABLE", "CHANNELS_TABLE", "ATTEMPTS_TABLE"}
    }
    env.update(fake_aws.fake_aws_environment(endpoint, REGION))
    env.update(SAM_CLI_TELEMETRY="0", SAM_CLI_CONTAINER_CONNECTION_TIMEOUT="1")
    return env


# ---- the deploy ---------------------------------------------------------------------------------------


def prepare_account(overrides: dict[str, str]) -> LiveKitCredentials:
    """What an operator does once before the first deploy: the SSM SecureStrings, an artifact bucket."""
    boto3.client("s3").create_bucket(Bucket=ARTIFACT_BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    secret = LiveKitCredentials(api_key=f"APIrehearsal{secrets.token_hex(4)}", api_secret=secrets.token_urlsafe(48))
    ssm = boto3.client("ssm")
    if overrides.get("LiveKitCredentialsParameterName"):  # one SecureString with both
        value = LiveKitCredentials(secret.api_key, secret.api_secret).parameter_value()
        ssm.put_parameter(Name=overrides["LiveKitCredentialsParameterName"], Value=value, Type="SecureString")
    else:  # the two parameters older environments name
        ssm.put_parameter(Name=overrides["LiveKitApiKeyParameterName"], Value=secret.api_key, Type="SecureString")
        ssm.put_parameter(Name=overrides["LiveKitApiSecretParameterName"], Value=secret.api_secret, Type="SecureString")
    return secret


def run_sam(arguments: list[str], env: dict[str, str]) -> None:
    command = [SAM, *arguments]
    log.info("$ sam %s", " ".join(arguments))
    completed = subprocess.run(command, cwd=ROOT, env=env, check=False)
    if completed.returncode != 0:
        raise RehearsalFailed(f"sam {arguments[0]} exited with {completed.returncode}")


def build_and_deploy(build_dir: Path, env: dict[str, str], report: Report) -> None:
    """`sam build` then `sam deploy` with samconfig.toml's default environment.

    Only the artifact bucket differs: resolve_s3 makes SAM CLI create its managed-bucket stack, which moto
    cannot (no AWS::S3::BucketPolicy, no outputs), so the rehearsal names a bucket it created itself.
    """
    started = time.monotonic()
    config = ["--config-file", str(ROOT / "samconfig.toml"), "--config-env", CONFIG_ENV]
    run_sam(["build", *config, "--region", REGION, "--build-dir", str(build_dir)], env)
    report.build_seconds = time.monotonic() - started
    started = time.monotonic()
    run_sam(
        [
            "deploy",
            *config,
            "--template-file",
            str(build_dir / "template.yaml"),
            "--region",
            REGION,
            "--no-resolve-s3",
            "--s3-bucket",
            ARTIFACT_BUCKET,
            "--no-confirm-changeset",
            "--no-fail-on-empty-changeset",
            "--no-progressbar",
        ],
        env,
    )
    report.deploy_seconds = time.monotonic() - started


# ---- what the stack must contain --------------------------------------------------------------------------


def stack_outputs(stack_name: str, report: Report) -> dict[str, str]:
    stack = boto3.client("cloudformation").describe_stacks(StackName=stack_name)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RehearsalFailed(f"stack {stack_name} is {stack['StackStatus']}")
    report.passed(f"stack {stack_name} is CREATE_COMPLETE")
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}
    if missing := cfn_template.load_template()["Outputs"].keys() - outputs.keys():
        raise RehearsalFailed(f"stack outputs missing: {sorted(missing)}")
    report.passed(f"outputs {sorted(outputs)}")
    tags = {tag["Key"]: tag["Value"] for tag in stack.get("Tags", [])}
    expected_tags = stack_tags(deploy_settings())
    if {key: tags.get(key) for key in expected_tags} != expected_tags:
        raise RehearsalFailed(f"the stack lacks samconfig's tags {expected_tags}: {tags}")
    report.passed(f"stack tags from samconfig ({', '.join(expected_tags)})")
    return outputs


def tally_resources(stack_name: str, transforms: TransformLog, report: Report) -> None:
    """Created resources by logical id; the template's others were either unsupported by moto or conditional."""
    from moto.cloudformation.models import cloudformation_backends
    from moto.cloudformation.parsing import NULL_MODELS, get_model_map
    from moto.core import DEFAULT_ACCOUNT_ID

    summaries = boto3.client("cloudformation").list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    report.created = {s["LogicalResourceId"]: s["ResourceType"] for s in summaries if s["LogicalResourceId"]}
    deployed_template = transforms.templates[-1]
    stack = cloudformation_backends[DEFAULT_ACCOUNT_ID][REGION].describe_stacks(stack_name)[0]
    conditions = stack.resource_map.lazy_condition_map
    supported = get_model_map()
    for logical_id, resource in deployed_template["Resources"].items():
        if logical_id in report.created:
            continue
        if "Condition" in resource and not conditions[resource["Condition"]]:
            report.skipped_by_condition.append(f"{logical_id} ({resource['Type']}, Condition {resource['Condition']})")
        elif resource["Type"] not in supported or resource["Type"] in NULL_MODELS:
            report.not_created[logical_id] = resource["Type"]
        else:
            raise RehearsalFailed(f"{logical_id} ({resource['Type']}) was not created")


def check_tables(outputs: dict[str, str], report: Report) -> None:
    """Keys, index, TTL and point-in-time recovery of the deployed tables, as template.yaml declares them."""
    from tools.ci.cfn_template import table_specs

    dynamodb = boto3.client("dynamodb")
    for spec in table_specs():
        name = outputs[output_for_resource()[spec.logical_id]]
        table = dynamodb.describe_table(TableName=name)["Table"]
        if table["KeySchema"] != spec.properties["KeySchema"]:
            raise RehearsalFailed(f"{spec.logical_id}: key schema {table['KeySchema']}")
        declared_indexes = {
            index["IndexName"]: index["KeySchema"] for index in spec.properties.get("GlobalSecondaryIndexes", [])
        }
        deployed_indexes = {index["IndexName"]: index["KeySchema"] for index in table.get("GlobalSecondaryIndexes", [])}
        if declared_indexes != deployed_indexes:
            raise RehearsalFailed(f"{spec.logical_id}: indexes {sorted(deployed_indexes)}")
        if table.get("BillingModeSummary", {}).get("BillingMode") != "PAY_PER_REQUEST":
            raise RehearsalFailed(f"{spec.logical_id}: not on-demand")
        if table.get("DeletionProtectionEnabled") is not spec.properties.get("DeletionProtectionEnabled", False):
            raise RehearsalFailed(f"{spec.logical_id}: deletion protection is {table.get('DeletionProtectionEnabled')}")
        backups = dynamodb.describe_continuous_backups(TableName=name)["ContinuousBackupsDescription"]
        pitr = backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
        if spec.point_in_time_recovery and pitr != "ENABLED":
            raise RehearsalFailed(f"{spec.logical_id}: point-in-time recovery is {pitr}")
        ttl = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if spec.ttl_attribute and (ttl.get("TimeToLiveStatus"), ttl.get("AttributeName")) != (
            "ENABLED",
            spec.ttl_attribute,
        ):
            raise RehearsalFailed(f"{spec.logical_id}: TTL is {ttl}")
        extras = [f"GSI {', '.join(deployed_indexes)}"] if deployed_indexes else []
        extras += ["PITR"] if pitr == "ENABLED" else []
        extras += ["deletion protection"] if table["DeletionProtectionEnabled"] else []
        extras += [f"TTL on {spec.ttl_attribute}"] if spec.ttl_attribute else []
        keys = "+".join(key["AttributeName"] for key in table["KeySchema"])
        report.passed(f"table {spec.logical_id}: key {keys}; {'; '.join(extras)}")


def check_function(outputs: dict[str, str], overrides: dict[str, str], report: Report) -> dict[str, str]:
    """The function's configuration is template.yaml's with samconfig's parameters; returns its environment."""
    function = boto3.client("lambda").get_function_configuration(FunctionName=outputs["FunctionName"])
    env = {name: str(value) for name, value in function["Environment"]["Variables"].items()}
    expected_env = expected_function_environment(outputs, overrides)
    wrong = sorted(name for name, value in expected_env.items() if env.get(name) != value)
    if wrong:
        raise RehearsalFailed(f"function environment differs from the template, the stack and samconfig: {wrong}")
    declared = cfn_template.function_properties()
    expected = (int(declared["MemorySize"]), int(declared["Timeout"]), declared["Runtime"])
    if (function["MemorySize"], function["Timeout"], function["Runtime"]) != expected:
        raise RehearsalFailed(f"function memory, timeout or runtime differ from template.yaml's {expected}")
    memory, timeout, runtime = expected
    report.passed(
        f"function {outputs['FunctionName']}: {runtime}, {memory} MB, {timeout} s, "
        f"its {len(expected_env)} environment variables from the template and samconfig"
    )
    logs = boto3.client("logs")
    for group in (
        f"/aws/lambda/{outputs['FunctionName']}",
        f"/aws/apigateway/{deploy_settings()['stack_name']}-access",
    ):
        found = logs.describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        retention = found[0].get("retentionInDays") if found else None
        if str(retention) != overrides["LogRetentionDays"]:
            raise RehearsalFailed(f"log group {group}: retention {retention}")
        report.passed(f"log group {group}: {retention} days")
    return env


def expected_function_environment(outputs: dict[str, str], overrides: dict[str, str]) -> dict[str, str]:
    """Every variable template.yaml gives the function: a parameter's !Ref at samconfig's value (else the
    default), a resource's !Ref at the stack output that names it, literals as written."""
    defaults = cfn_template.parameter_defaults()
    named_by = output_for_resource()
    expected = {}
    for name, value in cfn_template.function_environment().items():
        if not isinstance(value, dict):
            expected[name] = str(value)
        elif value["Ref"] in named_by:
            expected[name] = outputs[named_by[value["Ref"]]]
        else:
            expected[name] = overrides.get(value["Ref"], defaults.get(value["Ref"], ""))
    return expected


def check_expanded_template(transforms: TransformLog, report: Report) -> None:
    """What moto drops or cannot create (the function's layers, tracing, architecture and log group; the
    stage; the alarms), checked in the expanded template CloudFormation received."""
    resources = transforms.templates[-1]["Resources"]
    function = resources["AuthClientFunction"]["Properties"]
    declared = cfn_template.function_properties()
    layer_ids = [layer.get("Ref") for layer in function.get("Layers", [])]
    if len(layer_ids) != 1 or resources.get(layer_ids[0], {}).get("Type") != "AWS::Lambda::LayerVersion":
        raise RehearsalFailed(f"the function should use the one CommonLayer version: {layer_ids}")
    if (
        function.get("TracingConfig") != {"Mode": declared["Tracing"]}
        or function.get("Architectures") != declared["Architectures"]
    ):
        raise RehearsalFailed(f"the function should be {declared['Architectures']} with tracing {declared['Tracing']}")
    if function.get("LoggingConfig", {}).get("LogGroup") != {"Ref": "AuthClientFunctionLogGroup"}:
        raise RehearsalFailed("the function should log to its retained-for-N-days log group")
    architectures = ", ".join(declared["Architectures"])
    report.passed(
        f"expanded template: function on {architectures}, tracing {declared['Tracing']}, CommonLayer, own log group"
    )
    stage = resources["AuthApiv1Stage"]["Properties"]
    throttling = [
        (m.get("ThrottlingRateLimit"), m.get("ThrottlingBurstLimit")) for m in stage.get("MethodSettings", [])
    ]
    if not throttling or None in throttling[0] or "DestinationArn" not in stage.get("AccessLogSetting", {}):
        raise RehearsalFailed("the v1 stage should throttle and write access logs")
    depends_on = resources["AuthApi"].get("DependsOn", [])
    if "ApiGatewayAccountSettled" not in ([depends_on] if isinstance(depends_on, str) else depends_on):
        raise RehearsalFailed("the REST API (and so its access-logged stage) must wait for the account's log role")
    alarms = sorted(name for name, r in resources.items() if r["Type"] == "AWS::CloudWatch::Alarm")
    if alarms != (declared_alarms := cfn_template.resources_of_type("AWS::CloudWatch::Alarm")):
        raise RehearsalFailed(f"expected template.yaml's alarms {declared_alarms}: {alarms}")
    report.passed(
        f"expanded template: stage v1 throttled, access-logged, after the log role; alarms {', '.join(alarms)}"
    )


def check_api(outputs: dict[str, str], report: Report) -> None:
    api_id = outputs["ApiUrl"].split("//", 1)[1].split(".", 1)[0]
    resources = boto3.client("apigateway").get_resources(restApiId=api_id)["items"]
    methods = {r["path"]: sorted(r.get("resourceMethods", {})) for r in resources}
    declared: dict[str, list[str]] = {}
    for method, path, _ in cfn_template.api_routes():
        declared[path] = sorted([*declared.get(path, []), method])
    if any(methods.get(path) != path_methods for path, path_methods in declared.items()):
        raise RehearsalFailed(f"REST API routes {methods}, template.yaml declares {declared}")
    routes = "; ".join(f"{' and '.join(path_methods)} {path}" for path, path_methods in declared.items())
    report.passed(f"REST API {api_id}: {routes}")


# ---- a login served from the stack's tables -----------------------------------------------------------


def log_in_from_stack_tables(function_env: dict[str, str], secret: LiveKitCredentials, report: Report) -> None:
    """Serve the API with the deployed function's environment over the stack's tables, and log in over HTTP.

    moto cannot run the function itself (that needs Docker), so local_stack.serve_api runs it behind its
    API Gateway stand-in with exactly the environment the stack configured (tables, SSM parameter names,
    server URL, bcrypt cost, CORS); the demo user is seeded into the stack's tables, and the post-deploy
    smoke test logs in and checks every token with LiveKit's verifier under the key and secret in SSM.
    """
    from livekit_auth.config import table_names
    from livekit_authctl.storage.admin import AdminStore
    from tools.ci import smoke_test
    from tools.ci.cfn_template import TABLE_ENV
    from tools.local import stack as local_stack
    from tools.local.demo_data import DEMO, DEMO_PASSWORD, seed

    started = time.monotonic()
    seed(AdminStore(boto3.client("dynamodb"), table_names(function_env)), int(function_env["BCRYPT_ROUNDS"]))
    tables = {name: function_env[name] for name in TABLE_ENV.values()}
    api = local_stack.serve_api(0, os.environ["AWS_ENDPOINT_URL"], tables, env=function_env | {"LOCAL_MODE": "false"})
    try:
        login = smoke_test.run(
            {
                "SMOKE_API_URL": api.api_url,
                "SMOKE_USERNAME": DEMO.username,
                "SMOKE_PASSWORD": DEMO_PASSWORD,
                "LIVEKIT_API_KEY": secret.api_key,
                "LIVEKIT_API_SECRET": secret.api_secret,
            }
        )
    except smoke_test.SmokeFailure as failure:
        raise RehearsalFailed(f"login from the stack's tables: {failure}") from None
    finally:
        api.stop()
    report.passed(
        f"POST {api.api_url} as {DEMO.username}: 200 from the stack's tables in {time.monotonic() - started:.2f} s "
        f"(seed and API start included), {len(login.channel_ids)} tokens verified by LiveKit's TokenVerifier"
    )


# ---- entry point ----------------------------------------------------------------------------------------------


def rehearse(build_dir: Path) -> Report:
    report = Report()
    transforms = TransformLog()
    fill_emulator_gaps(transforms)
    settings = deploy_settings()
    overrides = parameter_overrides(settings)
    with emulator() as endpoint:
        env = fake_account_env(endpoint)
        os.environ.update(env)
        log.info(
            "emulator at %s; stack %s from template.yaml + samconfig.toml [%s]",
            endpoint,
            settings["stack_name"],
            CONFIG_ENV,
        )
        secret = prepare_account(overrides)
        build_and_deploy(build_dir, env, report)
        outputs = stack_outputs(settings["stack_name"], report)
        tally_resources(settings["stack_name"], transforms, report)
        check_tables(outputs, report)
        function_env = check_function(outputs, overrides, report)
        check_expanded_template(transforms, report)
        check_api(outputs, report)
        log_in_from_stack_tables(function_env, secret, report)
    return report


def print_summary(report: Report) -> None:
    total = time.monotonic() - report.started
    print("\n==== deploy rehearsal passed ====")
    print(f"duration: {total:.1f} s (sam build {report.build_seconds:.1f} s, sam deploy {report.deploy_seconds:.1f} s)")
    by_type: dict[str, int] = {}
    for resource_type in report.created.values():
        by_type[resource_type] = by_type.get(resource_type, 0) + 1
    print(f"resources created: {len(report.created)}")
    for resource_type, count in sorted(by_type.items()):
        print(f"  {count} x {resource_type}")
    print(f"not created, moto has no CloudFormation support: {len(report.not_created)}")
    for logical_id, resource_type in sorted(report.not_created.items()):
        print(f"  {logical_id} ({resource_type})")
    if report.skipped_by_condition:
        print("not created, condition false in samconfig's default environment:")
        for entry in report.skipped_by_condition:
            print(f"  {entry}")
    print(f"checks passed: {len(report.checks)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, help="where sam build writes (default: a temporary directory)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(name)s: %(message)s")
    warnings.filterwarnings("ignore", message="Tried to parse")  # tallied in the report instead
    for noisy in ("moto", "botocore", "samtranslator", "aws_lambda_powertools"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    try:
        with tempfile.TemporaryDirectory(prefix="rehearsal-build-") as scratch:
            report = rehearse(args.build_dir or Path(scratch))
    except RehearsalFailed as failure:
        print(f"\ndeploy rehearsal FAILED: {failure}", file=sys.stderr)
        return 1
    print_summary(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
