"""The deploy rehearsal's checks: the stack moto created is what template.yaml and samconfig.toml declare
(outputs, tags, resources, tables, the function's configuration, the REST API's routes). What the expanded
template promises beyond that is tests/unit/test_expanded_template.py's, not repeated here."""

from __future__ import annotations

import boto3

from tools.ci import cfn_template
from tools.ci.rehearsal_deploy import REGION, RehearsalFailed, Report, deploy_settings, output_for_resource, stack_tags
from tools.ci.rehearsal_expand import TransformLog
from tools.local import fake_aws


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
    """Every variable template.yaml gives the function (fake_aws.template_environment), at samconfig's
    parameters and over the stack's tables as its outputs name them."""
    named_by = output_for_resource()
    tables = {variable: outputs[named_by[logical_id]] for logical_id, variable in cfn_template.TABLE_ENV.items()}
    return fake_aws.template_environment(tables, overrides)


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
