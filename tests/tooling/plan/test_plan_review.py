"""The reviewed plan: recorded without secrets, and an apply refused unless it is the same plan."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from plan_fixtures import LIFECYCLE, SCENARIOS, load_fixture, scenario_variables

from tooling.core.errors import ToolingError
from tooling.plan import review
from tooling.plan.model import parse_plan

if TYPE_CHECKING:
    from pathlib import Path

COMMIT = "0123456789abcdef0123456789abcdef01234567"


def written(tmp_path: Path, scenario: str, env: str = "prod") -> Path:
    path = tmp_path / "reviewed-plan.json"
    path.write_text(review.record(parse_plan(load_fixture(scenario)), env, COMMIT).to_json())
    return path


def test_the_same_plan_verifies(tmp_path: Path) -> None:
    # GIVEN the record of the drift plan, read back from its artifact file
    record = review.read_record(written(tmp_path, "drift"))
    # WHEN the same plan is verified after approval / THEN it passes and says so
    line = review.verify(parse_plan(load_fixture("drift")), record, "prod", COMMIT)
    assert "matches the reviewed plan" in line
    assert "1 to add, 1 to change, 0 to destroy" in line


@pytest.mark.parametrize("scenario", [*SCENARIOS, *LIFECYCLE])
def test_the_record_holds_no_secret_value(tmp_path: Path, scenario: str) -> None:
    # GIVEN every fake secret of every scenario
    secrets = {
        value
        for name in (*SCENARIOS, *LIFECYCLE)
        for key, value in scenario_variables(name).items()
        if key in {"db_password", "webhook_token", "session_salt", "api_token"}
    }
    # WHEN a plan is recorded (the artifact anyone who reads the repo can download)
    text = written(tmp_path, scenario).read_text()
    # THEN none of them is in it
    for secret in secrets:
        assert secret not in text


def test_a_different_plan_is_refused_naming_what_differs(tmp_path: Path) -> None:
    # GIVEN the approved drift plan (retag reverted, topic re-created)
    record = review.read_record(written(tmp_path, "drift"))
    # WHEN the plan made after approval is another one (here: the ignored-drift plan)
    with pytest.raises(ToolingError, match="not the plan that was approved") as error:
        review.verify(parse_plan(load_fixture("drift_ignored")), record, "prod", COMMIT)
    # THEN nothing is applied and the differing resources are named
    assert "- resource aws_s3_bucket.data no longer changes" in str(error.value)
    assert "- resource aws_sns_topic.alerts no longer changes" in str(error.value)
    assert "Re-run the deploy workflow" in error.value.hint


def test_a_changed_value_is_refused(tmp_path: Path) -> None:
    # GIVEN the approved drift plan / WHEN one planned value differs (a tag) at apply time
    record = review.read_record(written(tmp_path, "drift"))
    changed = load_fixture("drift")
    for entry in changed["resource_changes"]:
        if entry["address"] == "aws_s3_bucket.data":
            entry["change"]["after"]["tags"]["Owner"] = "someone-else"
    # THEN it is refused, naming the resource whose values differ
    with pytest.raises(ToolingError, match=r"aws_s3_bucket\.data \(its values differ\)"):
        review.verify(parse_plan(changed), record, "prod", COMMIT)


def test_an_expired_artifact_says_so(tmp_path: Path) -> None:
    # GIVEN an approval given after the artifact's retention: the download found nothing
    with pytest.raises(ToolingError, match="Artifacts are deleted when their retention ends") as e:
        review.read_record(tmp_path / "reviewed" / "reviewed-plan.json")
    # THEN the hint says how to get a plan reviewed again
    assert "re-run the deploy workflow" in e.value.hint


def test_another_commit_or_env_is_refused(tmp_path: Path) -> None:
    record = review.read_record(written(tmp_path, "move"))
    plan = parse_plan(load_fixture("move"))
    with pytest.raises(ToolingError, match="made for commit 0123456789ab"):
        review.verify(plan, record, "prod", "f" * 40)
    with pytest.raises(ToolingError, match="is for prod, not staging"):
        review.verify(plan, record, "staging", COMMIT)


def test_a_record_of_another_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_text(json.dumps({"version": 99}))
    with pytest.raises(ToolingError, match="not a reviewed-plan record of version 1"):
        review.read_record(path)
