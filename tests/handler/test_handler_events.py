"""The sample events in handler/events/ run as documented in handler/events/README.md."""

from __future__ import annotations

import json
from urllib.parse import unquote_plus

import pytest
from handler_support import BUCKET, EVENTS_DIR

OBJECTS = EVENTS_DIR / "objects"
SAMPLE_BUCKET = "sfp-uploads-example"
# What each sample is expected to do (the README's table says the same).
S3_SAMPLES = {
    "s3-put-awkward-key.json": {"processed": 1, "rejected": 0, "duplicates": 0, "ignored": 0},
    "s3-multi-record.json": {"processed": 4, "rejected": 0, "duplicates": 0, "ignored": 0},
    "s3-duplicate-delivery.json": {"processed": 1, "rejected": 0, "duplicates": 1, "ignored": 0},
    "s3-missing-object.json": {"processed": 0, "rejected": 1, "duplicates": 0, "ignored": 0},
}
API_SAMPLES = {
    "api-process.json": 200,
    "api-process-base64.json": 200,
    "api-invalid-json.json": 400,
    "api-missing-key.json": 400,
    "api-no-such-object.json": 404,
    "api-wrong-method.json": 405,
}


def load(name: str) -> dict:
    return json.loads((EVENTS_DIR / name).read_text(encoding="utf-8"))


def upload_bodies(aws, event: dict) -> None:
    """The README's convention: the body of decoded key K is objects/K, uploaded once per key
    (a duplicate delivery names the same version twice); re-point the bucket."""
    versions: dict[str, str] = {}
    for record in event["Records"]:
        target = record["s3"]
        assert target["bucket"]["name"] == SAMPLE_BUCKET
        target["bucket"]["name"] = BUCKET
        key = unquote_plus(target["object"]["key"])
        body = OBJECTS / key
        if body.is_file():
            if key not in versions:
                versions[key] = aws.put(key, body.read_bytes())
            target["object"]["versionId"] = versions[key]


def test_every_sample_is_listed():
    # GIVEN the files in handler/events / THEN each one has an expectation here
    assert {path.name for path in EVENTS_DIR.glob("*.json")} == set(S3_SAMPLES) | set(API_SAMPLES)


@pytest.mark.parametrize("name", sorted(S3_SAMPLES))
def test_s3_samples(handler, aws, context, name):
    # GIVEN a sample S3 event and the bodies it names
    event = load(name)
    upload_bodies(aws, event)

    # WHEN handled
    summary = handler(event, context)

    # THEN it does what the README says, with schema-valid results (checked by messages())
    assert summary == S3_SAMPLES[name]
    assert len(aws.messages()) == summary["processed"] + summary["rejected"]


def test_awkward_key_sample_decodes_to_the_object_file(handler, aws, context):
    # GIVEN the awkward-key sample (space, '+', '(1)', en dash, accents, CJK)
    event = load("s3-put-awkward-key.json")
    raw = event["Records"][0]["s3"]["object"]["key"]
    upload_bodies(aws, event)

    # WHEN handled
    handler(event, context)

    # THEN the published key is the decoded one, whose body lives under objects/
    [(document, _)] = aws.messages()
    assert "+" in raw
    assert "%2B" in raw
    assert " " not in raw
    assert document["key"] == unquote_plus(raw)
    assert (OBJECTS / document["key"]).is_file()
    assert document["facts"] == {"line_count": 3, "utf8_valid": True}


@pytest.mark.parametrize("name", sorted(API_SAMPLES))
def test_api_samples(handler, aws, context, name):
    # GIVEN every sample object uploaded (API samples name keys under objects/)
    for path in OBJECTS.rglob("*"):
        if path.is_file():
            aws.put(path.relative_to(OBJECTS).as_posix(), path.read_bytes())

    # WHEN the sample request is handled
    response = handler(load(name), context)

    # THEN the status is the documented one and the body is JSON
    assert response["statusCode"] == API_SAMPLES[name]
    assert isinstance(json.loads(response["body"]), dict)
