"""Least-privilege probes: refused calls pass, allowed ones fail; both paths (emulator, AWS).

The emulator path makes real calls under STS sessions of the roles, here against moto's own IAM
enforcement (switched on after the setup); moto checks S3 with real ARNs and SNS/DynamoDB
against ``*`` — enough to see a refused call pass the check and an allowed one fail it.
The AWS path asks IAM's policy simulator, stubbed here with botocore's Stubber.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from botocore.stub import Stubber
from moto import settings as moto_settings
from moto.core.responses import ActionAuthenticatorMixin
from stack_fixtures import BUCKET, SUFFIX, deployed_env

from tooling.canary import least
from tooling.canary.probes import PROBES, upload

if TYPE_CHECKING:
    import pytest

    from tooling.stack.deployment import Deployment

RUN_KEY = "smoke/t1/least-privilege-probe.txt"


def _grant(iam: Any, role: str, *statements: dict[str, Any]) -> None:
    iam.put_role_policy(
        RoleName=f"sfp-{role}-{SUFFIX}",
        PolicyName="grants",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
    )


READ_UPLOADS = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"}
KMS = {"Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"], "Resource": "*"}


def _run(aws: dict[str, Any], stack: Deployment, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Upload a probe, assume the roles, switch IAM enforcement on, make the probe calls."""
    aws["s3"].put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    probe = upload(aws["s3"], BUCKET, "smoke/t1/", PROBES[0])
    # The tooling's own credentials are never checked by the emulator; moto checks everyone.
    tooling = {name: Unchecked(client, monkeypatch) for name, client in aws.items()}
    deployed = deployed_env(tooling, stack, env="local", endpoint="http://unused")
    sessions = {
        role: _moto_session(aws, arn) for role, arn in least.function_roles(deployed).items()
    }
    tried = least.probes(deployed, probe, RUN_KEY)
    monkeypatch.setattr(
        moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", ActionAuthenticatorMixin.request_count
    )
    checks = least.call_checks(tried, sessions)
    monkeypatch.setattr(moto_settings, "INITIAL_NO_AUTH_ACTION_COUNT", float("inf"))
    return {check.name: check for check in checks}


class Unchecked:
    """A client whose calls moto does not check (as the emulator never checks the tooling)."""

    def __init__(self, client: Any, monkeypatch: pytest.MonkeyPatch) -> None:
        self._client, self._monkeypatch = client, monkeypatch

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._client, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            before = moto_settings.INITIAL_NO_AUTH_ACTION_COUNT
            moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = float("inf")
            try:
                return method(*args, **kwargs)
            finally:
                moto_settings.INITIAL_NO_AUTH_ACTION_COUNT = before

        return call


def _moto_session(aws: dict[str, Any], role_arn: str) -> Any:
    """A client factory on an STS session of the role, in-process (no endpoint)."""
    import boto3

    credentials = aws["sts"].assume_role(RoleArn=role_arn, RoleSessionName="test-least")[
        "Credentials"
    ]
    session = boto3.Session(
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
        region_name="us-east-1",
    )
    return lambda service: session.client(service)


def test_least_privileged_roles_pass_every_probe(
    aws: dict[str, Any], stack: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN roles that may read uploads and nothing the probes try
    _grant(aws["iam"], "processor", READ_UPLOADS, KMS)
    _grant(aws["iam"], "api", READ_UPLOADS, KMS)
    # WHEN the probes run under their sessions
    checks = _run(aws, stack, monkeypatch)
    # THEN the refusals and the read controls all pass
    assert [(name, c.detail) for name, c in checks.items() if not c.passed] == []
    assert checks["least privilege: processor cannot s3:PutObject"].detail.startswith(
        "AccessDenied under the role's session"
    )
    assert (
        checks["least privilege: api may s3:GetObject"].detail == "allowed under the role's session"
    )
    assert len(checks) == 8


def test_a_role_allowed_too_much_fails_and_what_it_did_is_undone(
    aws: dict[str, Any], stack: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a processor that may write uploads and an api that may do anything in DynamoDB
    _grant(
        aws["iam"],
        "processor",
        READ_UPLOADS,
        KMS,
        {"Effect": "Allow", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{BUCKET}/*"},
    )
    _grant(
        aws["iam"],
        "api",
        READ_UPLOADS,
        KMS,
        {"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"},
    )
    aws["dynamodb"].create_table(
        TableName=stack.idempotency_table_name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    # WHEN the probes run
    checks = _run(aws, stack, monkeypatch)
    # THEN those two fail, saying the role is too broad
    put = checks["least privilege: processor cannot s3:PutObject"]
    assert (put.passed, put.detail) == (False, "allowed under the role's session: too broad")
    assert not checks["least privilege: api cannot dynamodb:PutItem"].passed
    assert not checks["least privilege: api cannot dynamodb:UpdateItem"].passed
    assert not checks["least privilege: api cannot dynamodb:DeleteItem"].passed
    # AND the others still pass
    assert checks["least privilege: processor cannot sns:Publish"].passed
    # AND the object it wrote and the item it put were removed again
    keys = [v["Key"] for v in aws["s3"].list_object_versions(Bucket=BUCKET).get("Versions", [])]
    assert RUN_KEY not in keys
    assert aws["dynamodb"].scan(TableName=stack.idempotency_table_name)["Items"] == []


def test_a_broken_session_fails_the_controls(
    aws: dict[str, Any], stack: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN roles without even the read they need (or a session the service refuses)
    _grant(aws["iam"], "processor", KMS)
    _grant(aws["iam"], "api", KMS)
    checks = _run(aws, stack, monkeypatch)
    # THEN the controls fail: "refused" everything proves nothing
    control = checks["least privilege: processor may s3:GetObject"]
    assert (control.passed, control.detail) == (
        False,
        "AccessDenied under the role's session: the role lacks it",
    )


def test_on_aws_the_policy_simulator_decides(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN an env in AWS (no endpoint): the roles cannot be assumed by people
    aws["s3"].put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    probe = upload(aws["s3"], BUCKET, "smoke/t1/", PROBES[0])
    deployed = deployed_env(aws, stack, env="prod")
    roles = least.function_roles(deployed)
    decisions = {
        ("processor", "s3:GetObject"): "allowed",
        ("processor", "s3:PutObject"): "implicitDeny",
        ("processor", "sns:Publish"): "allowed",  # too broad: this one must fail
        ("api", "s3:GetObject"): "allowed",
        ("api", "sns:Publish"): "explicitDeny",
        ("api", "dynamodb:PutItem"): "implicitDeny",
        ("api", "dynamodb:UpdateItem"): "implicitDeny",
        ("api", "dynamodb:DeleteItem"): "implicitDeny",
    }
    stubber = Stubber(aws["iam"])
    for item in least.probes(deployed, probe, RUN_KEY):
        stubber.add_response(
            "simulate_principal_policy",
            {
                "EvaluationResults": [
                    {
                        "EvalActionName": item.action,
                        "EvalDecision": decisions[(item.role, item.action)],
                    }
                ]
            },
            {
                "PolicySourceArn": roles[item.role],
                "ActionNames": [item.action],
                "ResourceArns": [item.resource_arn],
            },
        )
    # WHEN the probes are evaluated
    with stubber:
        checks = {c.name: c for c in least.least_privilege_checks(deployed, [probe], RUN_KEY)}
    # THEN the simulator's decisions are compared with least privilege, nothing was called
    stubber.assert_no_pending_responses()
    publish = checks["least privilege: processor cannot sns:Publish"]
    assert (publish.passed, publish.detail) == (False, "policy simulator: allowed: the role has it")
    assert (
        checks["least privilege: api cannot sns:Publish"].detail == "policy simulator: explicitDeny"
    )
    assert sum(c.passed for c in checks.values()) == 7
    # AND the resources are the real ARNs
    resources = {(p.role, p.action): p.resource_arn for p in least.probes(deployed, probe, RUN_KEY)}
    assert resources[("api", "dynamodb:PutItem")] == stack.table_arn()
    assert resources[("processor", "sns:Publish")] == stack.alerts_topic_arn
    assert resources[("api", "sns:Publish")] == stack.results_topic_arn
