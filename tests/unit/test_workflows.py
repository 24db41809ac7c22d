"""What the deploy workflow promises: only main deploys, whatever event or branch started the run."""

from pathlib import Path

import yaml

from tools.ci.cfn_template import function_properties

DEPLOY_WORKFLOW = Path(__file__).resolve().parents[2] / ".github/workflows/deploy.yml"
CI_WORKFLOW = DEPLOY_WORKFLOW.with_name("ci.yml")
ONLY_MAIN = "github.ref == 'refs/heads/main'"


def jobs(workflow: Path = DEPLOY_WORKFLOW) -> dict[str, dict]:
    return yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"]


def test_every_job_that_deploys_runs_only_for_main():
    deploying = {
        name: job
        for name, job in jobs().items()
        if "environment" in job or job.get("permissions", {}).get("id-token") == "write"
    }
    assert set(deploying) == {"staging", "production"}
    assert {name: job.get("if") for name, job in deploying.items()} == dict.fromkeys(deploying, ONLY_MAIN)


def test_pull_requests_run_the_unit_tests_on_the_python_the_function_runs_on():
    runtime = function_properties("AuthClientFunction")["Runtime"]  # e.g. python3.13 (from Globals)
    version = runtime.removeprefix("python")
    on_runtime = [
        job
        for job in jobs(CI_WORKFLOW).values()
        if any(str(step.get("with", {}).get("python-version")) == version for step in job["steps"])
    ]
    assert on_runtime, f"no CI job sets up Python {version}"
    commands = [step.get("run", "") for job in on_runtime for step in job["steps"]]
    assert f"make test-py313 PY313=python{version}" in commands
