"""Deploy rehearsal: `sam build` and `sam deploy --config-env default` against an in-process AWS emulator.

Why: without an AWS account this still proves that template.yaml and samconfig.toml deploy as a stack,
that the stack's tables carry the declared keys, index, TTL and point-in-time recovery, that the
function gets the configuration samconfig asks for, and that the function, run with the environment
the stack gave it, logs a user in from the stack's own tables (its tokens checked by LiveKit's verifier).

One module a job: rehearsal_expand teaches moto what CloudFormation does and moto does not (the SAM
transform, outputs of a created change set, a REST API's OpenAPI body, table TTL and point-in-time
recovery, a Lambda alias); rehearsal_deploy runs `sam build` and `sam deploy` into the local stack's moto server;
rehearsal_checks compares the stack with the template; rehearsal_smoke logs in from its tables. Resource
types moto cannot create at all are listed in the report. What the expanded template promises is
tests/unit/test_expanded_template.py's, not repeated here.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

from tools.ci.rehearsal_checks import check_api, check_function, check_tables, stack_outputs, tally_resources
from tools.ci.rehearsal_deploy import (
    CONFIG_ENV,
    RehearsalFailed,
    Report,
    build_and_deploy,
    deploy_settings,
    emulator,
    fake_account_env,
    log,
    parameter_overrides,
    prepare_account,
)
from tools.ci.rehearsal_expand import TransformLog, fill_emulator_gaps
from tools.ci.rehearsal_smoke import log_in_from_stack_tables


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
