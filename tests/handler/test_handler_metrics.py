"""Handler metrics, read back from the EMF documents printed to stdout (what CloudWatch ingests):
names, values, units, the ``reason`` dimension of ``Failures``, namespace and service."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from handler_support import (
    BUCKET,
    CONFIG,
    MAX_OBJECT_BYTES,
    api_event,
    emf_documents,
    metric_total,
    metric_values,
    namespaces,
    s3_event,
    s3_record,
)

from file_processor.errors import TransientError


def aws_error(code: str, status: int, operation: str) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
        operation,
    )


def declared_units(documents: list[dict]) -> dict[str, str]:
    """Metric name → unit, as declared in the EMF directives."""
    return {
        metric["Name"]: metric["Unit"]
        for document in documents
        for directive in document["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
    }


def run(handler, event, context, capsys) -> tuple[object, list[dict]]:
    """Invoke, and return the answer (or the exception raised) with that invocation's EMF."""
    capsys.readouterr()
    try:
        answer = handler(event, context)
    except Exception as error:  # the metrics of a failed invocation are what is checked
        answer = error
    return answer, emf_documents(capsys.readouterr().out)


def test_processed_objects_are_counted_with_bytes_and_duration(handler, aws, context, capsys):
    # GIVEN two uploads in one notification
    aws.put("m/one.txt", b"hello\n")
    aws.put("m/two.csv", b"a,b\n1,2\n")
    event = s3_event(s3_record("m/one.txt", sequencer="01"), s3_record("m/two.csv", sequencer="02"))

    # WHEN handled
    _, documents = run(handler, event, context, capsys)

    # THEN the EMF carries them under the configured namespace and service, with their units
    assert namespaces(documents) == {CONFIG.metrics_namespace}
    assert metric_total(documents, "RecordsReceived", service=CONFIG.service_name) == 2
    assert metric_total(documents, "FilesProcessed", service=CONFIG.service_name) == 2
    assert metric_total(documents, "BytesProcessed") == len(b"hello\n") + len(b"a,b\n1,2\n")
    durations = metric_values(documents, "ProcessingDuration")
    assert len(durations) == 2
    assert all(duration > 0 for duration in durations)
    units = declared_units(documents)
    assert units["BytesProcessed"] == "Bytes"
    assert units["ProcessingDuration"] == "Milliseconds"
    assert units["FilesProcessed"] == "Count"


def test_a_duplicate_delivery_counts_as_a_duplicate_not_a_file(handler, aws, context, capsys):
    # GIVEN an object processed once
    aws.put("m/dup.txt", b"x\n")
    event = s3_event(s3_record("m/dup.txt", sequencer="0D"))
    run(handler, event, context, capsys)

    # WHEN the same notification is delivered again
    _, documents = run(handler, json.loads(json.dumps(event)), context, capsys)

    # THEN it is counted as a skipped duplicate, not as a processed file
    assert metric_total(documents, "DuplicatesSkipped") == 1
    assert metric_total(documents, "FilesProcessed") == 0
    assert metric_total(documents, "RecordsReceived") == 1


def test_failures_are_counted_by_reason(handler, aws, context, capsys):
    # GIVEN one notification with a missing object, an object over MAX_OBJECT_BYTES, an object
    # of another bucket, a record without a key, an ObjectRemoved record and a good object
    aws.put("m/big.bin", b"\0" * (MAX_OBJECT_BYTES + 1))
    aws.put("m/fine.txt", b"fine\n")
    keyless = s3_record("m/keyless.txt", sequencer="04")
    del keyless["s3"]["object"]["key"]
    event = s3_event(
        s3_record("m/gone.txt", sequencer="01"),
        s3_record("m/big.bin", sequencer="02"),
        s3_record("m/foreign.txt", sequencer="03", bucket="someone-elses-bucket"),
        keyless,
        s3_record("m/removed.txt", sequencer="05", event_name="ObjectRemoved:Delete"),
        s3_record("m/fine.txt", sequencer="06"),
    )

    # WHEN handled
    answer, documents = run(handler, event, context, capsys)

    # THEN each failure is counted once under its reason, and every record is accounted for
    assert answer == {"processed": 1, "rejected": 4, "duplicates": 0, "ignored": 1}
    assert metric_total(documents, "Failures", reason="not_found") == 1
    assert metric_total(documents, "Failures", reason="too_large") == 1
    assert metric_total(documents, "Failures", reason="unsupported") == 2
    assert metric_total(documents, "Failures") == 4
    assert metric_total(documents, "RecordsIgnored") == 1
    assert metric_total(documents, "FilesProcessed") == 1
    assert metric_total(documents, "RecordsReceived") == 6
    failure_namespaces = {
        directive["Namespace"]
        for document in documents
        if "Failures" in document
        for directive in document["_aws"]["CloudWatchMetrics"]
    }
    assert failure_namespaces == {CONFIG.metrics_namespace}


