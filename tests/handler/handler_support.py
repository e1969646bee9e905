"""Shared helpers of the handler tests: constants, event builders, the moto account wrapper."""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema

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

LEAKY_ENV = ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
HANDLER_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
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


def import_app() -> Any:
    """Import ``app`` afresh, so its cold-start code runs against the current env and mocks."""
    sys.modules.pop("app", None)
    return importlib.import_module("app")


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
