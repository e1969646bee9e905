"""The end of `deploy`: the outputs once, where the env runs, the next commands."""

from __future__ import annotations

from pathlib import Path

from tooling.deploy import report
from tooling.deploy.target import Target
from tooling.plan.model import Counts
from tooling.plan.summary import PlanSummary

OUTPUTS = {
    "api_url": "https://abc123.execute-api.us-east-1.amazonaws.com/v1/process",
    "uploads_bucket_name": "sfp-uploads-use1-local-123456789012",
    "region": "us-east-1",
}


def _target(env: str, *, emulated: bool) -> Target:
    environment = {"AWS_ENDPOINT_URL": "http://127.0.0.1:4623"} if emulated else {}
    return Target(env, Path("/r"), Path("/w"), emulated, environment=environment)


def test_a_local_deploy_reports_outputs_once_the_emulator_and_what_to_run_next():
    # GIVEN a local deploy that created two resources
    deployed = report.DeployReport(
        _target("local", emulated=True),
        OUTPUTS,
        True,
        PlanSummary(counts=Counts(add=2), add=("a", "b"), changes_present=True),
    )
    # WHEN rendered
    text = deployed.render()
    # THEN each output appears once, with the emulator endpoint and the env's moto account
    assert text.startswith("deployed local: 2 to add, 0 to change")
    assert text.count("uploads_bucket_name") == 1
    assert "emulator: http://127.0.0.1:4623 (moto account 123456789012" in text
    # AND the URL at which the emulator answers the API (docs/emulator.md, "API Gateway")
    assert (
        "API on the emulator: POST http://127.0.0.1:4623/_aws/execute-api/abc123/v1/process"
    ) in text
    # AND an upload command that works as printed, and the next commands
    assert (
        "aws --endpoint-url http://127.0.0.1:4623 s3 cp FILE "
        "s3://sfp-uploads-use1-local-123456789012/"
    ) in text
    for command in (
        ".ci/invoke smoke --env=local",
        ".ci/invoke local --event handler/events/s3-put-awkward-key.json",
        ".ci/invoke plan --env=local",
        ".ci/invoke emulator.stop",
    ):
        assert command in text


def test_an_emulated_real_env_is_named_with_its_flag_and_its_own_account():
    deployed = report.DeployReport(_target("prod", emulated=True), OUTPUTS, False)
    text = deployed.render()
    assert text.startswith("prod (emulated) was already up to date")
    assert ".ci/invoke smoke --env=prod --emulated" in text
    assert "moto account 123456789012" not in text  # prod lives in its own account
    assert "invoke local --event" not in text  # `invoke local` is for the local env


def test_an_api_url_the_emulator_cannot_translate_prints_no_local_url():
    outputs = {**OUTPUTS, "api_url": "https://api.example.com/process"}
    text = report.DeployReport(_target("local", emulated=True), outputs, False).render()
    assert "API on the emulator" not in text
    assert "emulator: http://127.0.0.1:4623" in text


def test_a_real_env_has_no_emulator_lines():
    text = report.DeployReport(
        _target("dev", emulated=False), OUTPUTS, True, PlanSummary()
    ).render()
    assert "emulator" not in text
    assert ".ci/invoke output --env=dev --json" in text
