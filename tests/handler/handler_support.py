"""Shared helpers of the handler tests: constants, the test application's configuration and
telemetry, event builders, the moto account wrapper and EMF readers.

Tests build the application with :func:`file_processor.application.build_application` from
:data:`CONFIG` (read from :data:`HANDLER_ENV` as a plain mapping, never from ``os.environ``).
Only the entry-point tests (``test_handler_entry.py``) cold-start ``app.py`` itself, with
:data:`HANDLER_ENV` as the process environment, as Lambda does.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import jsonschema
from aws_lambda_powertools import Logger, Metrics

from file_processor.config import load_config

if TYPE_CHECKING:
    from collections.abc import Callable

    from file_processor.application import Application

REGION = "us-east-1"
BUCKET = "sfp-uploads-test"
TOPIC_NAME = "sfp-results-test"
TOPIC_ARN = f"arn:aws:sns:{REGION}:123456789012:{TOPIC_NAME}"
TABLE = "sfp-idempotency-test"
MAX_OBJECT_BYTES = 4096
MAX_SYNC_OBJECT_BYTES = 1024

ROOT = Path(__file__).resolve().parents[2]
RESULT_SCHEMA = json.loads(
    (ROOT / "handler" / "schemas" / "file-result.v1.schema.json").read_text(encoding="utf-8")
)
RESULT_VALIDATOR = jsonschema.Draft202012Validator(
    RESULT_SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
EVENTS_DIR = ROOT / "handler" / "events"

# What the compute module gives the function (plus tracing off: no X-Ray daemon here).
HANDLER_ENV = {
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "BUCKET_NAME": BUCKET,
    "TOPIC_ARN": TOPIC_ARN,
    "IDEMPOTENCY_TABLE": TABLE,
    "MAX_OBJECT_BYTES": str(MAX_OBJECT_BYTES),
    "MAX_SYNC_OBJECT_BYTES": str(MAX_SYNC_OBJECT_BYTES),
    "POWERTOOLS_SERVICE_NAME": "file-processor-test",
    "POWERTOOLS_METRICS_NAMESPACE": "SfpTest",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_LOG_LEVEL": "WARNING",
}


CONFIG = load_config(HANDLER_ENV)


class _CurrentStdout:
    """A stream writing to whatever ``sys.stdout`` is now (pytest's capture swaps it per test)."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


# One Logger / Metrics for the session: Powertools shares both by service name / class anyway.
LOGGER = Logger(service=CONFIG.service_name, level="WARNING", stream=_CurrentStdout())
METRICS = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)


def lambda_handler_for(application: Application) -> Callable[[Any, Any], Any]:
    """What ``app.lambda_handler`` is for ``application``: its Logger's context injection and
    its Metrics flushed after every call (raising or not), around ``application.handle``."""

    @application.logger.inject_lambda_context(clear_state=True)
    @application.metrics.log_metrics
    def handler(event: Any, context: Any) -> Any:
        return application.handle(event, context)

    return handler


@dataclass
class Aws:
    """Clients and resources of one moto account."""

    s3: Any
    sns: Any
    sqs: Any
    dynamodb: Any
    queue_url: str
    seeded: bool = False  # fuzz tests upload their objects once per test

    def put(self, key: str, body: bytes, **extra: Any) -> str | None:
        """Upload ``body``; returns the new version id."""
        return self.s3.put_object(Bucket=BUCKET, Key=key, Body=body, **extra).get("VersionId")

    def messages(self) -> list[tuple[dict[str, Any], dict[str, str]]]:
        """Drain the results queue: (document, attributes) per SNS message, schema-checked."""
        found = []
        while True:
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            batch = response.get("Messages", [])
            if not batch:
                return found
            for message in batch:
                envelope = json.loads(message["Body"])
                document = json.loads(envelope["Message"])
                RESULT_VALIDATOR.validate(document)
                attributes = {
                    name: value["Value"]
                    for name, value in envelope.get("MessageAttributes", {}).items()
                }
                found.append((document, attributes))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )


@dataclass
class FakeContext:
    """The LambdaContext attributes Powertools reads."""

    function_name: str = "sfp-processor-test"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:123456789012:function:sfp-processor-test"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "11111111-2222-3333-4444-555555555555"
    log_group_name: str = "/aws/lambda/sfp-processor-test"
    log_stream_name: str = "2026/11/29/[$LATEST]abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def s3_event(*records: dict[str, Any]) -> dict[str, Any]:
    return {"Records": list(records)}


def s3_record(
    key_encoded: str,
    *,
    version_id: str | None = None,
    sequencer: str = "0055AED6DCD90281E5",
    bucket: str = BUCKET,
    size: int = 0,
    event_name: str = "ObjectCreated:Put",
) -> dict[str, Any]:
    """One S3 notification record; ``key_encoded`` is the key as S3 sends it (URL-encoded)."""
    obj: dict[str, Any] = {"key": key_encoded, "size": size, "eTag": "0", "sequencer": sequencer}
    if version_id is not None:
        obj["versionId"] = version_id
    return {
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": REGION,
        "eventTime": "2026-11-29T12:00:00.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:EXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "x"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "uploads",
            "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
            "object": obj,
        },
    }


def api_event(
    body: str | None,
    *,
    method: str = "POST",
    path: str = "/process",
    base64: bool = False,
) -> dict[str, Any]:
    """An API Gateway REST proxy (payload v1) event."""
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "path": f"/prod{path}",
            "stage": "prod",
            "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": body,
        "isBase64Encoded": base64,
    }


def emf_documents(output: str) -> list[dict[str, Any]]:
    """The EMF documents (``_aws`` metadata) among the JSON lines of captured stdout."""
    documents = []
    for line in output.splitlines():
        if '"_aws"' in line:
            documents.append(json.loads(line))
    return documents


def metric_values(documents: list[dict[str, Any]], name: str, **dimensions: str) -> list[float]:
    """Every value of metric ``name`` in ``documents`` whose dimensions include ``dimensions``.

    Checks what CloudWatch would check: the metric is declared in a directive of the document
    (so it is extracted), with every asked dimension declared in one of its dimension sets.
    """
    values: list[float] = []
    for document in documents:
        if any(document.get(key) != value for key, value in dimensions.items()):
            continue
        for directive in document["_aws"]["CloudWatchMetrics"]:
            declared = {key for dimension_set in directive["Dimensions"] for key in dimension_set}
            names = {metric["Name"] for metric in directive["Metrics"]}
            if name in names and set(dimensions) <= declared:
                raw = document[name]
                values.extend(raw if isinstance(raw, list) else [raw])
                break
    return values


def metric_total(documents: list[dict[str, Any]], name: str, **dimensions: str) -> float:
    """The sum of metric ``name`` (see :func:`metric_values`)."""
    return sum(metric_values(documents, name, **dimensions))


def namespaces(documents: list[dict[str, Any]]) -> set[str]:
    """Every namespace the EMF documents write to."""
    return {
        directive["Namespace"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
    }
