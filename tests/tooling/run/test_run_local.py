"""Local invoke's event preparation: re-pointing sample events and uploading their bodies."""

from __future__ import annotations

import base64
import copy
import io
import json
import zipfile
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import boto3
import pytest
from moto import mock_aws

from tooling.core.errors import ToolingError
from tooling.run import local
from tooling.stack.deployment import Deployment

if TYPE_CHECKING:
    from collections.abc import Iterator

BUCKET = "sfp-uploads-use1-local-123456789012"
EVENTS = local.paths.HANDLER_DIR / "events"


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        client.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
        yield client


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


def test_awkward_key_sample_is_repointed_and_its_body_uploaded(s3: Any) -> None:
    # GIVEN the sample with a URL-encoded awkward key, naming the placeholder bucket
    event = _event("s3-put-awkward-key.json")
    record = event["Records"][0]["s3"]
    assert record["bucket"]["name"] == local.SAMPLE_BUCKET
    # WHEN it is prepared for the deployed bucket
    uploaded = local.retarget_event(event, s3, BUCKET)
    # THEN it names the deployed bucket, and the decoded key's body was uploaded once
    assert record["bucket"] == {
        **record["bucket"],
        "name": BUCKET,
        "arn": f"arn:aws:s3:::{BUCKET}",
    }
    assert len(uploaded) == 1
    key = uploaded[0]
    body = (local.OBJECTS_DIR / key).read_bytes()
    stored = s3.get_object(Bucket=BUCKET, Key=key)
    assert stored["Body"].read() == body
    # AND the record points at exactly that version and size
    assert record["object"]["versionId"] == stored["VersionId"]
    assert record["object"]["size"] == len(body)


def test_duplicate_delivery_uploads_once_and_both_records_name_that_version(s3: Any) -> None:
    event = _event("s3-duplicate-delivery.json")
    uploaded = local.retarget_event(event, s3, BUCKET)
    versions = {r["s3"]["object"]["versionId"] for r in event["Records"]}
    assert len(event["Records"]) == 2
    assert len(uploaded) == 1
    # both records name the version the upload created (not the sample's placeholder)
    key = event["Records"][0]["s3"]["object"]["key"]
    head = s3.head_object(Bucket=BUCKET, Key=unquote_plus(key))
    assert versions == {head["VersionId"]}


def test_missing_object_sample_is_left_missing(s3: Any) -> None:
    event = _event("s3-missing-object.json")
    before = copy.deepcopy(event["Records"][0]["s3"]["object"])
    uploaded = local.retarget_event(event, s3, BUCKET)
    assert uploaded == []
    assert event["Records"][0]["s3"]["object"] == before
    assert s3.list_objects_v2(Bucket=BUCKET).get("KeyCount") == 0


@pytest.mark.parametrize("name", ["api-process.json", "api-process-base64.json"])
def test_api_samples_get_their_object_uploaded(s3: Any, name: str) -> None:
    event = _event(name)
    uploaded = local.retarget_event(event, s3, BUCKET)
    assert len(uploaded) == 1
    assert s3.head_object(Bucket=BUCKET, Key=uploaded[0])["ContentLength"] > 0


def test_malformed_api_body_uploads_nothing(s3: Any) -> None:
    assert local.retarget_event(_event("api-invalid-json.json"), s3, BUCKET) == []
    encoded = {"httpMethod": "POST", "isBase64Encoded": True, "body": "!!not base64"}
    assert local.retarget_event(encoded, s3, BUCKET) == []
    ok = {
        "httpMethod": "POST",
        "isBase64Encoded": True,
        "body": base64.b64encode(b'{"key": "nope/none.txt"}').decode(),
    }
    assert local.retarget_event(ok, s3, BUCKET) == []  # no body file for that key


def test_fake_context_counts_down_from_the_timeout() -> None:
    context = local.FakeContext(function_name="fn", timeout_seconds=20)
    remaining = context.get_remaining_time_in_millis()
    assert 19_000 < remaining <= 20_000
    assert context.invoked_function_arn.endswith(":function:fn")
    assert context.log_group_name == "/aws/lambda/fn"


def test_handler_environment_is_the_deployed_one_pointed_at_the_emulator(s3: Any) -> None:
    # GIVEN a function deployed with its own limits (as the compute module sets them)
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("app.py", "def lambda_handler(event, context):\n    return {}\n")
    lambda_client = boto3.client("lambda", region_name="us-east-1")
    lambda_client.create_function(
        FunctionName="fn",
        Runtime="python3.12",
        Role=role,
        Handler="app.lambda_handler",
        Code={"ZipFile": archive.getvalue()},
        Environment={"Variables": {"MAX_SYNC_OBJECT_BYTES": "123", "BUCKET_NAME": "deployed"}},
    )
    deployment = Deployment(**dict.fromkeys(Deployment.__dataclass_fields__, "x"))
    # WHEN the in-process handler's environment is built from it
    deployed = local.deployed_variables(lambda_client, "fn")
    env = local.handler_environment(deployment, "http://127.0.0.1:4566", deployed)
    # THEN the function's own settings are kept, and the emulator's wiring is laid over them
    assert env["MAX_SYNC_OBJECT_BYTES"] == "123"
    assert env["BUCKET_NAME"] == env["TOPIC_ARN"] == env["IDEMPOTENCY_TABLE"] == "x"
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:4566"
    assert env["POWERTOOLS_TRACE_DISABLED"] == "true"


def test_a_real_env_without_emulated_is_refused(tmp_path):
    # GIVEN an event file and a real env that was not asked to run on the emulator
    event = tmp_path / "event.json"
    event.write_text("{}")
    # WHEN invoke local targets it THEN it refuses before reading any outputs
    with pytest.raises(ToolingError, match="against the emulator, not the real dev account"):
        local.run_local("dev", event)
