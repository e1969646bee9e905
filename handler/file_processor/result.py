"""The result document (``schemas/file-result.v1.schema.json``) and its SNS publisher."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

from file_processor import RESULT_SCHEMA_VERSION
from file_processor.errors import classified

if TYPE_CHECKING:
    from file_processor.errors import ClientProblem
    from file_processor.events import ObjectRef
    from file_processor.processing import Analysis

Source = Literal["s3", "api"]
STATUS_PROCESSED = "processed"
STATUS_REJECTED = "rejected"
# SNS attribute values must be non-empty; a rejected object may have no content type.
UNKNOWN = "unknown"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _base(ref: ObjectRef, source: Source) -> dict[str, Any]:
    return {
        "schema_version": RESULT_SCHEMA_VERSION,
        "source": source,
        "bucket": ref.bucket,
        "key": ref.key,
        "version_id": ref.version_id,
        "sequencer": ref.sequencer,
        "event_time": ref.event_time,
        "processed_at": _now(),
    }


def processed_result(
    ref: ObjectRef, analysis: Analysis, *, version_id: str | None, source: Source
) -> dict[str, Any]:
    """The document for a processed object (``version_id``: what S3 actually served)."""
    document = _base(ref, source)
    document.update(
        status=STATUS_PROCESSED,
        reason=None,
        version_id=version_id or ref.version_id,
        size_bytes=analysis.size_bytes,
        sha256=analysis.sha256,
        content_type=analysis.content_type,
        kind=analysis.kind,
        facts=analysis.facts,
    )
    return document


def rejected_result(ref: ObjectRef, problem: ClientProblem, *, source: Source) -> dict[str, Any]:
    """The document for an object that cannot be processed (permanent, not retried)."""
    document = _base(ref, source)
    document.update(
        status=STATUS_REJECTED,
        reason={"code": str(problem.reason), "message": problem.message},
        size_bytes=None,
        sha256=None,
        content_type=None,
        kind=None,
        facts=None,
    )
    return document


def message_attributes(document: dict[str, Any]) -> dict[str, dict[str, str]]:
    """SNS message attributes for subscription filter policies."""
    attributes = {
        "status": document["status"],
        "content_type": document.get("content_type") or UNKNOWN,
        "kind": document.get("kind") or UNKNOWN,
        "schema_version": document["schema_version"],
    }
    if document.get("reason"):
        attributes["reason"] = document["reason"]["code"]
    return {
        name: {"DataType": "String", "StringValue": value} for name, value in attributes.items()
    }


def publish(sns: Any, topic_arn: str, document: dict[str, Any]) -> str:
    """Publish one result; returns the SNS message id. SDK errors come out classified."""
    with classified(f"SNS topic {topic_arn}"):
        response = sns.publish(
            TopicArn=topic_arn,
            Message=json.dumps(document, ensure_ascii=False, separators=(",", ":")),
            MessageAttributes=message_attributes(document),
        )
    return str(response["MessageId"])
