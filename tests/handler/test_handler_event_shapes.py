"""Every event shape gets a clean answer, judged on payloads published by AWS and Powertools.

- REST proxy requests (payload 1.0) are served; HTTP API / function URL (2.0), ALB and VPC
  Lattice requests get a 400 JSON saying the REST API is expected, in their own format.
- S3 notifications are processed however they arrive: directly, through SNS, through SQS (with
  or without an SNS envelope, FIFO or not) or through EventBridge, with the same idempotency key.
- SQS batches report partial failures in ``batchItemFailures``; an S3 test event is a no-op in
  any envelope.
- Anything else is logged, counted and raised as ``UnsupportedEventError``.

The fixtures and their provenance: ``tests/handler/fixtures/README.md``.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import pytest
from botocore.exceptions import ClientError
from handler_support import (
    BUCKET,
    CONFIG,
    emf_documents,
    metric_total,
    s3_event,
    s3_record,
)

from file_processor.errors import TransientError, UnsupportedEventError

FIXTURES = Path(__file__).parent / "fixtures"
POWERTOOLS = FIXTURES / "powertools"
AWS_DOCS = FIXTURES / "aws-docs"
ALL_PUBLISHED = sorted([*POWERTOOLS.glob("*.json"), *AWS_DOCS.glob("*.json")])


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def summary(processed=0, rejected=0, duplicates=0, ignored=0) -> dict[str, int]:
    return {
        "processed": processed,
        "rejected": rejected,
        "duplicates": duplicates,
        "ignored": ignored,
    }


REJECTED = summary(rejected=1)  # an object of another bucket: a rejected result is published
IGNORED = summary(ignored=1)
NOT_SERVED = ("http", 400, "unsupported_event")
NO_ROUTE = ("http", 404, "not_found")
# What each published payload gets; every file not named here must raise UnsupportedEventError.
EXPECTED: dict[str, tuple[Any, ...]] = {
    **{
        name: NOT_SERVED
        for name in [
            "albEvent.json",
            "albEventPathTrailingSlash.json",
            "albMultiValueHeadersEvent.json",
            "albMultiValueQueryStringEvent.json",
            "apiGatewayProxyV2Event.json",
            "apiGatewayProxyV2EventPathTrailingSlash.json",
            "apiGatewayProxyV2Event_GET.json",
            "apiGatewayProxyV2IamEvent.json",
            "apiGatewayProxyV2LambdaAuthorizerEvent.json",
            "apiGatewayProxyV2OtherGetEvent.json",
            "apiGatewayProxyV2SchemaMiddlwareInvalidEvent.json",
            "apiGatewayProxyV2SchemaMiddlwareValidEvent.json",
            "lambdaFunctionUrlEvent.json",
            "lambdaFunctionUrlEventPathTrailingSlash.json",
            "lambdaFunctionUrlEventWithHeaders.json",
            "lambdaFunctionUrlIAMEvent.json",
            "vpcLatticeEvent.json",
            "vpcLatticeEventPathTrailingSlash.json",
            "vpcLatticeEventV2PathTrailingSlash.json",
            "vpcLatticeV2Event.json",
            "vpcLatticeV2EventWithHeaders.json",
            "alb-request.json",
            "function-url-request.json",
        ]
    },
    # REST proxy requests are served: none of these paths is POST /process.
    **{
        name: NO_ROUTE
        for name in [
            "apiGatewayProxyEvent.json",
            "apiGatewayProxyEventAnotherPath.json",
            "apiGatewayProxyEventNoOrigin.json",
            "apiGatewayProxyEventPathTrailingSlash.json",
            "apiGatewayProxyEventPrincipalId.json",
            "apiGatewayProxyEvent_noVersionAuth.json",
            "apiGatewayProxyOtherEvent.json",
            "apigatewayeSchemaMiddlwareInvalidEvent.json",
            "apigatewayeSchemaMiddlwareValidEvent.json",
        ]
    },
    "s3Event.json": ("summary", REJECTED),
    "s3EventDecodedKey.json": ("summary", REJECTED),
    "s3EventGlacier.json": ("summary", REJECTED),
    "s3EventDeleteObject.json": ("summary", IGNORED),
    "s3EventBridgeNotificationObjectCreatedEvent.json": ("summary", REJECTED),
    "s3EventBridgeNotificationObjectDeletedEvent.json": ("summary", IGNORED),
    "s3EventBridgeNotificationObjectExpiredEvent.json": ("summary", IGNORED),
    "s3EventBridgeNotificationObjectRestoreCompletedEvent.json": ("summary", IGNORED),
    "s3SqsEvent.json": ("batch", []),
    "s3-put.json": ("summary", REJECTED),
    "s3-test-event.json": ("summary", IGNORED),
    "eventbridge-object-created.json": ("summary", REJECTED),
    "eventbridge-object-deleted.json": ("summary", IGNORED),
    "eventbridge-object-deleted-lifecycle.json": ("summary", IGNORED),
    "eventbridge-object-restore-completed.json": ("summary", IGNORED),
}


def test_the_fixtures_are_all_there():
    # GIVEN the committed fixtures / THEN Powertools' whole directory and every name above exist
    assert len(list(POWERTOOLS.glob("*.json"))) == 104
    assert set(EXPECTED) <= {path.name for path in ALL_PUBLISHED}


@pytest.mark.parametrize("path", ALL_PUBLISHED, ids=lambda path: path.name)
def test_every_published_payload_gets_a_clean_answer(handler, aws, context, capsys, path):
    # GIVEN a payload published by AWS or Powertools
    event = load(path)
    expected = EXPECTED.get(path.name, ("unsupported",))

    # WHEN the function is invoked with it
    try:
        answer = handler(event, context)
    except UnsupportedEventError as error:
        answer = error

    # THEN it gets its documented answer, and nothing else escapes
    documents = emf_documents(capsys.readouterr().out)
    if expected[0] == "unsupported":
        assert isinstance(answer, UnsupportedEventError), answer
        assert "expected an S3 notification" in str(answer)
        # (an SQS batch counts each message it hands back)
        unusable = len(event["Records"]) if path.name.startswith(("sqs", "snsSqs")) else 1
        assert metric_total(documents, "UnsupportedEvents") == unusable
        assert metric_total(documents, "Failures", reason="unsupported_event") == unusable
    elif expected[0] == "http":
        _, status, error = expected
        assert answer["statusCode"] == status
        assert json.loads(answer["body"])["error"] == error
        assert answer["isBase64Encoded"] is False
    elif expected[0] == "summary":
        assert answer == expected[1]
        assert len(aws.messages()) == expected[1]["rejected"] + expected[1]["processed"]
    else:
        assert answer == {"batchItemFailures": expected[1]}


# --- HTTP front doors -------------------------------------------------------------------------


def test_http_api_v2_request_is_not_served_even_for_an_existing_object(handler, aws, context):
    # GIVEN an object, and Powertools' HTTP API v2 payload re-pointed at POST /process for it
    aws.put("data/x.csv", b"a,b\n1,2\n")
    event = load(POWERTOOLS / "apiGatewayProxyV2Event.json")
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/process"
    event["requestContext"]["http"]["method"] = "POST"
    event["body"], event["isBase64Encoded"] = json.dumps({"key": "data/x.csv"}), False

    # WHEN it is invoked
    response = handler(event, context)

    # THEN a 400 JSON says the REST API (payload format 1.0) is expected; nothing is processed
    assert response["statusCode"] == 400
    assert response["headers"]["Content-Type"] == "application/json"
    body = json.loads(response["body"])
    assert body["error"] == "unsupported_event"
    assert "REST API" in body["message"]
    assert "payload format 1.0" in body["message"]
    assert "payload format 2.0" in body["message"]
    assert aws.messages() == []


@pytest.mark.parametrize(
    ("name", "header_key"),
    [("albEvent.json", "headers"), ("albMultiValueHeadersEvent.json", "multiValueHeaders")],
)
def test_alb_request_is_not_served_and_gets_an_alb_response(
    handler, aws, context, name, header_key
):
    # GIVEN Powertools' ALB payload as a POST /process naming an existing object
    aws.put("data/x.csv", b"a,b\n1,2\n")
    event = load(POWERTOOLS / name)
    event.update(httpMethod="POST", path="/process", body='{"key": "data/x.csv"}')

    # WHEN it is invoked
    response = handler(event, context)

    # THEN a 400 in ALB's response format (statusDescription; multi-value headers when the
    # target group has them on), not the API's 200
    assert response["statusCode"] == 400
    assert response["statusDescription"] == "400 Bad Request"
    [other_key] = {"headers", "multiValueHeaders"} - {header_key}
    assert response[header_key]["Content-Type"] in ("application/json", ["application/json"])
    assert other_key not in response
    assert json.loads(response["body"])["error"] == "unsupported_event"
    assert "Application Load Balancer" in json.loads(response["body"])["message"]


def test_authorizer_request_with_http_method_is_not_answered_as_an_api_call(context, handler):
    # GIVEN an API Gateway Lambda authorizer request (it carries httpMethod and path)
    event = load(POWERTOOLS / "apiGatewayAuthorizerRequestEvent.json")

    # WHEN invoked / THEN it is refused as an event, not answered with a proxy response
    with pytest.raises(UnsupportedEventError, match="authorizer"):
        handler(event, context)


# --- S3 notifications in envelopes ------------------------------------------------------------


def s3_notification(aws, key: str, body: bytes, *, sequencer: str = "0055AED6DCD90281E5") -> dict:
    """AWS's published PUT notification, re-pointed at ``key`` (uploaded) in the test bucket."""
    version = aws.put(key, body)
    notification = load(AWS_DOCS / "s3-put.json")
    obj = notification["Records"][0]["s3"]["object"]
    notification["Records"][0]["s3"]["bucket"].update(name=BUCKET, arn=f"arn:aws:s3:::{BUCKET}")
    obj.update(key=key.replace(" ", "+"), size=len(body), versionId=version, sequencer=sequencer)
    return notification


