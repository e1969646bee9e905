"""Invariants of the GitHub workflows, read with PyYAML (the linters run in `invoke check`)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from tooling.core import paths

WORKFLOWS = paths.WORKFLOWS_DIR
NAMES = ("pr.yml", "deploy.yml", "drift.yml")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses: (\S+) # v\d+\.\d+\.\d+$")
UNTRUSTED = re.compile(r"\$\{\{[^}]*\b(github\.event|github\.head_ref|inputs)\b")
ALLOWED_PERMISSIONS = {
    "contents": {"read"},
    "id-token": {"write"},
    "pull-requests": {"write"},
    "security-events": {"write"},
    "issues": {"write"},
    "actions": {"read"},
}


def load(name: str) -> dict[str, Any]:
    """A workflow as data; PyYAML reads the `on:` key as True, so map it back."""
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    if True in data:
        data["on"] = data.pop(True)
    return data


def steps(workflow: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(job id, step) for every step of every job."""
    return [(job_id, step) for job_id, job in workflow["jobs"].items() for step in job["steps"]]


def uses(workflow: dict[str, Any], action: str) -> list[tuple[str, dict[str, Any]]]:
    """The steps that use `action` (owner/repo[/path]), with their job id."""
    return [(j, s) for j, s in steps(workflow) if str(s.get("uses", "")).startswith(action + "@")]


def test_exactly_the_three_workflows_exist() -> None:
    # GIVEN the workflows dir / THEN it holds the three workflows and nothing else
    assert sorted(p.name for p in WORKFLOWS.iterdir()) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_top_level_permissions_are_empty(name: str) -> None:
    # GIVEN a workflow / THEN nothing is granted by default: each job asks for its own
    assert load(name)["permissions"] == {}


@pytest.mark.parametrize("name", NAMES)
def test_every_job_has_least_permissions(name: str) -> None:
    # GIVEN every job / THEN it declares permissions, only from the allowed set
    for job_id, job in load(name)["jobs"].items():
        granted = job.get("permissions")
        assert isinstance(granted, dict), f"{name}:{job_id} declares no permissions"
        assert granted.get("contents") == "read", f"{name}:{job_id}"
        for scope, level in granted.items():
            assert level in ALLOWED_PERMISSIONS.get(scope, set()), f"{name}:{job_id} {scope}"


@pytest.mark.parametrize("name", NAMES)
def test_actions_are_pinned_to_full_shas_with_a_version_comment(name: str) -> None:
    # GIVEN every `uses:` of a workflow
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    lines = [line.strip().removeprefix("- ") for line in text.splitlines() if "uses:" in line]
    assert lines
    for line in lines:
        # THEN it is owner/repo@<40 hex> followed by "# vX.Y.Z"
        match = VERSION_COMMENT.search(line)
        assert match, f"{name}: no version comment: {line}"
        assert SHA_PIN.match(match[1]), f"{name}: not pinned to a full SHA: {line}"


@pytest.mark.parametrize("name", NAMES)
def test_same_action_same_sha_everywhere(name: str) -> None:
    # GIVEN all workflows / THEN one action is pinned to one SHA (no silent version skew)
    pins: dict[str, set[str]] = {}
    for other in NAMES:
        for _, step in steps(load(other)):
            if "uses" in step:
                action, sha = step["uses"].split("@")
                pins.setdefault(action, set()).add(sha)
    assert all(len(shas) == 1 for shas in pins.values()), pins
    assert any(step.get("uses") for _, step in steps(load(name)))


@pytest.mark.parametrize("name", NAMES)
def test_no_untrusted_context_in_run_scripts(name: str) -> None:
    # GIVEN every `run:` and github-script `script:` / THEN no ${{ github.event.* }}, head_ref or
    # inputs is interpolated (they go through `env:` instead)
    for job_id, step in steps(load(name)):
        for code in (step.get("run", ""), step.get("with", {}).get("script", "")):
            assert not UNTRUSTED.search(code), f"{name}:{job_id}: {code}"
            assert "${{" not in code, f"{name}:{job_id}: expression in a script: {code}"


