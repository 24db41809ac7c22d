"""The deploy rehearsal's expand job: what CloudFormation does server-side and moto does not, taught to moto
so that `sam deploy` runs unchanged (the SAM transform above all)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

SAM_TRANSFORM = "AWS::Serverless-2016-10-31"


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

    _teach_lambda_alias()


def _teach_lambda_alias() -> None:
    """Gap 5: a CloudFormation model for AWS::Lambda::Alias over moto's Lambda API, and Fn::GetAtt Version."""
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
