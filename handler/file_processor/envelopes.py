"""Unwrapping S3 notifications delivered through SNS, SQS and EventBridge.

Common wirings, and what this function receives (AWS documents each payload):

- S3 → Lambda: ``Records[].eventSource == "aws:s3"``, the notification itself.
- S3 → SNS → Lambda: ``Records[].EventSource == "aws:sns"``; the notification is the JSON
  string ``Records[].Sns.Message``.
- S3 → SQS → Lambda: ``Records[].eventSource == "aws:sqs"``; the JSON string ``Records[].body``.
- S3 → SNS → SQS → Lambda: the same, and without raw message delivery the body is the SNS
  envelope (``Type: "Notification"``), whose ``Message`` is the notification.
- S3 → EventBridge → Lambda: ``source == "aws.s3"``, one object in ``detail`` (its key is not
  URL-encoded); through an SQS or SNS target, that event is the body / message.

:func:`records_in_message` turns one message (an SQS body or an SNS message, JSON text) into the
same :class:`~file_processor.events.S3Record` list a direct notification yields, so the
processing, the idempotency key and the metrics do not depend on the path. A message that
carries no S3 notification raises :class:`~file_processor.errors.UnsupportedEventError`.
"""

from __future__ import annotations

import json
from typing import Any

from file_processor.errors import UnsupportedEventError
from file_processor.events import S3Record, parse_eventbridge_object, parse_s3_record
from file_processor.shapes import EventKind, classify, describe

# An SNS envelope in an SQS body holding an EventBridge event is two levels deep; allow a
# little more, never unbounded (a message is untrusted input).
MAX_NESTING = 4
TEST_EVENT_IGNORED = "S3 test event (sent once when a notification is configured)"


def s3_records(event: dict[str, Any]) -> list[S3Record]:
    """The records of an event classified as a direct S3 notification, S3 test event or an
    EventBridge S3 event (the payloads that name objects themselves)."""
    kind = classify(event)
    if kind is EventKind.S3_NOTIFICATION:
        return [parse_s3_record(record) for record in event["Records"]]
    if kind is EventKind.S3_TEST_EVENT:
        return [S3Record(None, ignored=TEST_EVENT_IGNORED)]
    if kind is EventKind.EVENTBRIDGE_S3:
        return [parse_eventbridge_object(event)]
    raise UnsupportedEventError(describe(event))


def _is_sns_envelope(payload: Any) -> bool:
    """An SNS message as SNS delivers it to SQS or HTTP (not raw): ``Type`` + ``Message``."""
    return (
        isinstance(payload, dict)
        and payload.get("Type") == "Notification"
        and isinstance(payload.get("Message"), str)
    )


def records_in_message(text: Any, *, what: str, depth: int = 0) -> list[S3Record]:
    """The S3 records carried by one message's JSON ``text``; ``what`` names it in errors."""
    if not isinstance(text, str):
        raise UnsupportedEventError(f"{what} whose content is not text")
    try:
        payload = json.loads(text)
    except (ValueError, RecursionError):
        raise UnsupportedEventError(f"{what} whose content is not JSON") from None
    if _is_sns_envelope(payload):
        if depth >= MAX_NESTING:
            raise UnsupportedEventError(f"{what} nesting envelopes more than {MAX_NESTING} deep")
        return records_in_message(
            payload["Message"], what=f"{what} holding an SNS envelope", depth=depth + 1
        )
    kind = classify(payload)
    if kind in (EventKind.S3_NOTIFICATION, EventKind.S3_TEST_EVENT, EventKind.EVENTBRIDGE_S3):
        return s3_records(payload)
    raise UnsupportedEventError(f"{what} holding {describe(payload)}")