def via_sns(payload: dict) -> dict:
    """Powertools' published SNS → Lambda event carrying ``payload`` as its message."""
    event = load(POWERTOOLS / "snsEvent.json")
    event["Records"][0]["Sns"]["Message"] = json.dumps(payload)
    return event


def via_sqs(*bodies: str, fifo: bool = False) -> dict:
    """Powertools' published SQS event (standard or FIFO) carrying ``bodies``, one per message."""
    sample = load(POWERTOOLS / ("snsSqsFifoEvent.json" if fifo else "sqsEvent.json"))
    template = sample["Records"][0]
    records = []
    for number, body in enumerate(bodies):
        record = copy.deepcopy(template)
        record["messageId"] = f"message-{number}"
        record["body"] = body
        records.append(record)
    return {"Records": records}


def sns_envelope(payload: dict) -> str:
    """Powertools' published SNS envelope (as SNS delivers to SQS) carrying ``payload``."""
    body = json.loads(load(POWERTOOLS / "snsSqsEvent.json")["Records"][0]["body"])
    body["Message"] = json.dumps(payload)
    return json.dumps(body)


def eventbridge_object_created(aws, key: str, body: bytes) -> dict:
    """AWS's published EventBridge Object Created event for ``key`` (uploaded; the key
    URL-encoded in the event, as in a notification)."""
    version = aws.put(key, body)
    event = load(AWS_DOCS / "eventbridge-object-created.json")
    event["detail"]["bucket"]["name"] = BUCKET
    event["detail"]["object"].update(
        key=quote_plus(key, safe="/"), size=len(body), **{"version-id": version}
    )
    return event


