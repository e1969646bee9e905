"""Fuzzing both event shapes: no unhandled exception, every API answer a valid proxy response.

The normal run tries a few thousand events; ``HYPOTHESIS_PROFILE=deep`` tries >= 10,000 per test.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

from handler_support import BUCKET, api_event, s3_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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
        st.fixed_dictionaries(
            {},
            optional={
                "key": keys | junk,
                "version_id": st.text(max_size=20) | junk,
                "bucket": st.text(max_size=10),
            },
        )
    )
    body = draw(
        st.one_of(
            st.just(json.dumps(fields)),
            st.none(),
            st.text(max_size=60),
            junk.map(json.dumps),
        )
    )
    encoded = draw(st.booleans())
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
            st.sampled_from(["POST", "GET", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"])
            | st.text(max_size=8)
        ),
        path=draw(
            st.sampled_from(["/process", "/process/", "/", "/other", "/PROCESS"])
            | st.text(max_size=15)
        ),
        base64=encoded,
    )
    if draw(st.booleans()):
        event["headers"] = draw(
            st.none() | st.dictionaries(st.text(max_size=10), st.text(max_size=10), max_size=3)
        )
    for name in draw(st.lists(st.sampled_from(sorted(event)), max_size=2)):
        event[name] = draw(junk)  # a field of the wrong type, or missing below
    for name in draw(st.lists(st.sampled_from(sorted(event)), max_size=1)):
        event.pop(name, None)
    event["httpMethod"] = event.get("httpMethod", "POST")  # what makes it an API event
    return event


@settings(max_examples=API_EXAMPLES, **FUZZ)
@given(event=api_events())
def test_api_events_always_get_a_valid_proxy_response(app, aws, context, event):
    # GIVEN some objects (idempotent puts keep versions stable across examples)
    if not aws.seeded:
        for key, body in EXISTING.items():
            aws.put(key, body)
        aws.seeded = True

    # WHEN any API-shaped event is handled
    response = app.lambda_handler(event, context)

    # THEN the answer is a valid proxy response with a JSON object body and never a 5xx
    assert isinstance(response, dict)
    assert isinstance(response["statusCode"], int)
    assert response["statusCode"] in VALID_STATUSES
    assert isinstance(response["body"], str)
    assert isinstance(json.loads(response["body"]), dict)


@st.composite
def s3_records(draw):
    """S3 records: real-looking with fuzzed keys/versions/names, or junk."""
    key = draw(keys)
    encoded = draw(st.sampled_from([quote_plus(key, safe="/"), quote(key), key]))
    record = s3_record(
        encoded,
        version_id=draw(st.none() | st.just("null") | st.text(max_size=12)),
        sequencer=draw(st.text(alphabet="0123456789ABCDEF", max_size=18)),
        bucket=draw(st.sampled_from([BUCKET, "other-bucket"]) | st.text(max_size=8)),
        event_name=draw(
            st.sampled_from(
                [
                    "ObjectCreated:Put",
                    "ObjectCreated:CompleteMultipartUpload",
                    "ObjectRemoved:Delete",
                ]
            )
            | st.text(max_size=10)
        ),
    )
    for name in draw(
        st.lists(
            st.sampled_from(["eventSource", "s3", "eventTime", "responseElements"]), max_size=1
        )
    ):
        record[name] = draw(junk)
    return draw(st.just(record) | junk)


@settings(max_examples=S3_EXAMPLES, **FUZZ)
@given(records=st.lists(s3_records(), max_size=3))
def test_s3_events_never_raise_on_client_input(app, aws, context, records):
    # GIVEN some objects
    if not aws.seeded:
        for key, body in EXISTING.items():
            aws.put(key, body)
        aws.seeded = True

    # WHEN any S3-shaped event is handled
    summary = app.lambda_handler({"Records": records}, context)

    # THEN every record is accounted for, and what was published matches the schema
    assert sum(summary.values()) == len(records)
    published = aws.messages()  # validates each message against the schema
    assert len(published) <= summary["processed"] + summary["rejected"]
