"""Apply reports (job summary + merged PR) and the CI backend settings."""

from __future__ import annotations

import pytest
from plan_fixtures import fixture_log, load_fixture, scenario_variables

from tooling.core.errors import ToolingError
from tooling.gitops import apply_report, backend, comment
from tooling.plan.model import parse_plan

RUN = comment.RunInfo(commit="a" * 40, run_url="https://github.com/acme/sfp/actions/runs/7")


def test_a_successful_apply_reports_counts_artifact_and_redacted_outputs() -> None:
    # GIVEN the applied output-only plan and the outputs Terraform reports afterwards
    plan = parse_plan(load_fixture("output_only"))
    token = scenario_variables("output_only")["api_token"]
    outputs = {
        "greeting": {"value": "hello, world", "sensitive": False},
        "api_token": {"value": token, "sensitive": True},
        "region": {"value": "eu-west-1", "sensitive": False},
        "webhook_secret_arn": {"value": "arn:aws:secretsmanager:x", "sensitive": False},
    }
    # WHEN the report is rendered
    body = apply_report.render_success("dev", plan, outputs, "ab" * 32, run=RUN)
    # THEN it is the env's report with Terraform's apply wording, the artifact and the outputs
    assert body.split("\n")[0] == "<!-- sfp-apply:dev -->"
    assert "## ✅ Applied to `dev`" in body
    assert (
        "**Apply complete! Resources: 0 added, 0 changed, 0 destroyed. (3 output(s) changed)**"
        in body
    )
    assert f"sha256 `{'ab' * 32}`" in body
    assert "| `greeting` | `hello, world` |" in body
    # AND sensitive or secret-named outputs are never shown
    assert token not in body
    assert "| `api_token` | _(sensitive)_ |" in body
    assert "| `webhook_secret_arn` | _(sensitive)_ |" in body
    assert "[workflow run](https://github.com/acme/sfp/actions/runs/7)" in body


def test_applied_counts_use_terraforms_words() -> None:
    # GIVEN real plans with a replacement, an import and a forget
    assert apply_report.applied_line(parse_plan(load_fixture("replace"))) == (
        "Resources: 2 added, 1 changed, 2 destroyed. (2 of them replaced; 1 output(s) changed)"
    )
    assert apply_report.applied_line(parse_plan(load_fixture("import"))).startswith(
        "Resources: 1 imported, 0 added"
    )
    assert "1 forgotten" in apply_report.applied_line(parse_plan(load_fixture("forget")))


def test_a_failed_apply_says_so_with_the_redacted_error() -> None:
    # GIVEN the log of a failed run holding a secret in a diagnostic
    log = fixture_log("errored")
    token = scenario_variables("errored")["webhook_token"]
    # WHEN reported
    body = apply_report.render_failure("staging", log, parse_plan(load_fixture("errored")), run=RUN)
    # THEN it says the apply failed, with Terraform's error and without the secret
    assert "## ❌ Apply to `staging` failed" in body
    assert "Error: Resource precondition failed" in body
    assert token not in body


def test_backend_settings_for_an_env() -> None:
    text = backend.backend_hcl("prod", "acme-tf-state", "eu-west-1")
    assert 'key          = "serverless-file-processor/prod/terraform.tfstate"' in text
    assert "use_lockfile = true" in text
    assert "encrypt      = true" in text


@pytest.mark.parametrize(
    ("env", "bucket", "region", "message"),
    [
        ("dev", "", "eu-west-1", "not a valid S3 bucket name"),
        ("dev", "Bad_Bucket", "eu-west-1", "not a valid S3 bucket name"),
        ("dev", "acme-state", "", "not an AWS region"),
        ("dev", 'x" \n bucket = "evil', "eu-west-1", "not a valid S3 bucket name"),
        ("local", "acme-state", "eu-west-1", "no S3 backend"),
    ],
)
def test_bad_backend_settings_are_refused(env: str, bucket: str, region: str, message: str) -> None:
    with pytest.raises(ToolingError, match=message):
        backend.backend_hcl(env, bucket, region)