@pytest.mark.parametrize("name", NAMES)
def test_no_dangerous_triggers(name: str) -> None:
    # GIVEN a workflow / THEN it never runs with the base repo's secrets on fork code
    triggers = load(name)["on"]
    assert "pull_request_target" not in triggers
    assert "workflow_run" not in triggers


@pytest.mark.parametrize("name", NAMES)
def test_checkouts_do_not_persist_credentials(name: str) -> None:
    # GIVEN every checkout step / THEN the token is not left in .git/config
    found = uses(load(name), "actions/checkout")
    assert found
    for job_id, step in found:
        assert step["with"]["persist-credentials"] is False, f"{name}:{job_id}"


@pytest.mark.parametrize("name", NAMES)
def test_terraform_is_pinned_to_the_repo_version_without_wrapper(name: str) -> None:
    # GIVEN every setup-terraform step / THEN it installs 1.11.4 and no stdout-mangling wrapper
    for job_id, step in uses(load(name), "hashicorp/setup-terraform"):
        assert str(step["with"]["terraform_version"]) == "1.11.4", f"{name}:{job_id}"
        assert step["with"]["terraform_wrapper"] is False, f"{name}:{job_id}"


@pytest.mark.parametrize("name", NAMES)
def test_aws_auth_is_oidc_only(name: str) -> None:
    # GIVEN every AWS credentials step
    workflow = load(name)
    for job_id, step in uses(workflow, "aws-actions/configure-aws-credentials"):
        inputs = step["with"]
        # THEN it assumes a role from an environment variable, with no long-lived keys, in a job
        # that may mint an OIDC token and runs in a GitHub environment
        assert inputs["role-to-assume"] in {
            "${{ vars.AWS_PLAN_ROLE_ARN }}",
            "${{ vars.AWS_APPLY_ROLE_ARN }}",
        }
        assert not {"aws-access-key-id", "aws-secret-access-key"} & set(inputs)
        job = workflow["jobs"][job_id]
        assert job["permissions"]["id-token"] == "write"
        assert "environment" in job
    assert "secrets." not in (WORKFLOWS / name).read_text(encoding="utf-8")


def runs_of(job: dict[str, Any]) -> list[str]:
    """The `run:` scripts of a job, in order."""
    return [s.get("run", "") for s in job["steps"]]


def step_index(job: dict[str, Any], needle: str) -> int:
    """Index of the first step whose run script contains `needle`."""
    return next(i for i, run in enumerate(runs_of(job)) if needle in run)


def test_pr_workflow_triggers_and_jobs() -> None:
    # GIVEN pr.yml
    workflow = load("pr.yml")
    jobs = workflow["jobs"]
    # THEN it runs on PRs to main; tests via invoke; checkov SARIF upload with security-events
    assert workflow["on"] == {"pull_request": {"branches": ["main"]}}
    assert any(s.get("run") == ".ci/invoke test" for s in jobs["checks"]["steps"])
    assert jobs["checkov"]["permissions"]["security-events"] == "write"
    (_, upload), *_ = uses(workflow, "github/codeql-action/upload-sarif")
    assert upload["if"] == "success() || failure()"
    # AND a plan matrix over dev and staging (NOT prod: its plan environment admits main only)
    plan = jobs["plan"]
    assert plan["strategy"]["matrix"]["env"] == ["dev", "staging"]
    assert plan["environment"]["name"] == "${{ matrix.env }}-plan"
    assert plan["permissions"]["pull-requests"] == "write"
    assert plan["env"]["SFP_COMMIT_SHA"] == "${{ github.event.pull_request.head.sha }}"
    runs = runs_of(plan)
    assert any('.ci/invoke plan --env="$SFP_ENV"' in r for r in runs)
    assert '.ci/invoke guard --env="$SFP_ENV"' in runs
    assert any('.ci/invoke plan-comment --env="$SFP_ENV"' in r for r in runs)
    (_, script), *_ = uses(workflow, "actions/github-script")
    assert "tooling/gitops/js/sticky_comment.cjs" in script["with"]["script"]


