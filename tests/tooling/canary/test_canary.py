"""The canary's wiring checks and helpers, against resources created in moto (in-process)."""

from __future__ import annotations

import io
import json
import zipfile
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import boto3
import pytest
from moto import mock_aws

from tooling.canary import behaviour, probes, report, wiring
from tooling.core.errors import ToolingError
from tooling.run import drivers
from tooling.stack import deployment

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"
BUCKET = "sfp-uploads-use1-test"
PROCESSOR = "sfp-processor-use1-test"
ALARM = "sfp-error-rate-use1-test"
LOG_GROUP = f"/aws/lambda/{PROCESSOR}"


TLS_ONLY_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": {"AWS": "*"},
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{BUCKET}", f"arn:aws:s3:::{BUCKET}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto in-process with fake credentials; the canary's clients."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        yield deployment.aws_clients(REGION)


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def lambda_handler(event, context):\n    return {}\n")
    return buffer.getvalue()


@pytest.fixture
def stack(aws: dict[str, Any]) -> deployment.Deployment:
    """The wired resources the design promises, built the way the modules build them."""
    kms = boto3.client("kms", region_name=REGION)
    key_arn = kms.create_key(Description="sfp")["KeyMetadata"]["Arn"]
    sns = aws["sns"]
    topics = {
        name: sns.create_topic(Name=f"sfp-{name}-use1-test")["TopicArn"]
        for name in ("results", "failures", "alerts")
    }
    s3 = aws["s3"]
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(
        RoleName="sfp-processor",
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        ),
    )["Role"]["Arn"]
    function_arn = aws["lambda"].create_function(
        FunctionName=PROCESSOR,
        Runtime="python3.12",
        Role=role_arn,
        Handler="app.lambda_handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    aws["lambda"].put_function_event_invoke_config(
        FunctionName=PROCESSOR,
        MaximumRetryAttempts=2,
        MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": topics["failures"]}},
    )
    s3.put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "process-new-objects",
                    "LambdaFunctionArn": function_arn,
                    "Events": ["s3:ObjectCreated:*"],
                }
            ]
        },
    )
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(TLS_ONLY_POLICY))
    aws["logs"].create_log_group(logGroupName=LOG_GROUP, kmsKeyId=key_arn)
    aws["logs"].put_retention_policy(logGroupName=LOG_GROUP, retentionInDays=7)
    put_alarm(aws["cloudwatch"], topics["alerts"])
    return deployment.Deployment(
        region=REGION,
        uploads_bucket_name=BUCKET,
        results_topic_arn=topics["results"],
        failure_topic_arn=topics["failures"],
        alerts_topic_arn=topics["alerts"],
        idempotency_table_name="sfp-idempotency-use1-test",
        processor_function_name=PROCESSOR,
        api_function_name="sfp-api-use1-test",
        api_url="https://example.execute-api.us-east-1.amazonaws.com/test/process",
        processor_log_group_name=LOG_GROUP,
        kms_key_arn=key_arn,
        error_rate_alarm_name=ALARM,
    )


def put_alarm(cloudwatch: Any, alerts_arn: str, **changes: Any) -> None:
    """The monitoring module's error-rate alarm; ``changes`` override single settings."""

    def metric(query_id: str, name: str) -> dict[str, Any]:
        return {
            "Id": query_id,
            "ReturnData": False,
            "MetricStat": {
                "Metric": {
                    "Namespace": "AWS/Lambda",
                    "MetricName": name,
                    "Dimensions": [{"Name": "FunctionName", "Value": PROCESSOR}],
                },
                "Period": changes.pop("period", 300) if name == "Errors" else 300,
                "Stat": "Sum",
            },
        }

    expression = changes.pop("expression", "IF(invocations > 0, 100 * errors / invocations, 0)")
    settings = {
        "AlarmName": ALARM,
        "ComparisonOperator": "GreaterThanThreshold",
        "Threshold": 5.0,
        "EvaluationPeriods": 2,
        "DatapointsToAlarm": 2,
        "TreatMissingData": "notBreaching",
        "AlarmActions": [alerts_arn],
        "OKActions": [alerts_arn],
        "Metrics": [
            {"Id": "error_rate", "Expression": expression, "ReturnData": True},
            metric("errors", "Errors"),
            metric("invocations", "Invocations"),
        ],
    }
    settings.update(changes)
    cloudwatch.put_metric_alarm(**settings)


