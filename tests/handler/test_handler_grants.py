"""Calls versus grants: each function's execution role allows exactly what the function does.

For every env, the stack is rendered from the env root (tooling/checks/rendered_stack.py: the
real provider's policy JSON, the functions' real environment). The handler then runs its
scenarios against a moto account laid out like that stack (same account, region and names), with
the application each function would build, while a botocore hook records every AWS call its
clients make. Each call becomes IAM actions on resource ARNs (iam_grants.py: plus the KMS use
the services make for the caller, S3's 404-needs-ListBucket rule, and what Lambda itself does
with the role), and the role's rendered policies must allow each of them (nothing missing),
allow nothing else (nothing unused), and match no resource outside the stack (nothing broader).

What this cannot see: key policies and resource policies (the emulator's and the modules' own
tests cover those), conditions on the role's statements beyond what the evaluator models, and
calls no scenario makes — the scenarios are the handler's documented behaviours, listed below.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from aws_call_recorder import AwsCall, CallRecorder, failing_sends
from handler_support import LOGGER, METRICS, FakeContext, api_event, s3_event, s3_record
from iam_grants import (
    Need,
    api_function,
    functions,
    missing,
    needs_of_calls,
    needs_of_runtime,
    s3_notified_function,
    too_broad,
    unused,
)
from moto import mock_aws

from file_processor.application import build_application
from file_processor.aws import build_clients
from file_processor.config import load_config
from tooling.checks import rendered_stack
from tooling.core import envs

# Object sizes are the test's own (the rendered limits go up to 5 GiB): which calls are made
# does not depend on the limits' values, only on which side of them an object is.
SIZE_LIMITS = {"MAX_OBJECT_BYTES": "1024", "MAX_SYNC_OBJECT_BYTES": "512"}
SNS_INTERNAL_ERROR = (
    b"<ErrorResponse><Error><Type>Receiver</Type><Code>InternalError</Code>"
    b"<Message>try again</Message></Error><RequestId>1</RequestId></ErrorResponse>"
)
S3_SLOW_DOWN = b"<Error><Code>SlowDown</Code><Message>slow down</Message></Error>"


@pytest.fixture(scope="module")
def stacks() -> dict[str, rendered_stack.RenderedStack]:
    """Every env's rendered stack (cached under .work/rendered/ until Terraform changes)."""
    return rendered_stack.render_stacks()


@dataclass
class Run:
    """What one function did in its scenarios."""

    calls: list[AwsCall] = field(default_factory=list)
    raised: int = 0


@dataclass
class Account:
    """A moto account laid out like one env's stack."""

    stack: rendered_stack.RenderedStack
    s3: Any
    bucket: str
    kms_key: str
    versions: dict[str, str] = field(default_factory=dict)

    def put(self, key: str, body: bytes) -> str:
        """Upload as the stack's uploader must: SSE-KMS with the bucket's key."""
        response = self.s3.put_object(
            Bucket=self.bucket,
            Key=key,
            Body=body,
            ServerSideEncryption="aws:kms",
            SSEKMSKeyId=self.kms_key,
        )
        self.versions[key] = response["VersionId"]
        return response["VersionId"]


