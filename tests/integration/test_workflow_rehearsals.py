"""The real workflows rehearsed end to end on the emulator (`invoke rehearse`): the PR plan job
(the comment that would be posted), the deploy job for dev (apply + report + canary) and the
drift job after a change made behind Terraform's back.

Marked ``integration``: each rehearsal plans (and the deploy applies) the real modules with the
real AWS provider against an emulator on a free port. The GitHub API is the recording fake.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tooling.commands.gitops import emulated_tasks
from tooling.core import envs, paths
from tooling.emulator import lifecycle, override, settings
from tooling.gitops import comment, rehearsal

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

pytestmark = pytest.mark.integration

MIRROR_ENV_VAR = "TERRAFORM_PROVIDER_MIRROR"


@dataclass
class Stage:
    """Where rehearsals run: one emulator, one base dir (workspace, artifacts, fake GitHub)."""

    emulator: lifecycle.Emulator
    environment: dict[str, str]

    def rehearse(
        self, base: Path, workflow: str, job: str, *, matrix: dict[str, str], fresh: bool
    ) -> rehearsal.Rehearsal:
        settings = rehearsal.Settings(
            workflow=paths.WORKFLOWS_DIR / workflow,
            job=job,
            base_dir=base,
            emulated_tasks=emulated_tasks(),
            checkout=lambda target: override.copy_work_tree(paths.REPO_ROOT, target),
            matrix=matrix,
            fresh=fresh,
            environment=self.environment,
        )
        return rehearsal.rehearse(settings)


def failure_report(result: rehearsal.Rehearsal) -> str:
    """The rehearsal's step list and the output of its failed steps (assertion message)."""
    failed = [s for s in result.steps if s.outcome == "failure"]
    tails = ["\n".join(s.output.strip().split("\n")[-40:]) for s in failed]
    return "\n".join([result.describe(), *tails])


@pytest.fixture(scope="module")
def stage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stage]:
    """An emulator on a free port, and a clean process environment pointing at it."""
    base = tmp_path_factory.mktemp("rehearsals")
    chosen = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=base / "emulator")
    environment = {
        name: value
        for name, value in os.environ.items()
        # Nothing of the caller's AWS setup or emulator choice may leak into the runs.
        if not name.startswith(("AWS_", "SFP_", "GITHUB_")) and name != "TF_CLI_CONFIG_FILE"
    }
    environment.update(
        {
            lifecycle.PORT_ENV_VAR: str(chosen.port),
            lifecycle.DIR_ENV_VAR: str(chosen.state_dir),
            "PYTHONUNBUFFERED": "1",
        }
    )
    if os.environ.get(MIRROR_ENV_VAR):
        environment[MIRROR_ENV_VAR] = os.environ[MIRROR_ENV_VAR]
    # The jobs build the zip in their own workspaces (clean copies of the tree) and deploy it:
    # this throwaway emulator runs any deployed code (its default runs only this checkout's
    # dist/ zip, docs/emulator.md), with its code cache in the test's own dir.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.CODE_POLICY_ENV_VAR, "any")
        patch.setenv(settings.LAMBDA_DIR_ENV_VAR, str(base / "lambda"))
        lifecycle.start(chosen)
    try:
        yield Stage(chosen, environment)
    finally:
        lifecycle.stop(chosen)


def test_pr_plan_job_posts_the_plan_comment(stage: Stage, tmp_path: Path) -> None:
    # GIVEN a pull request, and the PR workflow's plan job for dev
    # WHEN the job is rehearsed
    result = stage.rehearse(tmp_path, "pr.yml", "plan", matrix={"env": "dev"}, fresh=True)
    # THEN every step ran and passed (the plan guard last)
    assert result.succeeded, failure_report(result)
    assert [s.outcome for s in result.steps] == ["success"] * len(result.steps)
    # AND exactly one comment was posted on the PR, the rendered plan of dev for this commit
    created = [c for c in result.github_state["calls"] if c["name"] == "issues.createComment"]
    assert len(created) == 1, result.github_state["calls"]
    params = created[0]["params"]
    assert params["issue_number"] == 1
    body = params["body"]
    assert body.startswith(
        f"<!-- sfp-plan:dev -->\n## Terraform plan for `dev`\n<sub>commit `{result.sha[:12]}` · "
        "[run "
    )
    assert "**Plan: " in body
    assert " to add, 0 to change, 0 to destroy.**" in body
    assert "<details>" in body
    assert comment.utf16_length(body) <= comment.COMMENT_BUDGET
    # AND the same comment is the job summary
    assert result.summary.startswith(body)


@dataclass
class Deployed:
    """The build + dev deploy rehearsals, sharing one workspace as jobs share remote state."""

    base: Path
    build: rehearsal.Rehearsal
    dev: rehearsal.Rehearsal