def test_every_wiring_check_passes_on_the_designed_stack(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN the stack wired as designed
    # WHEN the wiring checks run with the env's retention
    checks = wiring.wiring_checks(aws, stack, expected_retention=7)
    # THEN all six pass, each naming what it saw
    assert [(c.name, c.passed) for c in checks if not c.passed] == []
    assert len(checks) == 6
    details = {c.name: c.detail for c in checks}
    assert (
        "retries 2, max age 3600 s"
        in details["processor async config: 2 retries, 3600 s, on-failure topic"]
    )
    assert "retention 7 days" in details["processor log group: retention + KMS key"]


def test_wrong_retry_settings_fail_the_async_config_check(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN 1 retry and no on-failure destination
    aws["lambda"].delete_function_event_invoke_config(FunctionName=PROCESSOR)
    aws["lambda"].put_function_event_invoke_config(
        FunctionName=PROCESSOR, MaximumRetryAttempts=1, MaximumEventAgeInSeconds=180
    )
    # WHEN checked
    check = wiring.check_event_invoke_config(aws["lambda"], stack)
    # THEN it fails and says what it found
    assert not check.passed
    assert "retries 1" in check.detail
    assert "on failure → None" in check.detail


def test_missing_event_invoke_config_fails(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    aws["lambda"].delete_function_event_invoke_config(FunctionName=PROCESSOR)
    check = wiring.check_event_invoke_config(aws["lambda"], stack)
    assert not check.passed
    assert "no event invoke config" in check.detail


def test_aes256_encryption_fails_the_encryption_check(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN the bucket switched to S3-managed keys
    aws["s3"].put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    # WHEN checked THEN it fails naming the algorithm
    check = wiring.check_bucket_encryption(aws["s3"], stack)
    assert not check.passed
    assert check.detail.startswith("AES256")


def test_a_bucket_policy_without_the_tls_deny_fails(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN the TLS statement only covers the objects, not the bucket
    statement = {**TLS_ONLY_POLICY["Statement"][0], "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    policy = {**TLS_ONLY_POLICY, "Statement": [statement]}
    aws["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))
    # WHEN checked THEN it fails; with the full statement it passes
    assert not wiring.check_bucket_tls_only(aws["s3"], stack).passed
    aws["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(TLS_ONLY_POLICY))
    assert (
        wiring.check_bucket_tls_only(aws["s3"], stack).detail == "statement DenyInsecureTransport"
    )


def test_notification_to_another_target_fails(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN the bucket notifies an SQS queue instead of the function
    queue_url = aws["sqs"].create_queue(QueueName="elsewhere")["QueueUrl"]
    queue_arn = aws["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    aws["s3"].put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    # WHEN checked THEN it fails
    check = wiring.check_bucket_notification(aws["s3"], aws["lambda"], stack)
    assert not check.passed
    assert "QueueConfigurations" in check.detail


def test_log_group_without_key_or_with_other_retention_fails(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN the env expects 30 days, the group keeps 7
    check = wiring.check_log_group(aws["logs"], stack, expected_retention=30)
    # THEN the check fails and names both
    assert not check.passed
    assert "retention 7 days (expected 30)" in check.detail
    # AND a group that is not there fails too
    gone = deployment.Deployment(
        **{**stack.__dict__, "processor_log_group_name": "/aws/lambda/nope"}
    )
    assert not wiring.check_log_group(aws["logs"], gone).passed


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Threshold": 10.0}, "threshold 10.0"),
        ({"EvaluationPeriods": 1, "DatapointsToAlarm": 1}, "evaluation periods 1"),
        ({"expression": "100 * errors / invocations"}, "no guard against zero invocations"),
        ({"expression": "errors"}, "does not use invocations"),
        ({"period": 60}, "Errors period 60"),
        ({"TreatMissingData": "breaching"}, "missing data breaching"),
    ],
)
def test_error_rate_alarm_deviations_fail(
    aws: dict[str, Any], stack: deployment.Deployment, changes: dict[str, Any], problem: str
) -> None:
    # GIVEN the alarm with one setting off
    put_alarm(aws["cloudwatch"], stack.alerts_topic_arn, **changes)
    # WHEN checked THEN it fails naming that setting
    check = wiring.check_error_rate_alarm(aws["cloudwatch"], stack)
    assert not check.passed
    assert problem in check.detail


def test_a_crashing_check_is_reported_not_raised(aws: dict[str, Any]) -> None:
    # GIVEN a deployment whose resources do not exist at all
    nothing = deployment.Deployment(
        **dict.fromkeys(deployment.Deployment.__dataclass_fields__, "x-missing")
    )
    # WHEN the wiring checks run THEN every one fails, none raises
    checks = wiring.wiring_checks(aws, nothing)
    assert len(checks) == 6
    assert not any(check.passed for check in checks)


def test_outputs_become_a_deployment_and_missing_ones_are_named() -> None:
    values = {name: f"v-{name}" for name in deployment.Deployment.__dataclass_fields__}
    # GIVEN `terraform output -json` style values THEN they are unwrapped
    wrapped = {name: {"value": value, "sensitive": False} for name, value in values.items()}
    assert deployment.Deployment.from_outputs(wrapped).api_url == "v-api_url"
    # GIVEN an output missing THEN the error names it
    del values["kms_key_arn"]
    with pytest.raises(ToolingError, match="kms_key_arn"):
        deployment.Deployment.from_outputs(values)


def test_s3_event_encodes_awkward_keys_the_way_s3_does() -> None:
    # GIVEN an object with a space, '+', '%' and non-ASCII in its key
    probe = probes.Probe("x", b"abc", "text/plain", "text")
    uploaded = probes.Uploaded(probe, "dir/a b+c%d naïve.txt", "v1", "etag")
    # WHEN the notification is built
    record = probes.s3_event("bucket", uploaded, REGION)["Records"][0]
    key = record["s3"]["object"]["key"]
    # THEN the key is URL-encoded ('+' for space, %2B for '+', '/' kept) and decodes back
    assert key == "dir/a+b%2Bc%25d+na%C3%AFve.txt"
    assert unquote_plus(key) == uploaded.key
    assert record["s3"]["object"]["versionId"] == "v1"
    assert record["s3"]["object"]["size"] == 3


def test_validate_result_compares_with_the_uploaded_bytes() -> None:
    schema = json.loads(behaviour.SCHEMA_PATH.read_text())
    probe = probes.PROBES[0]
    uploaded = probes.Uploaded(probe, "smoke/x/" + probe.name, "v1", "etag", "00A1")
    document = {
        "schema_version": "1",
        "status": "processed",
        "reason": None,
        "source": "s3",
        "bucket": BUCKET,
        "key": uploaded.key,
        "version_id": "v1",
        "sequencer": "00A1",
        "event_time": "2026-01-01T00:00:00.000Z",
        "processed_at": "2026-01-01T00:00:01Z",
        "size_bytes": len(probe.body),
        "sha256": probe.sha256,
        "content_type": "text/plain",
        "kind": "text",
        "facts": {"line_count": 3, "utf8_valid": True},
    }
    # GIVEN a valid document for the uploaded bytes THEN there is nothing to report
    assert behaviour.validate_result(document, uploaded, BUCKET, schema) == []
    # GIVEN a document the schema rejects THEN the schema problem is reported
    assert any(
        p.startswith("schema:")
        for p in behaviour.validate_result({**document, "facts": {}}, uploaded, BUCKET, schema)
    )
    # GIVEN a result for other bytes THEN size and sha256 are reported
    wrong = {**document, "sha256": "0" * 64, "size_bytes": 1}
    problems = behaviour.validate_result(wrong, uploaded, BUCKET, schema)
    assert any(p.startswith("sha256") for p in problems)
    assert any(p.startswith("size_bytes 1") for p in problems)


def test_table_lists_every_check_and_counts_failures() -> None:
    table = report.render_table(
        [report.Check("a", True, "fine"), report.Check("longer name", False, "broken")]
    )
    lines = table.splitlines()
    assert lines[2].split() == ["a", "PASS", "fine"]
    assert lines[3].split() == ["longer", "name", "FAIL", "broken"]
    assert lines[-1] == "1/2 checks passed"


def test_probes_are_removed_even_when_the_handler_crashes(
    aws: dict[str, Any], stack: deployment.Deployment
) -> None:
    # GIVEN a deployed stack (without its TLS-only policy, which in-process moto reads as a
    # blanket deny) and a driver whose delivery blows up (a broken handler, a timeout)
    aws["s3"].delete_bucket_policy(Bucket=stack.uploads_bucket_name)

    class CrashingDriver(drivers.Driver):
        def deliver(self, event: dict[str, Any]) -> None:
            raise RuntimeError("handler crashed")

    # WHEN the behaviour checks run
    with pytest.raises(RuntimeError, match="handler crashed"):
        behaviour.behaviour_checks(aws, stack, CrashingDriver(), result_wait=0.1, quiet_wait=0.1)
    # THEN no probe object (nor any version of one) is left in the bucket
    versions = aws["s3"].list_object_versions(Bucket=stack.uploads_bucket_name)
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []
