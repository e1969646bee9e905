"""Reading the failures queue's messages: Lambda's on-failure records, raw or in an envelope."""

from __future__ import annotations

import datetime
import json
from typing import Any

from stack_fixtures import BUCKET, PROCESSOR, failure_record

from tooling.stack.failures import ObjectRef, parse_message, s3_objects


def _message(body: Any, **attributes: str) -> dict[str, Any]:
    return {
        "MessageId": "m-1",
        "ReceiptHandle": "rh-1",
        "Body": body if isinstance(body, str) else json.dumps(body),
        "Attributes": {"SentTimestamp": "1772359210000", "ApproximateReceiveCount": "2"}
        | attributes,
    }


def test_a_raw_on_failure_record_is_read_with_its_decoded_key() -> None:
    # GIVEN the record Lambda sends after the retries were exhausted, delivered raw
    event = parse_message(_message(failure_record("uploads/a+b%2B%C3%A9.txt")))
    # THEN the listing's facts come out of it
    assert event.condition == "RetriesExhausted"
    assert event.attempts == 3
    assert event.error_type == "TransientError"
    assert event.error_message.startswith("An error occurred (Throttled)")
    assert event.function_name == PROCESSOR
    assert event.failed_at == datetime.datetime(2026, 3, 1, 10, 0, 5, 568000, tzinfo=datetime.UTC)
    assert event.queued_at == datetime.datetime.fromtimestamp(1772359210, tz=datetime.UTC)
    assert event.receive_count == 2
    # AND the key is decoded the way S3 encodes it ('+' = space, %2B = '+')
    assert event.objects == (ObjectRef(BUCKET, "uploads/a b+é.txt", "v1"),)
    # AND it can be redriven with the original event
    assert event.problem_for(PROCESSOR) == ""
    assert event.payload["Records"][0]["s3"]["object"]["sequencer"] == "0062E9A3C1A3C2F5B1"


def test_a_record_wrapped_in_an_sns_envelope_is_unwrapped() -> None:
    # GIVEN raw delivery was switched off: the body is SNS's notification JSON
    record = failure_record()
    envelope = {
        "Type": "Notification",
        "MessageId": "x",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:sfp-failures-use1-test",
        "Message": json.dumps(record),
        "Timestamp": "2026-03-01T10:00:06.000Z",
    }
    # THEN the record inside is read the same way
    event = parse_message(_message(envelope))
    assert event.problem_for(PROCESSOR) == ""
    assert event.payload == record["requestPayload"]


def test_an_expired_event_has_no_response_and_says_why() -> None:
    # GIVEN an event throttled until it exceeded the maximum event age (the function never ran)
    record = failure_record(condition="EventAgeExceeded")
    record["responseContext"] = {"statusCode": 429, "executedVersion": "$LATEST"}
    del record["responsePayload"]
    event = parse_message(_message(record))
    # THEN the listing says the function did not run; the event can still be redriven
    assert event.condition == "EventAgeExceeded"
    assert event.error_type == "HTTP 429"
    assert "did not run" in event.error_message
    assert event.problem_for(PROCESSOR) == ""


def test_a_record_whose_payload_lambda_dropped_is_listed_but_not_redrivable() -> None:
    event = parse_message(_message(failure_record(drop_payload=True)))
    assert event.problem_for(PROCESSOR)
    assert "dropped" in event.problem
    assert event.objects == ()


def test_a_timeout_without_error_type_keeps_the_message() -> None:
    record = failure_record(error={"errorMessage": "2026-03-01T10:00:05Z abc Task timed out"})
    event = parse_message(_message(record))
    assert event.error_type == "Unhandled"  # the functionError, for want of a type
    assert "timed out" in event.error_message


def test_bodies_that_are_not_records_never_raise() -> None:
    # GIVEN whatever else might land in the queue
    for body, problem in [
        ("not json", "not JSON"),
        ("[1, 2]", "not a JSON object"),
        (json.dumps({"hello": "world"}), "not a Lambda invocation record"),
        (
            json.dumps({**failure_record(), "requestContext": {"condition": "Success"}}),
            "not a failure",
        ),
    ]:
        event = parse_message(_message(body))
        # THEN each is listed with what is wrong, and never redriven
        assert problem in event.problem, body
        assert event.problem_for(PROCESSOR) == event.problem
        assert event.to_json(PROCESSOR)["problem"] == event.problem
        assert event.to_json(PROCESSOR)["redrivable"] is False


def test_json_form_keeps_the_whole_record() -> None:
    record = failure_record()
    document = parse_message(_message(record)).to_json(PROCESSOR)
    assert document["record"] == record
    assert document["failed_at"] == "2026-03-01T10:00:05.568Z"
    assert document["objects"] == [
        {"bucket": BUCKET, "key": "uploads/a b+é.txt", "version_id": "v1"}
    ]
    json.dumps(document)  # serialisable as is


def test_s3_objects_ignores_what_is_not_an_s3_record() -> None:
    assert s3_objects({"Records": [{"Sns": {}}, "x", {"s3": {"object": {}}}]}) == ()
    assert s3_objects(None) == ()
    assert s3_objects({"detail": {}}) == ()


def test_objects_are_found_through_sns_and_eventbridge_too() -> None:
    # GIVEN the processor wired to S3 through SNS (the message is the notification), or through
    # EventBridge (one object in detail, its key URL-encoded like a notification's)
    notification = failure_record("a/b+c.txt")["requestPayload"]
    through_sns = {
        "Records": [
            {"EventSource": "aws:sns", "Sns": {"Message": json.dumps(notification)}},
            {"EventSource": "aws:sns", "Sns": {"Message": "not json"}},
        ]
    }
    through_eventbridge = {
        "source": "aws.s3",
        "detail-type": "Object Created",
        "detail": {
            "bucket": {"name": BUCKET},
            "object": {"key": "a/b%2Bc+d.txt", "version-id": "v2"},
        },
    }
    # THEN the object each names is read, its key decoded as the handler decodes it
    assert s3_objects(through_sns) == (ObjectRef(BUCKET, "a/b c.txt", "v1"),)
    assert s3_objects(through_eventbridge) == (ObjectRef(BUCKET, "a/b+c d.txt", "v2"),)
    # AND an SNS message nesting itself without end is not followed forever
    nested: dict = notification
    for _ in range(10):
        nested = {"Records": [{"Sns": {"Message": json.dumps(nested)}}]}
    assert s3_objects(nested) == ()