def test_a_failed_pr_plan_replaces_the_comment() -> None:
    # GIVEN the PR plan job
    plan = load("pr.yml")["jobs"]["plan"]
    steps_by_id = {s.get("id"): s for s in plan["steps"] if s.get("id")}
    # THEN the plan's output is kept (pipefail, so the step still fails with the plan)…
    assert steps_by_id["plan"]["shell"] == "bash"
    assert 'tee ".work/ci/plan-$SFP_ENV.log"' in steps_by_id["plan"]["run"]
    # …the comment is rendered whatever happened (not when cancelled), from the log when the
    # plan failed (a job that failed earlier has no log: the comment says so)…
    render = steps_by_id["render"]
    assert render["if"] == "${{ !cancelled() }}"
    assert render["env"]["PLAN_OUTCOME"] == "${{ steps.plan.outcome }}"
    assert '--failed-log=".work/ci/plan-$SFP_ENV.log"' in render["run"]
    # …and posted whenever it was rendered
    (sticky,) = [s for s in plan["steps"] if "github-script" in s.get("uses", "")]
    assert sticky["if"] == "${{ !cancelled() && steps.render.outcome == 'success' }}"


def test_state_holding_jobs_are_never_cancelled_by_a_newer_push() -> None:
    # GIVEN every workflow / THEN no workflow-level concurrency cancels runs wholesale, and every
    # job that takes the state lock (plans, applies) queues instead of being cancelled
    for name in NAMES:
        workflow = load(name)
        assert "concurrency" not in workflow, name
        for job_id, job in workflow["jobs"].items():
            if any(".ci/invoke plan " in r or ".ci/invoke apply " in r for r in runs_of(job)):
                assert job["concurrency"]["cancel-in-progress"] is False, f"{name}:{job_id}"
    # AND the PR checks (no state) are still cancelled by a newer push
    assert load("pr.yml")["jobs"]["checks"]["concurrency"]["cancel-in-progress"] is True


@pytest.mark.parametrize("name", NAMES)
def test_plans_and_applies_keep_their_output_and_fail_with_it(name: str) -> None:
    # GIVEN every step that pipes a plan/apply into a log / THEN it runs under pipefail
    for job_id, step in steps(load(name)):
        if "| tee" in step.get("run", ""):
            assert step.get("shell") == "bash", f"{name}:{job_id}: {step['run']}"


@pytest.mark.parametrize("name", NAMES)
def test_backend_settings_come_from_one_task(name: str) -> None:
    # GIVEN every job that plans a real env / THEN it writes the backend with the task (no
    # printf copies), before planning, into the file the tooling reads
    for job_id, job in load(name)["jobs"].items():
        runs = runs_of(job)
        assert not any("printf" in r for r in runs), f"{name}:{job_id}"
        if any(".ci/invoke plan " in r for r in runs):
            assert job["env"]["SFP_BACKEND_CONFIG"] == ".work/backend.hcl"
            backend = step_index(job, '.ci/invoke backend-config --env="$SFP_ENV"')
            assert backend < step_index(job, ".ci/invoke plan "), f"{name}:{job_id}"


