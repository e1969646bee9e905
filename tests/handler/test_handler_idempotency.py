"""Delivery semantics: duplicates publish once; a transient failure raises, the retry once."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError
from handler_support import EVENTS_DIR, TABLE, s3_event, s3_record

from file_processor.errors import TransientError


def aws_error(code: str, status: int, operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def fail_first_calls(monkeypatch, client, method: str, error: Exception, times: int = 1) -> list:
    """Make ``client.method`` raise ``error`` for its first ``times`` calls; returns its calls."""
    original = getattr(client, method)
    calls: list = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) <= times:
            raise error
        return original(**kwargs)

    monkeypatch.setattr(client, method, flaky)
    return calls


def test_duplicate_delivery_publishes_one_result(handler, aws, context):
    # GIVEN an uploaded object and its notification
    version = aws.put("dup.txt", b"once\n")
    event = s3_event(s3_record("dup.txt", version_id=version, sequencer="00A1"))

    # WHEN the same event is delivered twice
    first = handler(event, context)
    second = handler(json.loads(json.dumps(event)), context)

    # THEN exactly one result is published; the second delivery is a recognised duplicate
    assert first["processed"] == 1
    assert second == {"processed": 0, "rejected": 0, "duplicates": 1, "ignored": 0}
    [(document, _)] = aws.messages()
    assert (document["key"], document["version_id"], document["sequencer"]) == (
        "dup.txt",
        version,
        "00A1",
    )


def test_idempotency_record_uses_the_default_table_schema(handler, aws, context):
    # GIVEN a processed object
    aws.put("rec.txt", b"x")
    handler(s3_event(s3_record("rec.txt")), context)

    # WHEN the idempotency table is read
    items = aws.dynamodb.scan(TableName=TABLE)["Items"]

    # THEN one COMPLETED record keyed by "id", with an "expiration" TTL attribute
    assert len(items) == 1
    assert items[0]["status"]["S"] == "COMPLETED"
    assert set(items[0]) >= {"id", "expiration", "data"}


def test_new_version_of_the_same_key_is_published_again(handler, aws, context):
    # GIVEN two uploads of one key (two versions, two sequencers)
    v1 = aws.put("same.txt", b"1\n")
    v2 = aws.put("same.txt", b"2\n")

    # WHEN both notifications arrive
    handler(s3_event(s3_record("same.txt", version_id=v1, sequencer="01")), context)
    handler(s3_event(s3_record("same.txt", version_id=v2, sequencer="02")), context)

    # THEN each version gets its own result
    versions = sorted(document["version_id"] for document, _ in aws.messages())
    assert versions == sorted([v1, v2])


def test_transient_sns_failure_raises_and_the_retry_publishes_once(
    handler, application, aws, context, monkeypatch
):
    # GIVEN SNS throttling the first publish (after the client's own retries gave up)
    aws.put("flaky.txt", b"data\n")
    event = s3_event(s3_record("flaky.txt", sequencer="0F"))
    calls = fail_first_calls(
        monkeypatch, application.clients.sns, "publish", aws_error("Throttling", 400, "Publish")
    )

    # WHEN the event is handled, then retried by Lambda, then delivered once more
    with pytest.raises(TransientError):
        handler(event, context)
    assert aws.messages() == []
    retry = handler(event, context)
    late_duplicate = handler(event, context)

    # THEN the failed attempt left no COMPLETED record: the retry published, exactly once
    assert retry["processed"] == 1
    assert late_duplicate["duplicates"] == 1
    assert len(calls) == 2
    assert len(aws.messages()) == 1


def test_partial_failure_in_a_multi_record_event(handler, application, aws, context, monkeypatch):
    # GIVEN a two-record event whose second publish times out
    aws.put("a.txt", b"a")
    aws.put("b.txt", b"b")
    event = s3_event(s3_record("a.txt", sequencer="0A"), s3_record("b.txt", sequencer="0B"))
    original = application.clients.sns.publish
    attempts = {"b.txt": 0}

    def publish(**kwargs):
        if json.loads(kwargs["Message"])["key"] == "b.txt" and attempts["b.txt"] == 0:
            attempts["b.txt"] += 1
            raise ReadTimeoutError(endpoint_url="https://sns.example")
        return original(**kwargs)

    monkeypatch.setattr(application.clients.sns, "publish", publish)

    # WHEN handled (raises) and retried
    with pytest.raises(TransientError):
        handler(event, context)
    retry = handler(event, context)

    # THEN each object is published once in total
    assert retry == {"processed": 1, "rejected": 0, "duplicates": 1, "ignored": 0}
    assert sorted(document["key"] for document, _ in aws.messages()) == ["a.txt", "b.txt"]


@pytest.mark.parametrize(
    ("client", "method", "error"),
    [
        ("s3", "get_object", aws_error("InternalError", 500, "GetObject")),
        ("s3", "get_object", aws_error("SlowDown", 503, "GetObject")),
        ("s3", "get_object", ReadTimeoutError(endpoint_url="https://s3.example")),
        ("sns", "publish", aws_error("InternalFailure", 500, "Publish")),
    ],
)
def test_transient_aws_errors_raise_and_publish_nothing(
    handler, application, aws, context, monkeypatch, client, method, error
):
    # GIVEN S3 or SNS failing transiently
    aws.put("t.txt", b"t")
    fail_first_calls(monkeypatch, getattr(application.clients, client), method, error)

    # WHEN the event is handled / THEN it raises for Lambda to retry, and nothing is published
    with pytest.raises(TransientError):
        handler(s3_event(s3_record("t.txt")), context)
    assert aws.messages() == []


def test_dynamodb_throttling_raises(handler, application, aws, context, monkeypatch):
    # GIVEN the idempotency table throttling writes
    aws.put("d.txt", b"d")
    fail_first_calls(
        monkeypatch,
        application.clients.dynamodb,
        "put_item",
        aws_error("ProvisionedThroughputExceededException", 400, "PutItem"),
        times=10,
    )

    # WHEN the event is handled / THEN it raises (Powertools wraps the persistence error)
    with pytest.raises(Exception, match="Failed to save in progress record"):
        handler(s3_event(s3_record("d.txt")), context)
    assert aws.messages() == []


def test_sample_duplicate_event_publishes_once(handler, aws, context):
    # GIVEN the sample duplicate-delivery event (two identical records) and its object body
    event = json.loads((EVENTS_DIR / "s3-duplicate-delivery.json").read_text(encoding="utf-8"))
    record = event["Records"][0]
    key = "reports/daily report+2026.csv"
    version = aws.put(key, (EVENTS_DIR / "objects" / key).read_bytes())
    for item in event["Records"]:
        item["s3"]["bucket"]["name"] = "sfp-uploads-test"
        item["s3"]["object"]["versionId"] = version

    # WHEN it is handled
    summary = handler(event, context)

    # THEN one result for the two records
    assert record["s3"]["object"]["key"] == "reports/daily+report%2B2026.csv"
    assert summary == {"processed": 1, "rejected": 0, "duplicates": 1, "ignored": 0}
    assert len(aws.messages()) == 1
