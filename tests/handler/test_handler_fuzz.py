"""Fuzzing the event shapes: no unhandled exception, every API answer a valid proxy response,
every SQS batch a partial batch response (or a raise when every message failed).

The normal run tries a few thousand events; ``HYPOTHESIS_PROFILE=deep`` tries >= 10,000 per test.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import hypothesis
from handler_support import BUCKET, api_event, s3_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from file_processor.errors import UnsupportedEventError
from file_processor.shapes import classify, describe

# Normal run: API_EXAMPLES + S3_EXAMPLES = a few thousand; the deep profile raises both.
API_EXAMPLES = max(2_000, settings.default.max_examples)
S3_EXAMPLES = max(1_000, settings.default.max_examples)
FUZZ = {"suppress_health_check": [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]}

EXISTING = {
    "data/a.csv": b"x,y\n1,2\n",
    "b c+d.txt": b"hello\n",
    "e.json": b"[1,2",
    "big.bin": b"\0" * 2000,
}
VALID_STATUSES = {200, 400, 404, 405, 413}


def mostly(usual: st.SearchStrategy, unusual: st.SearchStrategy) -> st.SearchStrategy:
    """``usual`` three times out of four: enough valid records reach S3, SNS and DynamoDB."""
    return st.integers(0, 3).flatmap(lambda n: usual if n else unusual)


junk = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
keys = (
    st.sampled_from(sorted(EXISTING))
    | st.text(min_size=0, max_size=40)
    | st.text(min_size=1000, max_size=1100)
)


@st.composite
def request_bodies(draw):
    """Request bodies from valid to absurd, optionally base64-encoded."""
    fields = draw(
        mostly(
            st.fixed_dictionaries({"key": st.sampled_from(sorted(EXISTING))}),
            st.fixed_dictionaries(
                {},
                optional={
                    "key": keys | junk,
                    "version_id": st.text(max_size=20) | junk,
                    "bucket": st.text(max_size=10),
                },
            ),
        )
    )
    body = draw(
        mostly(
            st.just(json.dumps(fields)),
            st.none() | st.text(max_size=60) | junk.map(json.dumps),
        )
    )
    encoded = draw(mostly(st.just(False), st.just(True)))
    if encoded and body is not None:
        body = draw(st.sampled_from([base64.b64encode(body.encode()).decode(), body]))
    return body, encoded


@st.composite
def api_events(draw):
    """Proxy events: mostly well-formed, with fuzzed method, path, headers, body and fields."""
    body, encoded = draw(request_bodies())
    event = api_event(
        body,
        method=draw(
            mostly(
                st.just("POST"),
                st.sampled_from(["GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
                | st.text(max_size=8),
            )
        ),
        path=draw(
            mostly(
                st.just("/process"),
                st.sampled_from(["/process/", "/", "/other", "/PROCESS"]) | st.text(max_size=15),
            )
        ),
        base64=encoded,
    )
    if draw(mostly(st.just(False), st.just(True))):
        event["headers"] = draw(
            st.none() | st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
        )
    fields = sorted(event)
    for name in draw(mostly(st.just([]), st.lists(st.sampled_from(fields), max_size=2))):
        event[name] = draw(junk)  # a field of the wrong type, or missing below
    for name in draw(mostly(st.just([]), st.lists(st.sampled_from(fields), max_size=1))):
        event.pop(name, None)
    event["httpMethod"] = event.get("httpMethod", "POST")  # what makes it an API event
    return event


@settings(max_examples=API_EXAMPLES, **FUZZ)
@given(event=api_events())
def test_api_events_always_get_a_valid_proxy_response(handler, aws, context, event):
    # GIVEN some objects (idempotent puts keep versions stable across examples)
    if not aws.seeded:
        for key, body in EXISTING.items():
            aws.put(key, body)
        aws.seeded = True

    # WHEN any API-shaped event is handled
    response = handler(event, context)

    # THEN the answer is a valid proxy response with a JSON object body and never a 5xx
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int)
    assert response["statusCode"] in VALID_STATUSES
    assert isinstance(response["body"], str)
    assert isinstance(json.loads(response["body"]), dict)
    hypothesis.event(f"HTTP {response['statusCode']}")  # the mix, in --hypothesis-show-statistics


@st.composite
def s3_records(draw):
    """S3 records: real-looking with fuzzed keys/versions/names, or junk."""
    key = draw(mostly(st.sampled_from(sorted(EXISTING)), keys))
    encoded = draw(mostly(st.just(quote_plus(key, safe="/")), st.sampled_from([quote(key), key])))
    record = s3_record(
        encoded,
        version_id=draw(mostly(st.none() | st.just("null"), st.text(max_size=12))),
        sequencer=draw(st.text(alphabet="0123456789ABCDEF", max_size=18)),
        bucket=draw(mostly(st.just(BUCKET), st.just("other-bucket") | st.text(max_size=8))),
        event_name=draw(
            mostly(
                st.sampled_from(["ObjectCreated:Put", "ObjectCreated:CompleteMultipartUpload"]),
                st.just("ObjectRemoved:Delete") | st.text(max_size=10),
            )
        ),
    )
    spoilable = ["eventSource", "s3", "eventTime", "responseElements"]
    for name in draw(mostly(st.just([]), st.lists(st.sampled_from(spoilable), max_size=1))):
        record[name] = draw(junk)
    return draw(mostly(st.just(record), junk))


@settings(max_examples=S3_EXAMPLES, **FUZZ)
@given(records=st.lists(s3_records(), max_size=3))
def test_s3_events_never_raise_on_client_input(handler, aws, context, records):
    # GIVEN some objects
    if not aws.seeded:
        for key, body in EXISTING.items():
            aws.put(key, body)
        aws.seeded = True

    # WHEN any S3-shaped event is handled
    summary = handler({"Records": records}, context)

    # THEN every record is accounted for, and what was published matches the schema
    assert sum(summary.values()) == len(records)
    published = aws.messages()  # validates each message against the schema
    assert len(published) <= summary["processed"] + summary["rejected"]
    for outcome, count in summary.items():
        if count:
            hypothesis.event(f"some {outcome}")


# --- Any event shape, and S3 notifications in envelopes -----------------------------------------

any_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    "Records",
                    "eventSource",
                    "EventSource",
                    "httpMethod",
                    "version",
                    "routeKey",
                    "source",
                    "detail-type",
                    "detail",
                    "Event",
                    "Sns",
                    "Message",
                    "Type",
                    "body",
                    "messageId",
                    "requestContext",
                    "elb",
                    "method",
                    "raw_path",
                    "s3",
                ]
            )
            | st.text(max_size=6),
            inner,
            max_size=4,
        )
    ),
    max_leaves=12,
)


@settings(max_examples=max(3_000, settings.default.max_examples))
@given(event=any_json)
def test_classification_never_raises_and_describes_without_values(event):
    # GIVEN any JSON value / WHEN classified and described / THEN no exception, and the
    # description is short (it names fields, never dumps the event)
    classify(event)
    assert len(describe(event)) < 600


@st.composite
def queue_bodies(draw):
    """SQS bodies: S3 notifications (raw or in an SNS envelope), test events, junk."""
    key = draw(mostly(st.sampled_from(sorted(EXISTING)), keys))
    notification = {"Records": [s3_record(quote_plus(key, safe="/"), sequencer="0A")]}
    payload = draw(
        mostly(
            st.just(notification),
            st.just({"Event": "s3:TestEvent"}) | any_json,
        )
    )
    if draw(st.booleans()):
        payload = {"Type": "Notification", "Message": json.dumps(payload)}
    return draw(mostly(st.just(json.dumps(payload)), st.text(max_size=30) | any_json))


@settings(max_examples=max(300, settings.default.max_examples // 10), **FUZZ)
@given(bodies=st.lists(queue_bodies(), min_size=1, max_size=3))
def test_sqs_batches_report_failures_or_raise_only_when_all_failed(handler, aws, context, bodies):
    # GIVEN some objects and an SQS batch of arbitrary bodies
    if not aws.seeded:
        for key, body in EXISTING.items():
            aws.put(key, body)
        aws.seeded = True
    event = {
        "Records": [
            {
                "messageId": f"m{i}",
                "eventSource": "aws:sqs",
                "body": body,
                "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:uploads",
                "attributes": {},
            }
            for i, body in enumerate(bodies)
        ]
    }

    # WHEN handled
    try:
        answer = handler(event, context)
    except UnsupportedEventError:
        answer = None  # allowed only when every message failed: checked below

    # THEN a partial batch response naming only this batch's messages (or a raise, all failed)
    published = aws.messages()  # schema-checked
    if answer is None:
        assert published == []
        hypothesis.event("all failed: raised")
        return
    failed = [item["itemIdentifier"] for item in answer["batchItemFailures"]]
    assert set(failed) <= {record["messageId"] for record in event["Records"]}
    assert len(failed) < len(bodies)
    hypothesis.event(f"{len(failed)} failed of {len(bodies)}")
