"""What kind of event arrived: the dispatch decision, made from the payload's shape alone.

Lambda passes no "event type" to a function, so the shape is all there is. The rules follow the
payload formats AWS documents, checked in an order that keeps look-alikes apart:

- ``httpMethod`` is carried by the API Gateway REST proxy payload (format 1.0, also sent by HTTP
  APIs configured for 1.0) and by three look-alikes this function must not serve: an Application
  Load Balancer request (``requestContext.elb``), an API Gateway Lambda authorizer request
  (``type`` + ``methodArn``) and a Bedrock agent action (``agent`` + ``apiPath``).
- ``version: "2.0"`` with ``routeKey`` / ``rawPath`` is an HTTP API (payload 2.0) or a Lambda
  function URL request; VPC Lattice requests carry ``method`` (and ``raw_path`` in version 1).
- ``Records[]`` is named by each record's ``eventSource`` (``EventSource`` for SNS): ``aws:s3``,
  ``aws:sqs``, ``aws:sns``; other AWS sources (DynamoDB and Kinesis streams, SES...) are not
  served. Records of no recognisable source stay on the S3 path, where each malformed record is
  logged and counted on its own.
- an EventBridge event (``source`` + ``detail-type`` + ``detail``) from ``aws.s3`` carries one
  object; the S3 test event is ``{"Event": "s3:TestEvent", ...}``.

:func:`describe` names any payload for logs and errors by its field names and sources only
(values can be secrets: authorizer tokens, Cognito attributes).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

S3_SOURCE = "aws:s3"
SQS_SOURCE = "aws:sqs"
SNS_SOURCE = "aws:sns"
EVENTBRIDGE_S3_SOURCE = "aws.s3"
S3_TEST_EVENT = "s3:TestEvent"
EVENTBRIDGE_OBJECT_CREATED = "Object Created"
# How many field names a description lists (enough to recognise a payload, short in a log line).
_DESCRIBED_FIELDS = 8


class EventKind(StrEnum):
    """The event shapes the dispatch tells apart (values read well in logs)."""

    REST_API = "an API Gateway REST proxy request (payload format 1.0)"
    HTTP_API_V2 = "an API Gateway HTTP API or Lambda function URL request (payload format 2.0)"
    ALB = "an Application Load Balancer request"
    VPC_LATTICE = "a VPC Lattice request"
    S3_NOTIFICATION = "an S3 event notification"
    S3_TEST_EVENT = "an S3 test event"
    EVENTBRIDGE_S3 = "an S3 event delivered by EventBridge"
    SNS = "an SNS notification"
    SQS = "a batch of SQS messages"
    UNSUPPORTED = "an unsupported event"


# HTTP front doors that are answered with a 400 instead of being served.
OTHER_HTTP_KINDS = frozenset({EventKind.HTTP_API_V2, EventKind.ALB, EventKind.VPC_LATTICE})


def _source(record: Any) -> str | None:
    if not isinstance(record, dict):
        return None
    source = record.get("eventSource", record.get("EventSource"))
    return source if isinstance(source, str) else None


def _record_sources(records: list[Any]) -> set[str]:
    return {source for source in map(_source, records) if source is not None}


def _is_authorizer(event: dict[str, Any]) -> bool:
    return event.get("type") in ("REQUEST", "TOKEN") and (
        "methodArn" in event or "routeArn" in event
    )


def _is_bedrock_agent(event: dict[str, Any]) -> bool:
    return "agent" in event and "apiPath" in event


def _http_kind(event: dict[str, Any]) -> EventKind | None:
    """The kind of an HTTP-shaped event, or None when ``event`` is not HTTP-shaped."""
    request_context = event.get("requestContext")
    context = request_context if isinstance(request_context, dict) else {}
    if _is_authorizer(event) or _is_bedrock_agent(event):
        return EventKind.UNSUPPORTED
    if "httpMethod" in event:
        return EventKind.ALB if "elb" in context else EventKind.REST_API
    if event.get("version") == "2.0" and ("routeKey" in event or "rawPath" in event):
        return EventKind.HTTP_API_V2
    if "method" in event and ("raw_path" in event or "serviceNetworkArn" in context):
        return EventKind.VPC_LATTICE
    return None


def _records_kind(records: list[Any]) -> EventKind:
    sources = _record_sources(records)
    every_record_a_dict = all(isinstance(record, dict) for record in records)
    if sources == {SQS_SOURCE}:
        # Powertools' batch processor names failures by messageId: without one, not from SQS.
        well_formed = every_record_a_dict and all(
            isinstance(record.get("messageId"), str) and record["messageId"] for record in records
        )
        return EventKind.SQS if well_formed else EventKind.UNSUPPORTED
    if sources == {SNS_SOURCE}:
        well_formed = every_record_a_dict and all(
            isinstance(record.get("Sns"), dict) for record in records
        )
        return EventKind.SNS if well_formed else EventKind.UNSUPPORTED
    if sources and S3_SOURCE not in sources and all(s.startswith("aws:") for s in sources):
        return EventKind.UNSUPPORTED  # another AWS service's records (streams, SES, ...)
    return EventKind.S3_NOTIFICATION


def is_eventbridge_event(event: Any) -> bool:
    """An EventBridge event envelope (any source)."""
    return (
        isinstance(event, dict)
        and isinstance(event.get("source"), str)
        and "detail-type" in event
        and isinstance(event.get("detail"), dict)
    )


def classify(event: Any) -> EventKind:
    """The kind of ``event`` (never raises)."""
    if not isinstance(event, dict):
        return EventKind.UNSUPPORTED
    http = _http_kind(event)
    if http is not None:
        return http
    records = event.get("Records")
    if isinstance(records, list):
        return _records_kind(records)
    if event.get("Event") == S3_TEST_EVENT:
        return EventKind.S3_TEST_EVENT
    if is_eventbridge_event(event) and event["source"] == EVENTBRIDGE_S3_SOURCE:
        return EventKind.EVENTBRIDGE_S3
    return EventKind.UNSUPPORTED


def _json_type(value: Any) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), "number" if isinstance(value, int | float) else "value")


def describe(event: Any) -> str:
    """A short, value-free description of ``event`` for logs and error messages."""
    if not isinstance(event, dict):
        return f"a JSON {_json_type(event)}"
    kind = classify(event)
    if kind is not EventKind.UNSUPPORTED:
        return str(kind)
    if _is_authorizer(event):
        return "an API Gateway Lambda authorizer request (this function is not an authorizer)"
    if _is_bedrock_agent(event):
        return "a Bedrock agent action group request"
    if is_eventbridge_event(event):
        return (
            f"an EventBridge event from {event['source']!r} "
            f"(detail-type {str(event.get('detail-type'))[:100]!r})"
        )
    records = event.get("Records")
    if isinstance(records, list):
        sources = _record_sources(records)
        named = ", ".join(sorted(sources))
        if sources <= {SQS_SOURCE, SNS_SOURCE}:
            return f"a malformed batch of {len(records)} record(s) from {named}"
        return f"{len(records)} record(s) from {named}, a source this function does not serve"
    source = event.get("eventSource")
    if isinstance(source, str):
        return f"an event from {source[:100]!r}"
    fields = sorted(str(name)[:40] for name in event)
    shown = ", ".join(fields[:_DESCRIBED_FIELDS])
    more = f" and {len(fields) - _DESCRIBED_FIELDS} more" if len(fields) > _DESCRIBED_FIELDS else ""
    return f"an event with the fields [{shown}]{more}" if fields else "an empty JSON object"
