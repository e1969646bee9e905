from __future__ import annotations

import json
from pathlib import Path

import pytest

from tooling.core.errors import ToolingError
from tooling.plan.summary import load, summarize

PLANS = Path(__file__).parent / "fixtures" / "minimal"


def test_create_plan_counts_every_resource_as_add():
    # GIVEN a real plan from an empty state WHEN summarised
    summary = load(PLANS / "plan_create.json")
    # THEN each resource is an add and nothing is destructive
    assert summary.add == (
        "terraform_data.delete[0]",
        "terraform_data.keep",
        "terraform_data.replace",
        "terraform_data.replace_cbd",
        "terraform_data.update",
    )
    assert summary.one_line() == "5 to add, 0 to change, 0 to destroy; outputs: phase"
    assert summary.is_destructive is False


def test_no_change_plan_says_so():
    summary = load(PLANS / "plan_no_changes.json")
    assert summary.has_changes is False
    assert summary.one_line() == "no changes"


def test_mixed_plan_counts_replacements_once_in_either_order():
    # GIVEN a real plan with creates, an update, a delete, and both kinds of replacement
    summary = load(PLANS / "plan_mixed.json")
    # THEN replacements (delete-then-create and create-before-destroy) are listed under replace,
    # and counted the way Terraform counts them: each is one to add and one to destroy
    assert summary.add == ("terraform_data.create[0]", "terraform_data.create[1]")
    assert summary.change == ("terraform_data.update",)
    assert summary.destroy == ("terraform_data.delete[0]",)
    assert summary.replace == ("terraform_data.replace", "terraform_data.replace_cbd")
    assert (
        summary.one_line() == "4 to add, 1 to change, 3 to destroy (2 replacements); outputs: phase"
    )
    assert summary.is_destructive is True
    assert summary.destructive_lines() == [
        "  - destroy terraform_data.delete[0]",
        "  ± replace terraform_data.replace",
        "  ± replace terraform_data.replace_cbd",
    ]


def test_destroy_plan_lists_every_resource():
    summary = load(PLANS / "plan_destroy.json")
    assert len(summary.destroy) == 5
    assert summary.add == summary.change == summary.replace == ()
    # the output goes away too
    assert summary.outputs_changed == ("phase",)


def test_aws_plan_shows_the_bucket_replacement():
    # GIVEN a real AWS-provider plan (against moto) renaming the bucket
    summary = load(PLANS / "plan_aws_replace.json")
    # THEN the bucket is a replace, the retagged topic a change, the dropped topic a destroy
    assert summary.replace == ("aws_s3_bucket.uploads",)
    assert summary.change == ("aws_sns_topic.results",)
    assert summary.destroy == ("aws_sns_topic.alerts[0]",)
    assert summary.one_line() == "1 to add, 1 to change, 2 to destroy (1 replacement)"


def test_outputs_only_change_is_reported():
    # GIVEN a plan (from before the `applyable` field) in which only an output changes
    plan = {"resource_changes": [], "output_changes": {"api_url": {"actions": ["update"]}}}
    summary = summarize(plan)
    # THEN it has changes (-detailed-exitcode 2) and names the output
    assert summary.has_changes is True
    assert summary.one_line() == "0 to add, 0 to change, 0 to destroy; outputs: api_url"


def test_missing_plan_json_says_run_plan(tmp_path):
    with pytest.raises(ToolingError, match="no plan JSON at") as error:
        load(tmp_path / "tfplan.json")
    assert "invoke plan" in error.value.hint


def test_not_a_plan_is_rejected(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"format_version": "1.0", "values": {}}))
    with pytest.raises(ToolingError, match="not a Terraform plan"):
        load(path)