def test_a_transient_failure_is_counted_even_though_the_invocation_raises(
    handler, application, aws, context, capsys, monkeypatch
):
    # GIVEN SNS throttling every publish
    aws.put("m/t.txt", b"t\n")
    monkeypatch.setattr(
        application.clients.sns,
        "publish",
        lambda **_: (_ for _ in ()).throw(aws_error("Throttling", 400, "Publish")),
    )

    # WHEN handled
    answer, documents = run(handler, s3_event(s3_record("m/t.txt")), context, capsys)

    # THEN it raised (Lambda retries) and the failure and the received record were still flushed
    assert isinstance(answer, TransientError)
    assert metric_total(documents, "Failures", reason="transient") == 1
    assert metric_total(documents, "RecordsReceived") == 1
    assert metric_total(documents, "FilesProcessed") == 0


@pytest.mark.parametrize(
    ("client", "method", "error", "reason"),
    [
        ("s3", "get_object", aws_error("AccessDenied", 403, "GetObject"), "internal_error"),
        (
            "dynamodb",
            "put_item",
            aws_error("ProvisionedThroughputExceededException", 400, "PutItem"),
            "transient",
        ),
    ],
    ids=["deployment-bug", "idempotency-table-throttled"],
)
def test_errors_that_raise_are_counted_by_their_cause(
    handler, application, aws, context, capsys, monkeypatch, client, method, error, reason
):
    # GIVEN S3 refusing access (an IAM bug) or the idempotency table throttling (which
    # Powertools re-raises as its own error, the SDK error as the cause)
    aws.put("m/e.txt", b"e\n")

    def failing(**_):
        raise error

    monkeypatch.setattr(getattr(application.clients, client), method, failing)

    # WHEN handled
    answer, documents = run(handler, s3_event(s3_record("m/e.txt")), context, capsys)

    # THEN it raised, counted under the reason of its cause
    assert isinstance(answer, Exception)
    assert metric_total(documents, "Failures", reason=reason) == 1
    assert metric_total(documents, "Failures") == 1


def test_api_requests_and_their_failures_are_counted(
    handler, application, aws, context, capsys, monkeypatch
):
    # GIVEN an object, then requests: a good one, a bad body, and one while S3 throttles
    aws.put("m/api.txt", b"api\n")
    _, ok = run(handler, api_event('{"key": "m/api.txt"}'), context, capsys)
    _, bad = run(handler, api_event("{not json"), context, capsys)
    monkeypatch.setattr(
        application.clients.s3,
        "get_object",
        lambda **_: (_ for _ in ()).throw(aws_error("SlowDown", 503, "GetObject")),
    )
    answer, throttled = run(handler, api_event('{"key": "m/api.txt"}'), context, capsys)

    # THEN each request is counted, with the processed file or the failure's reason
    assert answer["statusCode"] == 503
    assert metric_total(ok, "ApiRequests") == 1
    assert metric_total(ok, "FilesProcessed") == 1
    assert metric_total(ok, "BytesProcessed") == len(b"api\n")
    assert metric_total(bad, "Failures", reason="invalid_json") == 1
    assert metric_total(throttled, "Failures", reason="transient") == 1
    assert metric_total(throttled, "ApiRequests") == 1


def test_every_invocation_flushes_its_metrics(handler, aws, context, capsys):
    # GIVEN the S3 test event (asks for nothing) / WHEN handled
    answer, documents = run(handler, {"Event": "s3:TestEvent", "Bucket": BUCKET}, context, capsys)

    # THEN an EMF document is still written: the event is counted as an ignored record
    assert answer == {"processed": 0, "rejected": 0, "duplicates": 0, "ignored": 1}
    assert metric_total(documents, "RecordsIgnored") == 1
