"""A deployed stack for the tooling tests: its outputs, and the resources built in moto.

``outputs()`` is what ``terraform output -json`` gives for an env (the shared outputs contract);
``build_stack(clients)`` creates the same resources in moto (in-process ``mock_aws``) the way the
modules wire them, so the canary's and the operator commands' code runs against real API calls.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any

from tooling.run.target import DeployedEnv
from tooling.stack.deployment import Deployment, aws_clients

if TYPE_CHECKING:
    from collections.abc import Iterator

    import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"
SUFFIX = "use1-test"
BUCKET = f"sfp-uploads-{SUFFIX}"
PROCESSOR = f"sfp-processor-{SUFFIX}"
API_FUNCTION = f"sfp-api-{SUFFIX}"
ALARM = f"sfp-error-rate-{SUFFIX}"
PROCESSOR_LOG_GROUP = f"/aws/lambda/{PROCESSOR}"
API_LOG_GROUP = f"/aws/lambda/{API_FUNCTION}"
FAILURES_QUEUE = f"sfp-failures-{SUFFIX}"
RETENTION_DAYS = 7
ALARM_NAMES = {
    "error_rate": ALARM,
    "throttles": f"sfp-throttles-{SUFFIX}",
    "failed_events_waiting": f"sfp-failed-events-waiting-{SUFFIX}",
}

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
LAMBDA_TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@contextlib.contextmanager
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto in-process (Lambda's stub backend: no Docker), fake credentials; the stack's clients
    plus KMS."""
    import boto3
    from moto import mock_aws

    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    with mock_aws(config={"lambda": {"use_docker": False}}):
        clients = dict(aws_clients(REGION))
        clients["kms"] = boto3.client("kms", region_name=REGION)
        yield clients


def deployed_env(
    clients: dict[str, Any], stack: Deployment, *, env: str = "dev", endpoint: str | None = None
) -> DeployedEnv:
    """The stack as the commands see it (``endpoint`` None: an env in AWS)."""
    return DeployedEnv(env, stack, clients, endpoint)


def outputs(**overrides: Any) -> dict[str, Any]:
    """The env's outputs as ``terraform output -json`` prints them (``{name: {value: …}}``)."""
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:sfp-%s-{SUFFIX}"
    values: dict[str, Any] = {
        "region": REGION,
        "uploads_bucket_name": BUCKET,
        "results_topic_arn": topic % "results",
        "failure_topic_arn": topic % "failures",
        "alerts_topic_arn": topic % "alerts",
        "idempotency_table_name": f"sfp-idempotency-{SUFFIX}",
        "processor_function_name": PROCESSOR,
        "api_function_name": API_FUNCTION,
        "api_url": "https://abc123.execute-api.us-east-1.amazonaws.com/test/process",
        "processor_log_group_name": PROCESSOR_LOG_GROUP,
        "api_log_group_name": API_LOG_GROUP,
        "kms_key_arn": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/00000000-0000-0000-0000-000000000000",
        "error_rate_alarm_name": ALARM,
        "failures_queue_url": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{FAILURES_QUEUE}",
        "failures_queue_arn": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{FAILURES_QUEUE}",
        "dashboard_name": f"sfp-{SUFFIX}",
        "uploads_prefix": "",
        "log_retention_in_days": RETENTION_DAYS,
        "processor_async_config": {
            "maximum_retry_attempts": 2,
            "maximum_event_age_in_seconds": 3600,
            "on_failure_destination_arn": topic % "failures",
        },
        "error_rate_alarm": {
            "name": ALARM,
            "threshold_percent": 5,
            "period_seconds": 300,
            "evaluation_periods": 2,
        },
        "alarm_names": ALARM_NAMES,
        "metrics_namespace": "ServerlessFileProcessor",
    }
    values.update(overrides)
    return {name: {"value": value, "sensitive": False} for name, value in values.items()}


def deployment(**overrides: Any) -> Deployment:
    return Deployment.from_outputs(outputs(**overrides))


def handler_zip() -> bytes:
    """A tiny function zip, the same bytes on every call (a fixed entry time: writestr with a
    name stamps the current time, so two calls a second apart would differ)."""
    buffer = io.BytesIO()
    entry = zipfile.ZipInfo("app.py", date_time=(1980, 1, 1, 0, 0, 0))
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(entry, "def lambda_handler(event, context):\n    return {}\n")
    return buffer.getvalue()