@pytest.fixture(scope="module")
def deployed(stage: Stage, tmp_path_factory: pytest.TempPathFactory) -> Deployed:
    base = tmp_path_factory.mktemp("deploy")
    build = stage.rehearse(base, "deploy.yml", "build", matrix={}, fresh=True)
    dev = stage.rehearse(base, "deploy.yml", "dev", matrix={}, fresh=False)
    return Deployed(base, build, dev)


def test_deploy_job_applies_dev_and_reports_it(deployed: Deployed) -> None:
    # GIVEN the deploy workflow's build job, then its dev job (the zip comes as an artifact)
    assert deployed.build.succeeded, failure_report(deployed.build)
    result = deployed.dev
    # THEN plan, summary, apply, report, PR comment and canary all passed
    assert result.succeeded, failure_report(result)
    assert [s.outcome for s in result.steps] == ["success"] * len(result.steps)
    # AND the job summary shows the plan, then the apply report with the artifact's sha256
    zip_sha = hashlib.sha256((result.workspace / "dist" / "handler.zip").read_bytes()).hexdigest()
    assert "## Terraform plan for `dev`" in result.summary
    report = result.summary.split("<!-- sfp-apply:dev -->", 1)[1]
    assert "## ✅ Applied to `dev`" in report
    assert "**Apply complete! Resources: " in report
    assert f"sha256 `{zip_sha}`" in report
    assert "| `processor_function_name` |" in report
    # AND the merged pull request got the same report
    comments = deployed.dev.github_state["comments"]
    (posted,) = [c for c in comments if c["body"].startswith("<!-- sfp-apply:dev -->")]
    assert posted["issue_number"] == 1


def _outputs(deployed: Deployed) -> dict[str, Any]:
    state = deployed.dev.workspace / ".work" / "dev-emulated" / "terraform.tfstate"
    raw = json.loads(state.read_text())
    return {name: item["value"] for name, item in raw["outputs"].items()}


def test_drift_job_reports_a_change_made_behind_terraforms_back(
    stage: Stage, deployed: Deployed
) -> None:
    # GIVEN the deployed dev env, whose processor function is then edited outside Terraform
    assert deployed.dev.succeeded, failure_report(deployed.dev)
    outputs = _outputs(deployed)
    function = outputs["processor_function_name"]
    # (dev --emulated lives in its own moto account: sign as the tooling there)
    credentials = lifecycle.account_credentials(stage.emulator, envs.emulated_account_id("dev"))
    client = boto3.client(
        "lambda",
        endpoint_url=stage.emulator.endpoint,
        region_name=outputs["region"],
        aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=credentials.get("AWS_SESSION_TOKEN"),
    )
    client.update_function_configuration(FunctionName=function, Timeout=13)
    # WHEN the scheduled drift job is rehearsed for dev (same workspace: the state is shared)
    result = stage.rehearse(deployed.base, "drift.yml", "drift", matrix={"env": "dev"}, fresh=False)
    # THEN it finds the drift, renders it and opens the drift issue
    assert result.succeeded, failure_report(result)
    check = result.step("drift check (exit 0 = none, 2 = drift)")
    assert check.outputs == {"drifted": "true"}, check.output
    issues = [i for i in result.github_state["issues"] if i["title"] == "Drift detected in dev"]
    assert len(issues) == 1, result.github_state["issues"]
    body = issues[0]["body"]
    assert body.startswith("<!-- sfp-drift:dev -->")
    assert "### 🔀 Drift: changed outside Terraform" in body
    assert '`module.compute.aws_lambda_function.this["processor"]` — changed: `timeout`' in body
    assert "this plan will **update** it" in body


def test_prod_refuses_an_approval_that_outlived_the_reviewed_plan(
    stage: Stage, deployed: Deployed
) -> None:
    # GIVEN the prod plan job ran (plan, summary, guard, record uploaded as an artifact)
    planned = stage.rehearse(deployed.base, "deploy.yml", "prod-plan", matrix={}, fresh=False)
    assert planned.succeeded, failure_report(planned)
    artifact = deployed.base / "artifacts" / "prod-reviewed-plan"
    recorded = json.loads((artifact / "reviewed-plan.json").read_text())
    assert recorded["env"] == "prod"
    assert recorded["commit"] == planned.sha
    assert recorded["changes"]["resources"]
    # WHEN the approval comes after the artifact's retention ended (it is gone)
    shutil.rmtree(artifact)
    result = stage.rehearse(deployed.base, "deploy.yml", "prod", matrix={}, fresh=False)
    # THEN the job fails at the verification with a message that says so, and applies nothing
    assert not result.succeeded
    assert result.steps[6].outcome == "failure"  # the download (continue-on-error)
    assert "Artifact not found for name: prod-reviewed-plan" in result.steps[6].output
    verify = result.step("refuse unless it is the approved plan")
    assert verify.outcome == "failure"
    assert "the reviewed-plan artifact is gone" in verify.output
    assert "Artifacts are deleted when their retention ends" in verify.output
    assert result.step(
        "apply exactly that saved plan (the plan guard runs inside apply)"
    ).outcome == ("skipped")
