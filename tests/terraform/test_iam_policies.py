"""The IAM policy proofs of `invoke check`: the rendered stacks and the parliament step."""

from __future__ import annotations

import json

import pytest

from tooling.checks import iam_policies, rendered_stack
from tooling.checks.rendered_stack import EnvFacts, RenderedStack, Resource
from tooling.core import envs
from tooling.core.errors import ToolingError

FACTS = EnvFacts(region="eu-west-1", account_id="111111111111", partition="aws")
GOOD = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "ReadUploads",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::sfp-uploads/*",
        }
    ],
}
# s3:GetObject on a bucket ARN: an object action on a resource it cannot apply to.
BAD = {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "Read", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}
    ],
}


def stack_with(document: dict) -> RenderedStack:
    address = 'module.compute.aws_iam_role_policy.function["api"]'
    values = {"policy": json.dumps(document), "role": "sfp-api"}
    return RenderedStack(
        env="dev",
        facts=FACTS,
        resources={address: Resource(address, "aws_iam_role_policy", "managed", values)},
    )


def test_parliament_reports_a_bad_policy_and_passes_a_good_one():
    # GIVEN an object action on a bucket ARN, and the same action on objects
    # WHEN each is linted / THEN only the first has a finding
    assert [issue for issue, _ in iam_policies.lint(BAD)] == ["RESOURCE_MISMATCH"]
    assert iam_policies.lint(GOOD) == []


def test_check_fails_on_a_finding_and_names_env_policy_and_issue(monkeypatch, tmp_path):
    # GIVEN a rendered stack whose role policy has a finding, and no accepted findings
    monkeypatch.setattr(
        rendered_stack, "render_stacks", lambda _mirror=None: {"dev": stack_with(BAD)}
    )
    monkeypatch.setattr(iam_policies, "IGNORES_PATH", tmp_path / "none.yaml")
    # WHEN the step runs / THEN it fails naming where and what
    with pytest.raises(ToolingError) as raised:
        iam_policies.check()
    assert 'dev: module.compute.aws_iam_role_policy.function["api"].policy: RESOURCE_MISMATCH' in (
        raised.value.message
    )


def test_check_passes_a_clean_stack(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(
        rendered_stack, "render_stacks", lambda _mirror=None: {"dev": stack_with(GOOD)}
    )
    monkeypatch.setattr(iam_policies, "IGNORES_PATH", tmp_path / "none.yaml")
    iam_policies.check()
    assert "1 identity policies in 1 envs, 0 findings" in capsys.readouterr().out


def test_an_accepted_finding_needs_a_reason_and_must_still_occur(tmp_path):
    # GIVEN an entry without a reason / THEN it is refused
    path = tmp_path / "parliament.yaml"
    path.write_text("ignores:\n  - policy: '*'\n    issue: RESOURCE_MISMATCH\n")
    with pytest.raises(ToolingError, match="has no reason"):
        iam_policies.load_ignores(path)
    # GIVEN an entry with a reason / WHEN judged against findings
    path.write_text("ignores:\n  - policy: '*api*'\n    issue: RESOURCE_MISMATCH\n    reason: r\n")
    ignores = iam_policies.load_ignores(path)
    finding = iam_policies.Finding("dev", 'x.function["api"].policy', "RESOURCE_MISMATCH", "")
    # THEN it accepts its finding, and is reported once the finding is gone
    assert iam_policies.judge([finding], ignores) == ([], [])
    assert iam_policies.judge([], ignores) == ([], ignores)


def test_the_shipped_ignores_file_is_valid():
    for ignore in iam_policies.load_ignores():
        assert ignore.reason.strip()


def test_assigned_values_are_what_aws_assigns():
    bucket = rendered_stack.assigned_values("aws_s3_bucket", "a", {"bucket": "b-1"}, FACTS)
    assert bucket["arn"] == "arn:aws:s3:::b-1"
    group = rendered_stack.assigned_values(
        "aws_cloudwatch_log_group", "a", {"name": "/aws/lambda/f"}, FACTS
    )
    assert group["arn"] == "arn:aws:logs:eu-west-1:111111111111:log-group:/aws/lambda/f"
    key = rendered_stack.assigned_values(
        "aws_kms_key", "module.storage.aws_kms_key.this", {}, FACTS
    )
    assert key["arn"] == f"arn:aws:kms:eu-west-1:111111111111:key/{key['key_id']}"
    again = rendered_stack.assigned_values(
        "aws_kms_key", "module.storage.aws_kms_key.this", {}, FACTS
    )
    assert again == key  # reproducible
    role = rendered_stack.assigned_values("aws_iam_role", "a", {"name": "r", "path": "/"}, FACTS)
    assert role["arn"] == "arn:aws:iam::111111111111:role/r"
    function = rendered_stack.assigned_values(
        "aws_lambda_function", "a", {"function_name": "f"}, FACTS
    )
    assert function["invoke_arn"] == (
        "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/"
        "arn:aws:lambda:eu-west-1:111111111111:function:f/invocations"
    )
    assert rendered_stack.assigned_values("aws_s3_bucket_policy", "a", {}, FACTS) == {}


@pytest.fixture(scope="module")
def stacks():
    return rendered_stack.render_stacks()


def test_every_env_is_rendered_with_its_own_account_and_region(stacks):
    # GIVEN the env roots / WHEN rendered / THEN each env's stack, in its own account and region
    assert set(stacks) == set(envs.ENVS)
    for env, stack in stacks.items():
        facts = rendered_stack.env_facts(envs.env_root(env))
        assert stack.facts == facts
        # every identity policy the roots create: both roles, the uploader, API Gateway's role
        assert sorted(stack.identity_policies()) == [
            "module.api.aws_iam_role_policy.cloudwatch[0].policy",
            'module.compute.aws_iam_role_policy.function["api"].policy',
            'module.compute.aws_iam_role_policy.function["processor"].policy',
            "module.storage.aws_iam_policy.uploader[0].policy",
        ]


def test_rendered_policies_name_only_real_arns_of_their_env(stacks):
    # THEN no placeholder is left: every resource is "*" or an ARN of the env's partition and,
    # where an ARN has one, the env's region and account
    for stack in stacks.values():
        f = stack.facts
        for name, document in {**stack.identity_policies(), **stack.resource_policies()}.items():
            for statement in document["Statement"]:
                resources = statement.get("Resource", [])
                for resource in resources if isinstance(resources, list) else [resources]:
                    if resource == "*":
                        continue
                    parts = resource.split(":", 5)
                    assert parts[:2] == ["arn", f.partition], (name, resource)
                    assert parts[3] in ("", f.region), (name, resource)
                    assert parts[4] in ("", f.account_id), (name, resource)
