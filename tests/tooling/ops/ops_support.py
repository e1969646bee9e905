"""Putting failed events into a stack's failures queue, the way Lambda and SNS do."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tooling.stack.deployment import Deployment


def fail(aws: dict[str, Any], stack: Deployment, record: Any) -> None:
    """Lambda's on-failure delivery: the record published to the failures topic (SNS → queue)."""
    message = record if isinstance(record, str) else json.dumps(record)
    aws["sns"].publish(TopicArn=stack.failure_topic_arn, Message=message)


def queue_counts(aws: dict[str, Any], stack: Deployment) -> tuple[int, int]:
    """(visible, in flight) messages of the failures queue."""
    attributes = aws["sqs"].get_queue_attributes(
        QueueUrl=stack.failures_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )
