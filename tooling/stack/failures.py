"""Failed events as the failures queue holds them: Lambda's on-failure invocation records.

The processor's asynchronous invocation config sends an event whose attempts all failed (or
that grew older than the maximum event age) to the failures topic, as Lambda's invocation
record (Lambda developer guide, "Capturing records of Lambda asynchronous invocations",
https://docs.aws.amazon.com/lambda/latest/dg/invocation-async-retain-records.html)::

    {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
     "requestContext": {"requestId": "…", "functionArn": "arn:…:function:NAME:$LATEST",
                        "condition": "RetriesExhausted" | "EventAgeExceeded",
                        "approximateInvokeCount": 3},
     "requestPayload": <the original event>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                         "functionError": "Unhandled"},
     "responsePayload": {"errorMessage": "…", "errorType": "…", "requestId": "…",
                         "stackTrace": […]}}

``responsePayload`` is absent when the function never ran (throttled until the event expired),
and Lambda drops the payloads when the record would exceed SNS's 256 KB message limit (API
reference, ``OnFailure``: "Lambda will drop the payload when sending OnFailure event to the
destination") — such a record can be listed but not redriven.

The topic delivers to the queue with raw message delivery, so an SQS message body is the record
itself; a body wrapped in an SNS notification envelope (``{"Type": "Notification", "Message":
"<record>"}``, what SNS sends when raw delivery is off) is unwrapped too, so a subscription
changed by hand does not make events unreadable.
"""

from __future__ import annotations

import contextlib
import datetime
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

if TYPE_CHECKING:
    from collections.abc import Mapping

# How deep an SNS message may nest another envelope before it is not read (untrusted input).
MAX_NESTING = 3
# The conditions Lambda gives an on-failure record (the others are successes).
FAILURE_CONDITIONS = frozenset({"RetriesExhausted", "EventAgeExceeded"})


@dataclass(frozen=True)
class ObjectRef:
    """An S3 object version an event names (the key decoded, as it is stored)."""

    bucket: str
    key: str
    version_id: str | None


@dataclass(frozen=True)
class FailedEvent:
    """One message of the failures queue, read."""

    message_id: str
    receipt_handle: str
    # When the record reached the queue (SQS SentTimestamp) and when Lambda gave up (record).
    queued_at: datetime.datetime | None
    failed_at: datetime.datetime | None
    condition: str | None
    attempts: int | None
    function_arn: str | None
    request_id: str | None
    error_type: str | None
    error_message: str | None
    payload: Any  # the original event; None when Lambda dropped it (or the body is unreadable)
    objects: tuple[ObjectRef, ...] = ()
    receive_count: int = 0
    # Why this message is not a usable on-failure record ("" when it is).
    problem: str = ""
    record: Any = field(default=None, compare=False)

    @property
    def when(self) -> datetime.datetime | None:
        """When the event failed: Lambda's record time, else its arrival in the queue."""
        return self.failed_at or self.queued_at

    @property
    def function_name(self) -> str | None:
        """The function that failed (``arn:…:function:NAME[:qualifier]`` → NAME)."""
        parts = (self.function_arn or "").split(":")
        return parts[6] if len(parts) > 6 and parts[5] == "function" else None

    def problem_for(self, processor: str) -> str:
        """Why this record cannot be redriven to the env's ``processor`` ("" when it can): it
        must hold its original event and come from that function. The one rule ``invoke
        failures`` shows and ``invoke redrive`` applies."""
        if self.problem or self.payload is None:
            return self.problem or "no original event in the record"
        if self.function_name and self.function_name != processor:
            return f"it failed in {self.function_name}, not in this env's processor ({processor})"
        return ""

    def to_json(self, processor: str) -> dict[str, Any]:
        """What ``invoke failures --json`` prints for this event (the record kept whole)."""
        return {
            "message_id": self.message_id,
            "failed_at": _iso(self.failed_at),
            "queued_at": _iso(self.queued_at),
            "condition": self.condition,
            "attempts": self.attempts,
            "function_arn": self.function_arn,
            "request_id": self.request_id,
            "error_type": self.error_type,
            "error_message": self.error_message,
            "objects": [
                {"bucket": ref.bucket, "key": ref.key, "version_id": ref.version_id}
                for ref in self.objects
            ],
            "receive_count": self.receive_count,
            "redrivable": not self.problem_for(processor),
            "problem": self.problem or None,
            "record": self.record,
        }


def parse_message(message: Mapping[str, Any]) -> FailedEvent:
    """A ``ReceiveMessage`` entry (with ``AttributeNames=["All"]``) → :class:`FailedEvent`.

    Never raises: a body that is not an invocation record becomes an event with ``problem``
    set, so the listing shows it and a redrive leaves it alone.
    """
    attributes = message.get("Attributes", {})
    base: dict[str, Any] = {
        "message_id": str(message.get("MessageId", "")),
        "receipt_handle": str(message.get("ReceiptHandle", "")),
        "queued_at": _from_millis(attributes.get("SentTimestamp")),
        "receive_count": _int(attributes.get("ApproximateReceiveCount")) or 0,
    }
    empty = dict.fromkeys(
        (
            "failed_at",
            "condition",
            "attempts",
            "function_arn",
            "request_id",
            "error_type",
            "error_message",
            "payload",
        )
    )
    body = message.get("Body", "")
    record = _decode_body(body)
    if not isinstance(record, dict):
        problem = "the message body is not JSON" if record is None else "not a JSON object"
        return FailedEvent(**base, **empty, problem=problem, record=body)
    context = record.get("requestContext")
    if not isinstance(context, dict):
        return FailedEvent(**base, **empty, problem="not a Lambda invocation record", record=record)
    error_type, error_message = _error(record)
    payload = record.get("requestPayload")
    condition = _str(context.get("condition"))
    problem = ""
    if condition and condition not in FAILURE_CONDITIONS:
        problem = f"condition {condition} is not a failure"
    elif payload is None:
        problem = "Lambda dropped the event from the record (over SNS's 256 KB limit)"
    return FailedEvent(
        **base,
        failed_at=_from_iso(record.get("timestamp")),
        condition=condition,
        attempts=_int(context.get("approximateInvokeCount")),
        function_arn=_str(context.get("functionArn")),
        request_id=_str(context.get("requestId")),
        error_type=error_type,
        error_message=error_message,
        payload=payload,
        objects=s3_objects(payload),
        problem=problem,
        record=record,
    )


def s3_objects(event: Any, depth: int = 0) -> tuple[ObjectRef, ...]:
    """The object versions an event names, whichever way S3 reached the function.

    The processor is invoked asynchronously by an S3 notification (keys URL-encoded like
    ``quote_plus``: a space arrives as ``+``, a ``+`` as ``%2B``; the stored key is
    ``unquote_plus`` of it), an SNS notification whose message is one, or an EventBridge
    ``aws.s3`` event (its key encoded the same way: the handler decodes it so too, see
    docs/handler.md). Anything else names no object.
    """
    if depth > MAX_NESTING or not isinstance(event, dict):
        return ()
    if event.get("source") == "aws.s3" and isinstance(event.get("detail"), dict):
        return _eventbridge_object(event["detail"])
    records = event.get("Records")
    if not isinstance(records, list):
        return ()
    found: list[ObjectRef] = []
    for record in records:
        if not isinstance(record, dict):
            continue
        sns = record.get("Sns")
        if isinstance(sns, dict) and isinstance(sns.get("Message"), str):
            with contextlib.suppress(ValueError):
                found += s3_objects(json.loads(sns["Message"]), depth + 1)
            continue
        target = record.get("s3")
        if not isinstance(target, dict):
            continue
        bucket = target.get("bucket") if isinstance(target.get("bucket"), dict) else {}
        s3_object = target.get("object") if isinstance(target.get("object"), dict) else {}
        key = s3_object.get("key")
        if not isinstance(key, str):
            continue
        found.append(
            ObjectRef(
                bucket=str(bucket.get("name", "")),
                key=unquote_plus(key),
                version_id=_str(s3_object.get("versionId")),
            )
        )
    return tuple(found)


def _eventbridge_object(detail: Mapping[str, Any]) -> tuple[ObjectRef, ...]:
    bucket = detail.get("bucket") if isinstance(detail.get("bucket"), dict) else {}
    s3_object = detail.get("object") if isinstance(detail.get("object"), dict) else {}
    key = s3_object.get("key")
    if not isinstance(key, str):
        return ()
    return (
        ObjectRef(
            str(bucket.get("name", "")), unquote_plus(key), _str(s3_object.get("version-id"))
        ),
    )


def _decode_body(body: Any) -> Any:
    """The record in an SQS body: raw, or inside an SNS notification envelope."""
    try:
        document = json.loads(body)
    except (TypeError, ValueError):
        return None
    if (
        isinstance(document, dict)
        and document.get("Type") == "Notification"
        and isinstance(document.get("Message"), str)
        and "TopicArn" in document
    ):
        try:
            return json.loads(document["Message"])
        except ValueError:
            return None
    return document


def _error(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(error type, message) of the last attempt, from ``responsePayload``.

    The Python runtime reports an unhandled exception as ``{"errorMessage", "errorType",
    "requestId", "stackTrace"}``; a timeout or crash only has ``errorMessage``; an event that
    expired before running has no response at all (its condition says why).
    """
    response = record.get("responsePayload")
    context = (
        record.get("responseContext") if isinstance(record.get("responseContext"), dict) else {}
    )
    if isinstance(response, dict):
        error_type = _str(response.get("errorType"))
        message = _str(response.get("errorMessage"))
        if error_type or message:
            return error_type or _str(context.get("functionError")), message
    if isinstance(response, str) and response:
        return _str(context.get("functionError")), response
    status = context.get("statusCode")
    if "responsePayload" not in record and isinstance(status, int) and status >= 400:
        return f"HTTP {status}", "the function did not run (throttled or unavailable)"
    return _str(context.get("functionError")), None


def _from_millis(value: Any) -> datetime.datetime | None:
    number = _int(value)
    if number is None:
        return None
    return datetime.datetime.fromtimestamp(number / 1000, tz=datetime.UTC)


def _from_iso(value: Any) -> datetime.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _iso(value: datetime.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(datetime.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
