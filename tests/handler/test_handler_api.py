"""API path: POST /process answers the result document or a 4xx JSON with a clear message."""

from __future__ import annotations

import base64
import hashlib
import json

import jsonschema
import pytest
from botocore.exceptions import ClientError
from handler_support import MAX_SYNC_OBJECT_BYTES, RESULT_VALIDATOR, ROOT, api_event
from hypothesis import given
from hypothesis import strategies as st

from file_processor.errors import ClientProblem
from file_processor.events import parse_process_request


def call(handler, context, event):
    """Invoke and check the proxy response shape every answer must have."""
    response = handler(event, context)
    assert isinstance(response["statusCode"], int)
    assert isinstance(response["body"], str)
    assert header(response, "Content-Type") == "application/json"
    return response["statusCode"], json.loads(response["body"]), response


def header(response, name):
    """A response header, from ``headers`` or the REST API's ``multiValueHeaders``."""
    if name in (response.get("headers") or {}):
        return response["headers"][name]
    return ",".join(response.get("multiValueHeaders", {}).get(name, [])) or None


def test_process_returns_the_result_document(handler, aws, context):
    # GIVEN a CSV object in the bucket
    body = b"id,name\n1,a\n2,b\n"
    version = aws.put("in/table.csv", body)

    # WHEN POST /process names it
    status, document, _ = call(handler, context, api_event(json.dumps({"key": "in/table.csv"})))

    # THEN the answer is the schema's result document, and nothing is published
    assert status == 200
    RESULT_VALIDATOR.validate(document)
    assert document["source"] == "api"
    assert document["version_id"] == version
    assert document["sha256"] == hashlib.sha256(body).hexdigest()
    assert document["facts"]["row_count"] == 2
    assert aws.messages() == []


def test_base64_body_and_explicit_version(handler, aws, context):
    # GIVEN two versions of an awkward key, and a base64-encoded request for the first one
    first = aws.put("r\u00e9sum\u00e9 +1.txt", b"one\n")
    aws.put("r\u00e9sum\u00e9 +1.txt", b"two\nlines\n")
    payload = json.dumps({"key": "r\u00e9sum\u00e9 +1.txt", "version_id": first}).encode()
    event = api_event(base64.b64encode(payload).decode(), base64=True)

    # WHEN it is sent
    status, document, _ = call(handler, context, event)

    # THEN the first version is processed
    assert status == 200
    assert document["version_id"] == first
    assert document["facts"]["line_count"] == 1


@pytest.mark.parametrize(
    ("body", "base64_encoded", "error", "message_part"),
    [
        ("{not json", False, "invalid_json", "not valid JSON"),
        ("", False, "invalid_json", "empty"),
        (None, False, "invalid_json", "empty"),
        ("[1, 2]", False, "invalid_request", "JSON object"),
        ("{}", False, "invalid_request", "'key' is missing"),
        ('{"key": ""}', False, "invalid_request", "empty"),
        ('{"key": 42}', False, "invalid_request", "must be a string"),
        (json.dumps({"key": "k" * 1025}), False, "invalid_request", "at most 1024 bytes"),
        (json.dumps({"key": "\u00e9" * 513}), False, "invalid_request", "1026 bytes"),
        ('{"key": "a", "bucket": "other"}', False, "invalid_request", "'bucket'"),
        ('{"key": "a", "version_id": ""}', False, "invalid_request", "version_id"),
        ("%%%not base64", True, "invalid_json", "base64"),
    ],
)
def test_bad_requests_get_400_with_a_reason(
    handler, aws, context, body, base64_encoded, error, message_part
):
    # GIVEN a malformed request body
    event = api_event(body, base64=base64_encoded)

    # WHEN it is sent
    status, answer, _ = call(handler, context, event)

    # THEN 400 names what is wrong
    assert status == 400
    assert answer["error"] == error
    assert message_part in answer["message"]


def test_body_near_the_6_mb_payload_limit_is_a_clean_400(handler, aws, context):
    # GIVEN a request body just under Lambda's 6 MB synchronous payload limit
    body = json.dumps({"key": "k" * 5_900_000})

    # WHEN it is sent / THEN it is refused for its key length, as a proxy response
    status, answer, _ = call(handler, context, api_event(body))
    assert status == 400
    assert "5900000 bytes long" in answer["message"]


def test_missing_object_is_404(handler, aws, context):
    # GIVEN an empty bucket / WHEN a key is requested
    status, answer, _ = call(handler, context, api_event('{"key": "nothing-here.txt"}'))

    # THEN 404 says so
    assert status == 404
    assert answer["error"] == "not_found"
    assert "nothing-here.txt" in answer["message"]