def build_stack(clients: dict[str, Any], *, with_bucket_policy: bool = False) -> Deployment:
    """The stack's resources in moto, wired as the modules wire them; its Deployment.

    moto in-process reads the TLS-only bucket policy's ``Bool`` condition as a blanket deny, so
    the policy is only put when a test asks for it (the wiring check reads it).
    """
    kms_arn = clients["kms"].create_key(Description="sfp")["KeyMetadata"]["Arn"]
    sns, sqs, s3 = clients["sns"], clients["sqs"], clients["s3"]
    topics = {
        name: sns.create_topic(Name=f"sfp-{name}-{SUFFIX}")["TopicArn"]
        for name in ("results", "failures", "alerts")
    }
    queue_url = sqs.create_queue(
        QueueName=FAILURES_QUEUE,
        Attributes={"MessageRetentionPeriod": str(14 * 86400), "SqsManagedSseEnabled": "true"},
    )["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(
        TopicArn=topics["failures"],
        Protocol="sqs",
        Endpoint=queue_arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": kms_arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    iam = clients["iam"]
    roles = {
        name: iam.create_role(
            RoleName=f"sfp-{name}-{SUFFIX}", AssumeRolePolicyDocument=json.dumps(LAMBDA_TRUST)
        )["Role"]["Arn"]
        for name in ("processor", "api")
    }
    function_arns = {
        name: clients["lambda"].create_function(
            FunctionName=function,
            Runtime="python3.12",
            Role=roles[name],
            Handler="app.lambda_handler",
            Code={"ZipFile": handler_zip()},
            Environment={"Variables": {"BUCKET_NAME": BUCKET}},
        )["FunctionArn"]
        for name, function in (("processor", PROCESSOR), ("api", API_FUNCTION))
    }
    clients["lambda"].put_function_event_invoke_config(
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
                    "LambdaFunctionArn": function_arns["processor"],
                    "Events": ["s3:ObjectCreated:*"],
                }
            ]
        },
    )
    if with_bucket_policy:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(TLS_ONLY_POLICY))
    for group in (PROCESSOR_LOG_GROUP, API_LOG_GROUP):
        clients["logs"].create_log_group(logGroupName=group, kmsKeyId=kms_arn)
        clients["logs"].put_retention_policy(logGroupName=group, retentionInDays=RETENTION_DAYS)
    put_alarm(clients["cloudwatch"], topics["alerts"])
    for key, name in ALARM_NAMES.items():
        if key != "error_rate":
            clients["cloudwatch"].put_metric_alarm(
                AlarmName=name,
                Namespace="AWS/Lambda",
                MetricName="Throttles",
                Statistic="Sum",
                Period=300,
                EvaluationPeriods=1,
                Threshold=0,
                ComparisonOperator="GreaterThanThreshold",
                AlarmActions=[topics["alerts"]],
            )
    return deployment(
        results_topic_arn=topics["results"],
        failure_topic_arn=topics["failures"],
        alerts_topic_arn=topics["alerts"],
        kms_key_arn=kms_arn,
        failures_queue_url=queue_url,
        failures_queue_arn=queue_arn,
        processor_async_config={
            "maximum_retry_attempts": 2,
            "maximum_event_age_in_seconds": 3600,
            "on_failure_destination_arn": topics["failures"],
        },
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


def failure_record(
    key: str = "uploads/a+b%2B%C3%A9.txt",
    *,
    version_id: str | None = "v1",
    sequencer: str = "0062E9A3C1A3C2F5B1",
    condition: str = "RetriesExhausted",
    timestamp: str = "2026-03-01T10:00:05.568Z",
    function: str = PROCESSOR,
    error: dict[str, Any] | None = None,
    drop_payload: bool = False,
) -> dict[str, Any]:
    """Lambda's on-failure invocation record for one S3 ``ObjectCreated:Put`` (key encoded)."""
    s3_object: dict[str, Any] = {"key": key, "size": 12, "eTag": "abc", "sequencer": sequencer}
    if version_id:
        s3_object["versionId"] = version_id
    payload = {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": REGION,
                "eventTime": "2026-03-01T10:00:00.000Z",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "process-new-objects",
                    "bucket": {"name": BUCKET, "arn": f"arn:aws:s3:::{BUCKET}"},
                    "object": s3_object,
                },
            }
        ]
    }
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": timestamp,
        "requestContext": {
            "requestId": "e4b46cbf-b738-4c1a-8880-a18cdf61200e",
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}:$LATEST",
            "condition": condition,
            "approximateInvokeCount": 3,
        },
        "requestPayload": payload,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": error
        or {
            "errorMessage": "An error occurred (Throttled) when calling the Publish operation",
            "errorType": "TransientError",
            "requestId": "e4b46cbf-b738-4c1a-8880-a18cdf61200e",
            "stackTrace": ['  File "/var/task/app.py", line 1'],
        },
    }
    if drop_payload:
        del record["requestPayload"]
        del record["responsePayload"]
    return record