def _lay_out(
    stack: rendered_stack.RenderedStack, environments: list[dict[str, str]]
) -> dict[str, Account]:
    """The buckets, topics and tables the functions' environments name, once each; an
    :class:`Account` per bucket."""
    region = stack.facts.region
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    s3 = session.client("s3")
    location = {} if region == "us-east-1" else {"LocationConstraint": region}
    accounts = {}
    for bucket in sorted({environment["BUCKET_NAME"] for environment in environments}):
        s3.create_bucket(
            Bucket=bucket, **({"CreateBucketConfiguration": location} if location else {})
        )
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        keys = [
            rule["apply_server_side_encryption_by_default"][0]["kms_master_key_id"]
            for config in stack.of_type("aws_s3_bucket_server_side_encryption_configuration")
            if config.values["bucket"] == bucket
            for rule in config.values["rule"]
        ]
        accounts[bucket] = Account(stack=stack, s3=s3, bucket=bucket, kms_key=keys[0])
    for topic_arn in sorted({environment["TOPIC_ARN"] for environment in environments}):
        session.client("sns").create_topic(Name=topic_arn.rsplit(":", 1)[1])
    for table in sorted({environment["IDEMPOTENCY_TABLE"] for environment in environments}):
        session.client("dynamodb").create_table(
            TableName=table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return accounts


def _application(stack: rendered_stack.RenderedStack, environment: dict[str, str]) -> Any:
    region = stack.facts.region
    config = load_config(
        {**environment, **SIZE_LIMITS, "AWS_REGION": region, "AWS_DEFAULT_REGION": region}
    )
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    clients = build_clients(region, session=session)
    return build_application(config, clients=clients, logger=LOGGER, metrics=METRICS)


def _invoke(application: Any, event: Any, run: Run, recorder: CallRecorder) -> Any:
    """One invocation, its calls recorded; an invocation that raises is counted (Lambda would
    retry it, then hand it to the on-failure destination)."""
    clients = application.clients
    with recorder.attached(clients.s3, clients.sns, clients.dynamodb):
        try:
            return application.handle(event, FakeContext())
        except Exception:  # what Lambda does with any error: count it
            run.raised += 1
            return None
        finally:
            METRICS.clear_metrics()
            run.calls += recorder.calls
            recorder.calls.clear()


def _processor_scenarios(account: Account, application: Any) -> Run:
    """The S3 notification paths (docs/handler.md, "Results and delivery semantics")."""
    run, recorder = Run(), CallRecorder()
    bucket = account.bucket

    def notify(key: str, version: str | None, sequencer: str) -> Any:
        record = s3_record(key, version_id=version, sequencer=sequencer, bucket=bucket)
        return _invoke(application, s3_event(record), run, recorder)

    # processed, then the same delivery again (a duplicate: nothing published twice)
    version = account.put("a.txt", b"hello\n")
    assert notify("a.txt", version, "01")["processed"] == 1
    assert notify("a.txt", version, "01")["duplicates"] == 1
    # rejected: too large, and a record for another bucket (no read at all)
    version = account.put("big.bin", b"x" * 2048)
    assert notify("big.bin", version, "02")["rejected"] == 1
    other = s3_record("a.txt", version_id="v", sequencer="03", bucket="another-bucket")
    assert _invoke(application, s3_event(other), run, recorder)["rejected"] == 1
    # missing: the object was deleted before the event was processed (a 404 → rejected)
    assert notify("gone.txt", "3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY", "04")["rejected"] == 1
    # a record without a version id (a bucket whose versioning is suspended or off)
    account.put("plain.txt", b"plain\n")
    assert notify("plain.txt", None, "05")["processed"] == 1
    # transient: every attempt of the publish fails (the client retries), the invocation
    # raises; Lambda's retry publishes once
    version = account.put("c.txt", b"retry me\n")
    sns = application.clients.sns
    with failing_sends(sns, "Publish", times=100, status=500, body=SNS_INTERNAL_ERROR):
        assert notify("c.txt", version, "06") is None
    assert run.raised == 1
    assert notify("c.txt", version, "06")["processed"] == 1
    return run


def _api_scenarios(account: Account, application: Any) -> Run:
    """POST /process: success, with a version, 404, 413, 400 and a transient 503."""
    run, recorder = Run(), CallRecorder()

    def post(body: dict[str, Any] | str) -> int:
        text = body if isinstance(body, str) else json.dumps(body)
        return _invoke(application, api_event(text), run, recorder)["statusCode"]

    version = account.put("a.txt", b"hello\n")
    account.put("big.bin", b"x" * 1000)
    assert post({"key": "a.txt"}) == 200
    assert post({"key": "a.txt", "version_id": version}) == 200
    assert post({"key": "gone.txt"}) == 404
    assert post({"key": "big.bin"}) == 413
    assert post("{not json") == 400
    with failing_sends(
        application.clients.s3, "GetObject", times=100, status=503, body=S3_SLOW_DOWN
    ):
        assert post({"key": "a.txt"}) == 503
    return run


def _function_needs(stack, monkeypatch) -> dict[str, tuple[set[Need], Any]]:
    """Run both functions' scenarios against a moto account shaped like ``stack``."""
    monkeypatch.setenv("MOTO_ACCOUNT_ID", stack.facts.account_id)
    monkeypatch.setattr("time.sleep", lambda _seconds: None)  # botocore's retry back-off
    found = functions(stack)
    result = {}
    scenarios = {
        s3_notified_function(stack): _processor_scenarios,
        api_function(stack): _api_scenarios,
    }
    with mock_aws():
        accounts = _lay_out(stack, [found[name].environment for name in scenarios])
        for name, run_scenarios in scenarios.items():
            function = found[name]
            account = accounts[function.environment["BUCKET_NAME"]]
            run = run_scenarios(account, _application(stack, function.environment))
            needs = needs_of_calls(run.calls, stack) | needs_of_runtime(
                function, stack, raised=run.raised > 0
            )
            result[name] = (needs, function)
    return result


@pytest.mark.parametrize("env", envs.ENVS)
def test_each_role_grants_exactly_what_its_function_does(env, stacks, monkeypatch):
    # GIVEN the env's rendered stack, and each function's needs from its recorded scenarios
    stack = stacks[env]
    per_function = _function_needs(stack, monkeypatch)
    problems = []
    for name, (needs, function) in per_function.items():
        documents = function.role_policies
        assert documents, f"{name}: its role has no identity policy in the rendered stack"
        # WHEN its role's rendered policies are compared with them
        problems += [f"{name}: missing {need}" for need in missing(needs, list(documents.values()))]
        problems += [f"{name}: unused {grant}" for grant in unused(needs, documents)]
        problems += [f"{name}: too broad {grant}" for grant in too_broad(needs, documents)]
    # THEN nothing the functions do is missing, nothing they never do is granted
    assert not problems, "\n".join(problems)


def test_the_scenarios_need_what_the_handler_is_documented_to_do(stacks, monkeypatch):
    # GIVEN the local env's stack / WHEN the scenarios run / THEN each function needs what
    # docs/handler.md says ("IAM the functions need"), and Lambda's own uses of the role
    stack = stacks[envs.LOCAL_ENV]
    per_function = _function_needs(stack, monkeypatch)
    actions = {name: {need.action for need in needs} for name, (needs, _) in per_function.items()}
    processor, api = s3_notified_function(stack), api_function(stack)
    assert actions[processor] == {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:ListBucket",
        "kms:Decrypt",
        "kms:GenerateDataKey",
        "sns:Publish",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "dynamodb:DeleteItem",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    assert actions[api] == {
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:ListBucket",
        "kms:Decrypt",
        "logs:CreateLogStream",
        "logs:PutLogEvents",
        "xray:PutTraceSegments",
        "xray:PutTelemetryRecords",
    }
    # the processor publishes to both topics: results itself, failures through Lambda
    published = {n.resource for n in per_function[processor][0] if n.action == "sns:Publish"}
    assert len(published) == 2