def test_missing_version_is_404_naming_the_version(handler, aws, context):
    # GIVEN an object that exists, and a version of it that does not
    aws.put("kept.txt", b"one\n")
    body = json.dumps({"key": "kept.txt", "version_id": "no-such-version"})

    # WHEN that version is requested
    status, answer, _ = call(handler, context, api_event(body))

    # THEN 404 names the version that is missing, not just the key (which exists)
    assert status == 404
    assert answer["error"] == "not_found"
    assert "kept.txt (version no-such-version)" in answer["message"]


def test_object_above_the_sync_limit_is_413(handler, aws, context):
    # GIVEN an object just above MAX_SYNC_OBJECT_BYTES
    aws.put("big.txt", b"x" * (MAX_SYNC_OBJECT_BYTES + 1))

    # WHEN it is requested synchronously
    status, answer, _ = call(handler, context, api_event('{"key": "big.txt"}'))

    # THEN 413 explains it is processed from its S3 upload event instead
    assert status == 413
    assert answer["error"] == "too_large_for_sync"
    assert "processed from its S3 upload event instead" in answer["message"]


@pytest.mark.parametrize(
    ("method", "path", "status", "error"),
    [
        ("GET", "/process", 405, "method_not_allowed"),
        ("DELETE", "/process", 405, "method_not_allowed"),
        ("POST", "/other", 404, "not_found"),
        ("GET", "/", 404, "not_found"),
    ],
)
def test_other_methods_and_paths(handler, aws, context, method, path, status, error):
    # GIVEN a request outside POST /process / WHEN sent / THEN a JSON 405 or 404
    code, answer, response = call(handler, context, api_event(None, method=method, path=path))
    assert code == status
    assert answer["error"] == error
    if status == 405:
        assert header(response, "Allow") == "POST"


def test_s3_throttling_is_503_not_500(handler, application, aws, context, monkeypatch):
    # GIVEN S3 throttling every read
    def throttled(**_):
        raise ClientError(
            {
                "Error": {"Code": "SlowDown", "Message": "slow down"},
                "ResponseMetadata": {"HTTPStatusCode": 503},
            },
            "GetObject",
        )

    monkeypatch.setattr(application.clients.s3, "get_object", throttled)

    # WHEN a request comes in
    status, answer, response = call(handler, context, api_event('{"key": "a.txt"}'))

    # THEN the caller is told to retry
    assert status == 503
    assert answer["error"] == "unavailable"
    assert header(response, "Retry-After") == "1"


def test_unexpected_errors_answer_a_bare_500(handler, application, aws, context, monkeypatch):
    # GIVEN a deployment bug (the role may not read the bucket)
    def denied(**_):
        raise ClientError(
            {
                "Error": {"Code": "AccessDenied", "Message": "denied"},
                "ResponseMetadata": {"HTTPStatusCode": 403},
            },
            "GetObject",
        )

    monkeypatch.setattr(application.clients.s3, "get_object", denied)

    # WHEN a request comes in
    status, answer, _ = call(handler, context, api_event('{"key": "a.txt"}'))

    # THEN a 500 with the request id and no stack trace
    assert status == 500
    assert answer == {
        "error": "internal_error",
        "message": f"internal error (request id {context.aws_request_id})",
    }


def test_malformed_proxy_event_is_a_400_proxy_response(handler, aws, context):
    # GIVEN an API-shaped event whose headers are not an object
    event = api_event('{"key": "a"}')
    event["headers"] = ["not", "a", "map"]

    # WHEN handled / THEN a valid proxy 400, not an exception
    status, answer, _ = call(handler, context, event)
    assert status == 400
    assert "headers" in answer["message"]


REQUEST_SCHEMA = json.loads(
    (ROOT / "handler" / "schemas" / "process-request.v1.schema.json").read_text(encoding="utf-8")
)
request_values = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(max_size=5),
    st.lists(st.integers(), max_size=2),
)


@given(
    body=st.dictionaries(
        st.sampled_from(["key", "version_id", "bucket"]),
        request_values | st.text(min_size=1, max_size=1030),
    )
    | request_values
)
def test_request_validation_agrees_with_the_published_schema(body):
    # GIVEN any JSON value as a request body
    schema_ok = jsonschema.Draft202012Validator(REQUEST_SCHEMA).is_valid(body)
    # (a JSON Schema cannot count UTF-8 bytes: the 1024-byte key limit is the handler's own)
    if schema_ok and len(body["key"].encode()) > 1024:
        schema_ok = False

    # WHEN the handler validates it
    try:
        parse_process_request(json.dumps(body))
        handler_ok = True
    except ClientProblem:
        handler_ok = False

    # THEN both accept or both refuse
    assert handler_ok is schema_ok