def test_s3_through_sns_is_processed_like_a_direct_notification(handler, aws, context):
    # GIVEN an upload whose notification comes through SNS (S3 → SNS → Lambda)
    event = via_sns(s3_notification(aws, "sns/my report.txt", b"one\ntwo\n"))

    # WHEN invoked
    answer = handler(event, context)

    # THEN the object is processed and published, its key decoded as from a direct notification
    assert answer == summary(processed=1)
    [(document, _)] = aws.messages()
    assert document["key"] == "sns/my report.txt"
    assert document["facts"] == {"line_count": 2, "utf8_valid": True}


@pytest.mark.parametrize("wrapped_in_sns", [False, True], ids=["raw", "sns-envelope"])
def test_s3_through_sqs_is_processed_and_reports_no_failures(handler, aws, context, wrapped_in_sns):
    # GIVEN two uploads delivered as two SQS messages (S3 → SQS, or S3 → SNS → SQS non-raw)
    bodies = []
    for number in range(2):
        notification = s3_notification(aws, f"sqs/{number}.txt", b"x\n", sequencer=f"0{number}")
        bodies.append(sns_envelope(notification) if wrapped_in_sns else json.dumps(notification))

    # WHEN the batch is invoked
    answer = handler(via_sqs(*bodies), context)

    # THEN both are published and the partial batch response reports no failure
    assert answer == {"batchItemFailures": []}
    assert sorted(document["key"] for document, _ in aws.messages()) == ["sqs/0.txt", "sqs/1.txt"]


