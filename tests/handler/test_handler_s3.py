"""S3 path: streaming, content types, awkward keys, versions, limits, rejected results."""

from __future__ import annotations

import hashlib
from urllib.parse import quote_plus

import pytest
from handler_support import BUCKET, MAX_OBJECT_BYTES, s3_event, s3_record

from file_processor.errors import UnsupportedEventError


def test_text_object_is_processed_and_published(handler, aws, context):
    # GIVEN a plain text object of three lines
    body = b"alpha\nbeta\ngamma\n"
    version = aws.put("notes/readme.txt", body)

    # WHEN the handler receives its upload notification
    summary = handler(s3_event(s3_record("notes/readme.txt", version_id=version)), context)

    # THEN one result is published with the object's facts and filterable attributes
    assert summary == {"processed": 1, "rejected": 0, "duplicates": 0, "ignored": 0}
    [(document, attributes)] = aws.messages()
    assert document["status"] == "processed"
    assert document["bucket"] == BUCKET
    assert document["key"] == "notes/readme.txt"
    assert document["version_id"] == version
    assert document["sequencer"] == "0055AED6DCD90281E5"
    assert document["size_bytes"] == len(body)
    assert document["sha256"] == hashlib.sha256(body).hexdigest()
    assert document["content_type"] == "text/plain"
    assert document["facts"] == {"line_count": 3, "utf8_valid": True}
    assert attributes["status"] == "processed"
    assert attributes["content_type"] == "text/plain"
    assert attributes["schema_version"] == "1"


@pytest.mark.parametrize(
    ("key", "body", "content_type", "kind", "facts"),
    [
        (
            "data/people.csv",
            b'name,city\n"Doe, Jane","Oslo"\nBob,"multi\nline"\n',
            "text/csv",
            "csv",
            {"valid": True, "columns": ["name", "city"], "column_count": 2, "row_count": 2},
        ),
        (
            "data/doc.json",
            b'[{"a": 1}, {"b": [2, 3]}, null]',
            "application/json",
            "json",
            {"valid": True, "record_count": 3},
        ),
        (
            "data/broken.json",
            b'{"a": 1,}',
            "application/json",
            "json",
            None,  # invalid: checked below
        ),
        (
            "data/events.ndjson",
            b'{"n": 1}\n{"n": 2}\n\n{"n": 3}\n',
            "application/x-ndjson",
            "ndjson",
            {"valid": True, "record_count": 3, "first_invalid_line": None},
        ),
        (
            "data/mixed.jsonl",
            b'{"n": 1}\nnot json\n{"n": 3}\n',
            "application/x-ndjson",
            "ndjson",
            {"valid": False, "record_count": 2, "first_invalid_line": 2},
        ),
        (
            "img/pixel.png",
            b"\x89PNG\r\n\x1a\n" + bytes(range(256)),
            "image/png",
            "binary",
            {},
        ),
        (
            "latin1.txt",
            "caf\u00e9\n".encode("latin-1"),
            "text/plain",
            "text",
            {"line_count": 1, "utf8_valid": False},
        ),
    ],
)
def test_each_content_type_gets_its_facts(
    handler, aws, context, key, body, content_type, kind, facts
):
    # GIVEN an object of a given type
    version = aws.put(key, body)

    # WHEN it is processed from its upload event
    handler(s3_event(s3_record(quote_plus(key), version_id=version)), context)

    # THEN the sniffed type, the processor kind and its facts are reported
    [(document, attributes)] = aws.messages()
    assert document["content_type"] == content_type
    assert document["kind"] == kind
    assert attributes["kind"] == kind
    if facts is None:
        assert document["facts"]["valid"] is False
        assert document["facts"]["record_count"] is None
    else:
        assert document["facts"] == facts


@pytest.mark.parametrize(
    "key",
    [
        "my file (1).txt",
        "a+b=c.txt",
        "100% done.txt",
        "r\u00e9sum\u00e9 \u6587\u4ef6 \U0001f600.txt",
        "dir/sub dir/odd&chars?#.txt",
    ],
)
def test_awkward_keys_are_decoded_before_reading(handler, aws, context, key):
    # GIVEN an object whose key has spaces, '+', '%' or non-ASCII characters
    aws.put(key, b"x\n")
    encoded = quote_plus(key, safe="/")  # how S3 puts it in the notification

    # WHEN the notification arrives with the URL-encoded key
    summary = handler(s3_event(s3_record(encoded)), context)

    # THEN the decoded key is read (no NoSuchKey) and reported decoded
    assert summary["processed"] == 1
    [(document, _)] = aws.messages()
    assert document["key"] == key
    assert document["status"] == "processed"


