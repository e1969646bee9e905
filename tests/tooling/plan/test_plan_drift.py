"""What the plan model reports as drift: objects changed outside Terraform that a reviewer must see,
not the refresh noise every real plan carries (sibling-managed attributes, zero values)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from plan_fixtures import load_fixture

from tooling.plan import model


def drift_of(plan: dict[str, Any]) -> dict[str, list[str]]:
    return {entry.address: names for entry, names in model.parse_plan(plan).real_drift}


def test_a_real_stacks_refresh_noise_is_not_drift():
    # GIVEN a plan of the real product on the emulator: the refresh lists 9 objects whose
    # attributes are managed by sibling resources (bucket policy, versioning, encryption, the
    # roles' inline policies) or read back as 0 for null (alarm metric periods)
    plan = load_fixture("local_code_only")
    assert len(plan["resource_drift"]) >= 9
    # WHEN the drift is read THEN none of it counts: Terraform shows none of it either
    assert drift_of(plan) == {}


def test_configured_attributes_changed_outside_are_drift_reverted_or_not():
    # GIVEN a bucket retagged and a topic deleted behind Terraform's back
    found = drift_of(load_fixture("drift"))
    # THEN both are drift, as is the retag the configuration ignores
    assert found == {
        "aws_s3_bucket.data": ["tags", "tags_all"],
        "aws_s3_bucket.logs": ["tags", "tags_all"],
        "aws_sns_topic.alerts": [],
    }


def test_an_unconfigured_attribute_counts_only_when_the_plan_changes_it_or_depends_on_it():
    # GIVEN the drift plan, with the data bucket's `policy` also changed outside Terraform
    plan = copy.deepcopy(load_fixture("drift"))
    (entry,) = [e for e in plan["resource_drift"] if e["address"] == "aws_s3_bucket.data"]
    entry["change"]["after"]["policy"] = '{"Statement":[]}'
    # WHEN read THEN `policy` (set by no configuration here) is not drift
    assert drift_of(plan)["aws_s3_bucket.data"] == ["tags", "tags_all"]
    # AND it is once another change depends on it (Terraform's relevant_attributes)
    plan["relevant_attributes"] = [{"resource": "aws_s3_bucket.data", "attribute": ["policy"]}]
    assert drift_of(plan)["aws_s3_bucket.data"] == ["policy", "tags", "tags_all"]


@pytest.mark.parametrize(
    ("before", "after", "drifted"),
    [(None, 0, False), (None, "", False), (None, False, False), (10, 0, True), (None, 5, True)],
)
def test_zero_values_read_back_for_null_are_not_drift(before: Any, after: Any, drifted: bool):
    # GIVEN a configured attribute whose refresh turned `before` into `after`
    plan = copy.deepcopy(load_fixture("drift"))
    (entry,) = [e for e in plan["resource_drift"] if e["address"] == "aws_s3_bucket.data"]
    entry["change"]["before"]["tags"] = entry["change"]["after"]["tags"]
    entry["change"]["before"]["tags_all"] = entry["change"]["after"]["tags_all"]
    entry["change"]["before"]["force_destroy"] = before
    entry["change"]["after"]["force_destroy"] = after
    resource = plan["configuration"]["root_module"]["resources"][0]
    resource["expressions"]["force_destroy"] = {"constant_value": False}
    # THEN only a real value change is drift
    assert ("aws_s3_bucket.data" in drift_of(plan)) is drifted


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("aws_s3_bucket.data", "aws_s3_bucket.data"),
        (
            'module.compute.aws_lambda_function.this["api"]',
            "module.compute.aws_lambda_function.this",
        ),
        ('module.a["x.y"].module.b[0].aws_t.n["k[1]"]', "module.a.module.b.aws_t.n"),
    ],
)
def test_instance_addresses_map_to_their_configuration_block(address: str, block: str):
    assert model.config_address(address) == block