def test_powertools_s3_sqs_sample_is_processed_when_its_object_exists(handler, aws, context):
    # GIVEN Powertools' S3 → SQS sample, its inner notification re-pointed at an uploaded object
    event = load(POWERTOOLS / "s3SqsEvent.json")
    notification = json.loads(event["Records"][0]["body"])
    version = aws.put("test.pdf", b"%PDF-1.4\n")
    notification["Records"][0]["s3"]["bucket"]["name"] = BUCKET
    notification["Records"][0]["s3"]["object"]["versionId"] = version
    event["Records"][0]["body"] = json.dumps(notification)

    # WHEN invoked / THEN processed (a PDF), no failure reported
    assert handler(event, context) == {"batchItemFailures": []}
    [(document, _)] = aws.messages()
    assert (document["key"], document["content_type"]) == ("test.pdf", "application/pdf")


def test_eventbridge_keys_are_url_decoded_like_notification_keys(handler, aws, context):
    # GIVEN an EventBridge Object Created event for a key with '+', '%' and spaces
    key = "eb/a+b 100%25 (1).txt"
    event = eventbridge_object_created(aws, key, b"hello\n")
    assert event["detail"]["object"]["key"] == "eb/a%2Bb+100%2525+%281%29.txt"

    # WHEN invoked
    answer = handler(event, context)

    # THEN the uploaded key is read (used raw, S3 would be asked for "eb/a%2Bb+100%2525…")
    assert answer == summary(processed=1)
    [(document, _)] = aws.messages()
    assert document["key"] == key
    assert document["version_id"] == event["detail"]["object"]["version-id"]
    assert document["event_time"] == event["time"]


def test_eventbridge_event_through_sqs_is_processed(handler, aws, context):
    # GIVEN an EventBridge rule targeting an SQS queue the function reads
    event = eventbridge_object_created(aws, "eb/q.txt", b"q\n")

    # WHEN the batch is invoked / THEN the object is processed
    assert handler(via_sqs(json.dumps(event)), context) == {"batchItemFailures": []}
    assert [document["key"] for document, _ in aws.messages()] == ["eb/q.txt"]


def test_one_upload_delivered_every_way_is_published_once(handler, aws, context):
    # GIVEN one upload's notification, delivered directly, through SNS, through SQS and
    # through SNS → SQS (a fan-out wiring, or a redrive)
    notification = s3_notification(aws, "dup/once.txt", b"once\n")

    # WHEN each delivery is handled
    direct = handler(copy.deepcopy(notification), context)
    through_sns = handler(via_sns(notification), context)
    through_sqs = handler(via_sqs(json.dumps(notification), sns_envelope(notification)), context)

    # THEN one result: every path derives the same idempotency key
    assert direct == summary(processed=1)
    assert through_sns == summary(duplicates=1)
    assert through_sqs == {"batchItemFailures": []}
    assert len(aws.messages()) == 1