def test_deploy_workflow_promotes_one_build_through_gated_envs() -> None:
    # GIVEN deploy.yml
    workflow = load("deploy.yml")
    jobs = workflow["jobs"]
    # THEN it runs on push to main (and by hand), builds once and uploads the zip
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert "workflow_dispatch" in workflow["on"]
    assert any(s.get("run", "").startswith(".ci/invoke build") for s in jobs["build"]["steps"])
    assert uses({"jobs": {"build": jobs["build"]}}, "actions/upload-artifact")
    # AND the envs run in order dev → staging → prod-plan → prod
    assert jobs["dev"]["needs"] == "build"
    assert jobs["staging"]["needs"] == "dev"
    assert jobs["prod-plan"]["needs"] == "staging"
    assert jobs["prod"]["needs"] == "prod-plan"
    for job_id, env in (("dev", "dev"), ("staging", "staging"), ("prod", "prod")):
        job = jobs[job_id]
        # AND each is a GitHub environment, serialized per env without cancelling a deploy
        assert job["environment"]["name"] == env
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
        # AND applies the saved plan (never plan inside apply), reports it, then the canary
        apply_index = step_index(
            job, '.ci/invoke apply --env="$SFP_ENV" --allow-destroy="$ALLOW_DESTROY"'
        )
        assert step_index(job, '.ci/invoke apply-report --env="$SFP_ENV"') > apply_index
        assert step_index(job, '.ci/invoke smoke --env="$SFP_ENV"') > apply_index
        # AND uses the zip built once, not a rebuild
        assert not any(r.startswith(".ci/invoke build") for r in runs_of(job))
        assert uses({"jobs": {job_id: job}}, "actions/download-artifact")


@pytest.mark.parametrize("job_id", ["dev", "staging", "prod"])
def test_apply_results_are_reported_in_the_summary_and_on_the_pr(job_id: str) -> None:
    # GIVEN a deploy job
    job = load("deploy.yml")["jobs"][job_id]
    by_id = {s.get("id"): s for s in job["steps"] if s.get("id")}
    # THEN the apply report runs after a failed apply too (with its log), into the summary…
    report = by_id["report"]
    assert report["if"] == "${{ !cancelled() && steps.apply.outcome != 'skipped' }}"
    assert '--failed-log=".work/ci/apply-$SFP_ENV.log"' in report["run"]
    assert "GITHUB_STEP_SUMMARY" in report["run"]
    # …and on the merged pull request
    (post,) = [s for s in job["steps"] if "github-script" in s.get("uses", "")]
    assert "tooling/gitops/js/apply_report.cjs" in post["with"]["script"]
    assert post["if"] == "${{ !cancelled() && steps.report.outcome == 'success' }}"
    assert job["permissions"]["pull-requests"] == "write"


@pytest.mark.parametrize("job_id", ["dev", "staging"])
def test_dev_and_staging_show_then_apply_the_same_plan_in_one_job(job_id: str) -> None:
    # GIVEN the dev/staging job / THEN plan → summary → apply run in that order in the same job
    job = load("deploy.yml")["jobs"][job_id]
    plan = step_index(job, '.ci/invoke plan --env="$SFP_ENV"')
    summary = step_index(job, "GITHUB_STEP_SUMMARY")
    apply = step_index(job, ".ci/invoke apply ")
    assert plan < summary < apply


def test_prod_applies_only_the_plan_that_was_approved_and_no_secret_leaves_a_job() -> None:
    # GIVEN the prod plan job and the approval-gated prod job
    jobs = load("deploy.yml")["jobs"]
    plan_job, prod = jobs["prod-plan"], jobs["prod"]
    # THEN the plan job plans, shows it, guards it and records it for review
    plan = step_index(plan_job, '.ci/invoke plan --env="$SFP_ENV"')
    summary = step_index(plan_job, "GITHUB_STEP_SUMMARY")
    guard = step_index(plan_job, ".ci/invoke guard")
    record = step_index(plan_job, ".ci/invoke plan-record")
    assert plan < summary < guard < record
    # AND only the record (no secrets) leaves the job: never the saved plan or its JSON/text
    (_, upload), *_ = uses({"jobs": {"p": plan_job}}, "actions/upload-artifact")
    assert upload["with"]["name"] == "prod-reviewed-plan"
    assert upload["with"]["path"] == ".work/prod/reviewed-plan.json"
    for forbidden in ("tfplan", "plan.txt", "plan-comment"):
        assert forbidden not in upload["with"]["path"]
    # AND the prod job downloads the record (an expired one reaches plan-verify, which says so),
    # plans again with the apply role, verifies, and only then applies
    downloads = {
        s["with"]["name"]: s for _, s in uses({"jobs": {"p": prod}}, "actions/download-artifact")
    }
    assert set(downloads) == {"handler-zip", "prod-reviewed-plan"}
    assert downloads["prod-reviewed-plan"]["continue-on-error"] is True
    replan = step_index(prod, '.ci/invoke plan --env="$SFP_ENV"')
    verify = step_index(
        prod,
        '.ci/invoke plan-verify --env="$SFP_ENV" --reviewed=.work/reviewed/reviewed-plan.json',
    )
    apply = step_index(prod, ".ci/invoke apply ")
    assert replan < verify < apply
    assert prod["environment"]["name"] == "prod"
    assert plan_job["environment"]["name"] == "prod-plan"


