"""What the deploy workflow promises: only main deploys, whatever event or branch started the run."""

from pathlib import Path

import yaml

DEPLOY_WORKFLOW = Path(__file__).resolve().parents[2] / ".github/workflows/deploy.yml"
ONLY_MAIN = "github.ref == 'refs/heads/main'"


def jobs() -> dict[str, dict]:
    return yaml.safe_load(DEPLOY_WORKFLOW.read_text(encoding="utf-8"))["jobs"]


def test_every_job_that_deploys_runs_only_for_main():
    deploying = {
        name: job
        for name, job in jobs().items()
        if "environment" in job or job.get("permissions", {}).get("id-token") == "write"
    }
    assert set(deploying) == {"staging", "production"}
    assert {name: job.get("if") for name, job in deploying.items()} == dict.fromkeys(deploying, ONLY_MAIN)