def test_s3_test_event_is_a_no_op_in_every_envelope(handler, aws, context):
    # GIVEN AWS's published S3 test event, directly, through SNS and through SQS (+ SNS)
    test_event = load(AWS_DOCS / "s3-test-event.json")

    # WHEN each is handled / THEN nothing is processed, nothing fails, nothing is published
    assert handler(test_event, context) == IGNORED
    assert handler(via_sns(test_event), context) == IGNORED
    batch = via_sqs(json.dumps(test_event), sns_envelope(test_event))
    assert handler(batch, context) == {"batchItemFailures": []}
    assert aws.messages() == []


def throttle_publish_of(monkeypatch, application, key: str) -> list[str]:
    """SNS throttles every publish of ``key``'s result; returns the keys published meanwhile."""
    original = application.clients.sns.publish
    attempts: list[str] = []

    def publish(**kwargs):
        document_key = json.loads(kwargs["Message"])["key"]
        attempts.append(document_key)
        if document_key == key:
            raise ClientError(
                {"Error": {"Code": "Throttling"}, "ResponseMetadata": {"HTTPStatusCode": 400}},
                "Publish",
            )
        return original(**kwargs)

    monkeypatch.setattr(application.clients.sns, "publish", publish)
    return attempts


def test_sqs_partial_failure_reports_only_the_failed_messages(
    handler, application, aws, context, capsys, monkeypatch
):
    # GIVEN a batch of a good upload, a message that is not an S3 notification, and an upload
    # whose result SNS keeps throttling
    good = json.dumps(s3_notification(aws, "batch/good.txt", b"g\n", sequencer="01"))
    flaky = json.dumps(s3_notification(aws, "batch/flaky.txt", b"f\n", sequencer="02"))
    healthy_publish = application.clients.sns.publish
    throttle_publish_of(monkeypatch, application, "batch/flaky.txt")
    event = via_sqs(good, "Test message.", flaky)

    # WHEN invoked
    answer = handler(event, context)

    # THEN only the two failed messages go back to the queue; the good one is published
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": "message-1"}, {"itemIdentifier": "message-2"}]
    }
    assert [document["key"] for document, _ in aws.messages()] == ["batch/good.txt"]
    documents = emf_documents(capsys.readouterr().out)
    assert metric_total(documents, "BatchItemFailures") == 2
    assert metric_total(documents, "Failures", reason="transient") == 1
    assert metric_total(documents, "Failures", reason="unsupported_event") == 1
    assert metric_total(documents, "FilesProcessed") == 1

    # AND WHEN SQS redelivers the failed messages once SNS recovered
    monkeypatch.setattr(application.clients.sns, "publish", healthy_publish)
    poison, throttled = event["Records"][1], event["Records"][2]
    with pytest.raises(UnsupportedEventError):
        handler({"Records": [poison]}, context)  # alone in its batch, it fails the invocation
    assert handler({"Records": [throttled]}, context) == {"batchItemFailures": []}

    # THEN the flaky object is published, once
    assert [document["key"] for document, _ in aws.messages()] == ["batch/flaky.txt"]


def test_sqs_batch_where_everything_fails_raises(handler, application, aws, context, monkeypatch):
    # GIVEN a batch whose only upload's publish is throttled
    flaky = json.dumps(s3_notification(aws, "batch/all.txt", b"a\n"))
    throttle_publish_of(monkeypatch, application, "batch/all.txt")

    # WHEN invoked / THEN the invocation raises: the whole batch returns to the queue even if
    # the event source mapping lacks ReportBatchItemFailures
    with pytest.raises(TransientError):
        handler(via_sqs(flaky), context)
    assert aws.messages() == []