# Verified pins: the commit each version tag points to in the action's own repository (read
# from the tag refs of a stored copy of each repository, 2026-12-02), every one on a major
# whose action.yml says `using: node24` (GitHub is retiring Node 20 actions).
VERIFIED_PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "actions/setup-python": ("5fda3b95a4ea91299a34e894583c3862153e4b97", "v7.0.0"),
    "actions/setup-node": ("820762786026740c76f36085b0efc47a31fe5020", "v7.0.0"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
    "actions/download-artifact": ("3e5f45b2cfb9172054b4087a40e8e0b5a5461e7c", "v8.0.1"),
    "actions/github-script": ("ed597411d8f924073f98dfc5c65a23a2325f34cd", "v8.0.0"),
    "hashicorp/setup-terraform": ("dfe3c3f87815947d99a8997f908cb6525fc44e9e", "v4.0.1"),
    "aws-actions/configure-aws-credentials": (
        "e6de054238d6b7531b4efff3b6587d9aade6a06c",
        "v6.2.3",
    ),
    "github/codeql-action/upload-sarif": ("8aad20d150bbac5944a9f9d289da16a4b0d87c1e", "v4.36.2"),
}


@pytest.mark.parametrize("name", NAMES)
def test_every_action_is_a_verified_pin(name: str) -> None:
    # GIVEN every `uses:` line / THEN it is one of the verified SHA + version pairs
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    for line in text.splitlines():
        match = re.search(r"uses: (\S+)@([0-9a-f]{40}) # (v\S+)$", line)
        if "uses:" not in line:
            continue
        assert match, f"{name}: {line.strip()}"
        action, sha, version = match.groups()
        assert VERIFIED_PINS.get(action) == (sha, version), f"{name}: {line.strip()}"


def test_drift_workflow_plans_each_env_and_manages_issues() -> None:
    # GIVEN drift.yml
    workflow = load("drift.yml")
    job = workflow["jobs"]["drift"]
    # THEN it runs on a schedule and by hand, for each real env, with issues: write
    assert set(workflow["on"]) == {"schedule", "workflow_dispatch"}
    assert workflow["on"]["schedule"][0]["cron"]
    assert job["strategy"]["matrix"]["env"] == ["dev", "staging", "prod"]
    assert job["permissions"]["issues"] == "write"
    assert "pull-requests" not in job["permissions"]
    runs = "\n".join(runs_of(job))
    # AND it plans, maps the detailed exit code (0/2) to an output, and renders the plan
    assert '.ci/invoke plan --env="$SFP_ENV"' in runs
    assert '.ci/invoke drift-check --env="$SFP_ENV"' in runs
    assert 'echo "drifted=true"' in runs
    (_, script), *_ = uses(workflow, "actions/github-script")
    assert "tooling/gitops/js/drift_issue.cjs" in script["with"]["script"]
    assert script["env"]["DRIFTED"] == "${{ steps.drift.outputs.drifted }}"


@pytest.mark.parametrize("name", NAMES)
def test_every_run_step_goes_through_the_invoke_front_door(name: str) -> None:
    # GIVEN every run step / THEN project work is an invoke task (shell only glues files)
    for job_id, step in steps(load(name)):
        code = step.get("run", "")
        for word in ("terraform ", "pytest", "checkov ", "ruff ", "pip "):
            assert word not in code, f"{name}:{job_id} runs {word.strip()} directly"