def test_overwritten_object_processes_the_event_version(handler, aws, context):
    # GIVEN an upload whose object was overwritten before the handler ran
    first = aws.put("report.txt", b"original\n")
    second = aws.put("report.txt", b"overwritten with more lines\nand more\n")
    assert first != second

    # WHEN the first upload's notification is handled
    handler(s3_event(s3_record("report.txt", version_id=first)), context)

    # THEN the original bytes are the ones processed
    [(document, _)] = aws.messages()
    assert document["version_id"] == first
    assert document["sha256"] == hashlib.sha256(b"original\n").hexdigest()
    assert document["facts"]["line_count"] == 1


def test_missing_object_publishes_a_rejected_result(handler, aws, context):
    # GIVEN a notification for an object that no longer exists
    event = s3_event(s3_record("gone.txt", sequencer="00AA"))

    # WHEN it is handled
    summary = handler(event, context)

    # THEN a rejected result with the reason is published, and nothing raises (no retry)
    assert summary["rejected"] == 1
    [(document, attributes)] = aws.messages()
    assert document["status"] == "rejected"
    assert document["reason"]["code"] == "not_found"
    assert "gone.txt" in document["reason"]["message"]
    assert document["sha256"] is None
    assert attributes == {
        "status": "rejected",
        "content_type": "unknown",
        "kind": "unknown",
        "schema_version": "1",
        "reason": "not_found",
    }


def test_object_over_max_object_bytes_is_rejected_without_reading(handler, aws, context):
    # GIVEN an object just above MAX_OBJECT_BYTES and one exactly at it
    aws.put("big.bin", b"\0" * (MAX_OBJECT_BYTES + 1))
    aws.put("edge.bin", b"\0" * MAX_OBJECT_BYTES)

    # WHEN both are handled in one multi-record event
    summary = handler(
        s3_event(s3_record("big.bin", sequencer="01"), s3_record("edge.bin", sequencer="02")),
        context,
    )

    # THEN the larger one is rejected as too large and the one at the limit is processed
    assert summary == {"processed": 1, "rejected": 1, "duplicates": 0, "ignored": 0}
    by_key = {document["key"]: document for document, _ in aws.messages()}
    assert by_key["big.bin"]["reason"]["code"] == "too_large"
    assert str(MAX_OBJECT_BYTES) in by_key["big.bin"]["reason"]["message"]
    assert by_key["edge.bin"]["size_bytes"] == MAX_OBJECT_BYTES


def test_other_bucket_and_malformed_records_are_not_retried(handler, aws, context):
    # GIVEN a record from another bucket, one without a key and an ObjectRemoved record
    foreign = s3_record("x.txt", bucket="someone-elses-bucket")
    keyless = s3_record("y.txt")
    del keyless["s3"]["object"]["key"]
    removed = s3_record("z.txt", event_name="ObjectRemoved:Delete")

    # WHEN they arrive together
    summary = handler(s3_event(foreign, keyless, removed), context)

    # THEN the foreign object is rejected (published), the keyless one counted, the removal ignored
    assert summary == {"processed": 0, "rejected": 2, "duplicates": 0, "ignored": 1}
    [(document, _)] = aws.messages()
    assert document["bucket"] == "someone-elses-bucket"
    assert document["reason"]["code"] == "unsupported"


def test_s3_test_event_is_acknowledged(handler, aws, context):
    # GIVEN the test event S3 sends when a notification is configured
    event = {"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": BUCKET}

    # WHEN it is handled
    summary = handler(event, context)

    # THEN nothing is published
    assert summary["ignored"] == 1
    assert aws.messages() == []


def test_unknown_event_shapes_fail_loudly(handler, aws, context):
    # GIVEN an event that is neither an S3 notification nor an API request
    event = {"source": "aws.events", "detail-type": "Scheduled Event"}

    # WHEN handled / THEN the error says what was expected (it reaches the on-failure destination)
    with pytest.raises(UnsupportedEventError, match="expected an S3 notification"):
        handler(event, context)