def test_sqs_fifo_failure_holds_back_the_rest_of_its_message_group(
    handler, application, aws, context, monkeypatch
):
    # GIVEN a FIFO batch: group A's first upload fails to publish, group A's second and group
    # B's upload are fine
    first = json.dumps(s3_notification(aws, "fifo/a1.txt", b"1\n", sequencer="01"))
    second = json.dumps(s3_notification(aws, "fifo/a2.txt", b"2\n", sequencer="02"))
    other = json.dumps(s3_notification(aws, "fifo/b1.txt", b"3\n", sequencer="03"))
    event = via_sqs(first, second, other, fifo=True)
    for record, group in zip(event["Records"], ["A", "A", "B"], strict=True):
        record["attributes"]["MessageGroupId"] = group
    attempts = throttle_publish_of(monkeypatch, application, "fifo/a1.txt")

    # WHEN invoked
    answer = handler(event, context)

    # THEN group A's later message is not processed ahead of the failed one; group B goes on
    assert answer == {
        "batchItemFailures": [{"itemIdentifier": "message-0"}, {"itemIdentifier": "message-1"}]
    }
    assert "fifo/a2.txt" not in attempts
    assert [document["key"] for document, _ in aws.messages()] == ["fifo/b1.txt"]


# --- Unsupported events -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("event", "described"),
    [
        (via_sns({"message": "hello"}), "an SNS message from"),
        (load(POWERTOOLS / "dynamoStreamEvent.json"), "aws:dynamodb"),
        (load(POWERTOOLS / "eventBridgeEvent.json"), "'aws.ec2'"),
        ([1, 2], "a JSON array"),
        ({"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, "a malformed batch"),
    ],
    ids=["sns-not-s3", "dynamodb-stream", "eventbridge-ec2", "array", "sqs-without-message-id"],
)
def test_unsupported_events_are_logged_counted_and_raised(
    handler, aws, context, capsys, event, described
):
    # GIVEN an event the function does not serve / WHEN invoked
    with pytest.raises(UnsupportedEventError) as raised:
        handler(event, context)

    # THEN the error says what arrived and what is expected (so an asynchronous event is
    # retried, then kept by the on-failure destination), and it was logged and counted
    assert described in str(raised.value)
    assert "expected an S3 notification" in str(raised.value)
    output = capsys.readouterr().out
    [log] = [json.loads(line) for line in output.splitlines() if '"unsupported event"' in line]
    assert log["level"] == "ERROR"
    assert described in log["event_shape"]
    documents = emf_documents(output)
    assert metric_total(documents, "UnsupportedEvents", service=CONFIG.service_name) == 1
    assert metric_total(documents, "Failures", reason="unsupported_event") == 1


def test_sns_event_processes_its_usable_messages_before_raising(handler, aws, context):
    # GIVEN an SNS event with an S3 notification and a message that is not one
    event = via_sns(s3_notification(aws, "sns/ok.txt", b"ok\n"))
    foreign = copy.deepcopy(event["Records"][0])
    foreign["Sns"]["Message"] = "Hello from SNS!"
    event["Records"].append(foreign)

    # WHEN invoked / THEN it raises for the unusable message, after processing the other
    with pytest.raises(UnsupportedEventError, match="SNS message"):
        handler(event, context)
    assert [document["key"] for document, _ in aws.messages()] == ["sns/ok.txt"]


def test_direct_notification_records_still_never_raise(handler, aws, context):
    # GIVEN a direct notification mixing a good record and a record of no known source
    aws.put("mixed/ok.txt", b"ok\n")
    odd = s3_record("mixed/odd.txt")
    odd["eventSource"] = "not-a-source"

    # WHEN invoked / THEN the good record is processed and the odd one counted as rejected
    answer = handler(s3_event(s3_record("mixed/ok.txt"), odd), context)
    assert answer == summary(processed=1, rejected=1)
