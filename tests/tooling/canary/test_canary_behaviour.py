"""The canary's behaviour checks, black box, against moto and a fake deployed function.

moto cannot run the function; ``FakeFunction`` plays the deployed stack from outside the canary:
an upload under the notification's prefix publishes a result (with S3's sequencer, made up here
the way S3 makes it), a synchronous re-delivery answers as the handler does, and a tiny HTTP
server answers the local API URL, checking the SigV4 header. The canary's own code is unchanged.
"""

from __future__ import annotations

import datetime
import hashlib
import http.server
import json
import threading
from typing import TYPE_CHECKING, Any

import pytest
from stack_fixtures import ACCOUNT, BUCKET, PROCESSOR, REGION, deployed_env

from tooling.canary import behaviour, probes

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tooling.run.target import DeployedEnv
    from tooling.stack.deployment import Deployment


# Facts of the shape the result schema requires per kind (their values are not the canary's).
FACTS: dict[str, dict[str, Any]] = {
    "text": {"line_count": 3, "utf8_valid": True},
    "csv": {"valid": True, "columns": ["id"], "column_count": 1, "row_count": 2},
    "json": {"valid": True, "record_count": None},
    "ndjson": {"valid": True, "record_count": 2, "first_invalid_line": None},
    "binary": {},
}


class FakeFunction:
    """The processor and API as seen from outside: results on the topic, answers to invokes."""

    def __init__(self, clients: dict[str, Any], stack: Deployment) -> None:
        self.clients = clients
        self.stack = stack
        self.objects: dict[str, tuple[bytes, str | None, str]] = {}  # key → body, version, seq
        self.processed: set[tuple[str, str | None, str]] = set()
        self.invoked: list[dict[str, Any]] = []
        self.idempotent = True
        self.publishes = True

    def document(self, key: str, source: str = "s3") -> dict[str, Any]:
        body, version, sequencer = self.objects[key]
        kinds = {".txt": "text", ".csv": "csv", ".json": "json", ".ndjson": "ndjson"}
        kind = next((k for suffix, k in kinds.items() if key.endswith(suffix)), "binary")
        now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        return {
            "schema_version": "1",
            "status": "processed",
            "reason": None,
            "source": source,
            "bucket": BUCKET,
            "key": key,
            "version_id": version,
            "sequencer": sequencer if source == "s3" else None,
            "event_time": "2026-03-01T10:00:00.000Z",
            "processed_at": now,
            "size_bytes": len(body),
            "sha256": hashlib.sha256(body).hexdigest(),
            "content_type": "text/plain",
            "kind": kind,
            "facts": FACTS[kind],
        }

    def handle(self, key: str, version: str | None, sequencer: str) -> dict[str, int]:
        identity = (key, version, sequencer)
        if self.idempotent and identity in self.processed:
            return {"processed": 0, "rejected": 0, "duplicates": 1, "ignored": 0}
        self.processed.add(identity)
        if self.publishes:
            self.clients["sns"].publish(
                TopicArn=self.stack.results_topic_arn,
                Message=json.dumps(self.document(key)),
                MessageAttributes={"status": {"DataType": "String", "StringValue": "processed"}},
            )
        return {"processed": 1, "rejected": 0, "duplicates": 0, "ignored": 0}

    def put_object(self, real: Any, **params: Any) -> Any:
        response = real.put_object(**params)
        body = params["Body"]
        sequencer = f"{len(self.objects) + 1:018X}"
        self.objects[params["Key"]] = (body, response.get("VersionId"), sequencer)
        if params["Key"].startswith(self.stack.uploads_prefix):  # the bucket notification
            self.handle(params["Key"], response.get("VersionId"), sequencer)
        return response

    def invoke(self, real: Any, **params: Any) -> Any:
        event = json.loads(params["Payload"])
        self.invoked.append(event)
        from urllib.parse import unquote_plus

        s3_object = event["Records"][0]["s3"]["object"]
        answer = self.handle(
            unquote_plus(s3_object["key"]), s3_object.get("versionId"), s3_object["sequencer"]
        )
        from moto.awslambda_simple.models import lambda_simple_backends

        lambda_simple_backends[ACCOUNT][REGION].lambda_simple_results_queue.append(
            json.dumps(answer)
        )
        return real.invoke(**params)


class Wrapped:
    """A boto3 client whose ``name`` call goes through ``hook(real, **params)`` first."""

    def __init__(self, real: Any, name: str, hook: Any) -> None:
        self._real, self._name, self._hook = real, name, hook

    def __getattr__(self, attribute: str) -> Any:
        if attribute == self._name:
            return lambda **params: self._hook(self._real, **params)
        return getattr(self._real, attribute)


@pytest.fixture
def fake(aws: dict[str, Any], stack: Deployment) -> FakeFunction:
    # The fake plays the notification; moto's own would only try Docker.
    aws["s3"].put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    return FakeFunction(aws, stack)


@pytest.fixture
def api_server(fake: FakeFunction) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """The local API URL's server: 200 with the document when SigV4-signed, else 403."""
    seen: list[dict[str, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            seen.append({"path": self.path, **dict(self.headers)})
            authorization = self.headers.get("Authorization", "")
            signed = authorization.startswith("AWS4-HMAC-SHA256 Credential=test/") and (
                f"/{REGION}/execute-api/aws4_request" in authorization
            )
            status, answer = (
                (200, fake.document(body["key"], source="api"))
                if signed
                else (403, {"message": "Missing Authentication Token"})
            )
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *_: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()


def _deployed(
    aws: dict[str, Any], stack: Deployment, fake: FakeFunction, endpoint: str
) -> DeployedEnv:
    clients = {
        **aws,
        "s3": Wrapped(aws["s3"], "put_object", fake.put_object),
        "lambda": Wrapped(aws["lambda"], "invoke", fake.invoke),
    }
    return deployed_env(clients, stack, env="local", endpoint=endpoint)


def _checks(deployed: DeployedEnv) -> dict[str, Any]:
    checks = behaviour.behaviour_checks(deployed, run_id="t1", result_wait=3, quiet_wait=0.5)
    return {check.name: check for check in checks}


def test_a_working_stack_passes_every_behaviour_check(
    aws: dict[str, Any], stack: Deployment, fake: FakeFunction, api_server: Any
) -> None:
    # GIVEN a stack whose function processes uploads, ignores duplicates and answers the API
    endpoint, requests = api_server
    deployed = _deployed(aws, stack, fake, endpoint)
    # WHEN the canary's behaviour checks run
    checks = _checks(deployed)
    # THEN every one passes
    assert [(name, c.detail) for name, c in checks.items() if not c.passed] == []
    assert len(checks) == len(probes.PROBES) + 4
    # AND the re-delivered event is S3's own: its sequencer is the one the result reported
    first = fake.objects[f"smoke/t1/{probes.PROBES[0].name}"]
    redelivered = fake.invoked[0]["Records"][0]["s3"]["object"]
    assert redelivered["sequencer"] == first[2]
    assert redelivered["versionId"] == first[1]
    assert redelivered["key"] == "smoke/t1/hello+world.txt"  # encoded as S3 encodes it
    # AND /process went to the local URL, signed; the unsigned call was refused
    assert requests[0]["path"] == "/_aws/execute-api/abc123/test/process"
    assert requests[0]["Authorization"].startswith("AWS4-HMAC-SHA256")
    assert "Authorization" not in requests[1]
    # AND the probes are gone from the bucket
    assert aws["s3"].list_object_versions(Bucket=BUCKET).get("Versions", []) == []


def test_a_redelivery_that_publishes_again_fails_the_duplicate_check(
    aws: dict[str, Any], stack: Deployment, fake: FakeFunction, api_server: Any
) -> None:
    # GIVEN a function that lost its idempotency
    fake.idempotent = False
    checks = _checks(_deployed(aws, stack, fake, api_server[0]))
    # THEN the duplicate check fails, naming the answer and the new message
    check = checks["duplicate delivery (S3's sequencer) publishes nothing new"]
    assert not check.passed
    assert "not 1 duplicate" in check.detail
    assert "1 new message(s)" in check.detail


def test_nothing_processing_uploads_fails_the_canary_and_leaves_no_probe(
    aws: dict[str, Any], stack: Deployment, fake: FakeFunction, api_server: Any
) -> None:
    # GIVEN a stack where uploads are never processed (no runtime, a broken notification…)
    fake.publishes = False
    # WHEN the canary runs
    checks = _checks(_deployed(aws, stack, fake, api_server[0]))
    # THEN each probe's result check fails with what to read next, and so do the duplicate check
    # and the count; nothing is run in-process to hide it
    for probe in probes.PROBES:
        name = next(n for n in checks if n.startswith("result:") and probe.name in n)
        assert not checks[name].passed
        assert "no result within 3 s" in checks[name].detail
        assert "invoke logs" in checks[name].detail
    assert not checks["duplicate delivery (S3's sequencer) publishes nothing new"].passed
    assert not checks["exactly one result per object"].passed
    assert aws["s3"].list_object_versions(Bucket=BUCKET).get("Versions", []) == []


def test_an_unreachable_api_is_a_failed_check_not_a_crash(
    aws: dict[str, Any], stack: Deployment, fake: FakeFunction
) -> None:
    # GIVEN nothing listens where the API should answer
    checks = _checks(_deployed(aws, stack, fake, "http://127.0.0.1:9"))
    # THEN both /process checks fail saying so
    check = checks["POST /process (SigV4) answers the same facts"]
    assert not check.passed
    assert check.detail.startswith("cannot reach the API at http://127.0.0.1:9/_aws/execute-api/")


def test_probes_are_removed_even_when_a_check_crashes(
    aws: dict[str, Any], stack: Deployment, fake: FakeFunction
) -> None:
    # GIVEN the Lambda API blows up on the re-delivery
    def crash(real: Any, **params: Any) -> Any:
        raise RuntimeError("lambda down")

    clients = {**aws, "s3": Wrapped(aws["s3"], "put_object", fake.put_object)}
    clients["lambda"] = Wrapped(aws["lambda"], "invoke", crash)
    deployed = deployed_env(clients, stack, env="local", endpoint="http://127.0.0.1:9")
    # WHEN the behaviour checks run THEN the error propagates (the runner reports it)
    with pytest.raises(RuntimeError, match="lambda down"):
        behaviour.behaviour_checks(deployed, run_id="t2", result_wait=3, quiet_wait=0.1)
    # AND no probe object (nor any version of one) is left in the bucket
    versions = aws["s3"].list_object_versions(Bucket=stack.uploads_bucket_name)
    assert versions.get("Versions", []) == []
    assert versions.get("DeleteMarkers", []) == []


def test_validate_result_compares_with_the_uploaded_bytes() -> None:
    schema = json.loads(behaviour.SCHEMA_PATH.read_text())
    probe = probes.PROBES[0]
    uploaded = probes.Uploaded(probe, "smoke/x/" + probe.name, "v1", "etag")
    document = {
        "schema_version": "1",
        "status": "processed",
        "reason": None,
        "source": "s3",
        "bucket": BUCKET,
        "key": uploaded.key,
        "version_id": "v1",
        "sequencer": "00A1",
        "event_time": "2026-01-01T00:00:00.000Z",
        "processed_at": "2026-01-01T00:00:01Z",
        "size_bytes": len(probe.body),
        "sha256": probe.sha256,
        "content_type": "text/plain",
        "kind": "text",
        "facts": {"line_count": 3, "utf8_valid": True},
    }
    assert behaviour.validate_result(document, uploaded, BUCKET, schema) == []
    assert any(
        p.startswith("schema:")
        for p in behaviour.validate_result({**document, "facts": {}}, uploaded, BUCKET, schema)
    )
    wrong = {**document, "sha256": "0" * 64, "size_bytes": 1}
    problems = behaviour.validate_result(wrong, uploaded, BUCKET, schema)
    assert any(p.startswith("sha256") for p in problems)
    assert any(p.startswith("size_bytes 1") for p in problems)


def test_the_delivered_event_encodes_awkward_keys_the_way_s3_does() -> None:
    probe = probes.Probe("x", b"abc", "text/plain", "text")
    uploaded = probes.Uploaded(probe, "dir/a b+c%d naïve.txt", "v1", "etag")
    event = probes.delivered_event(
        "bucket",
        uploaded,
        REGION,
        sequencer="0055AED6DCD90281E5",
        event_time="2026-01-01T00:00:00Z",
    )
    s3_object = event["Records"][0]["s3"]["object"]
    assert s3_object["key"] == "dir/a+b%2Bc%25d+na%C3%AFve.txt"
    assert s3_object["sequencer"] == "0055AED6DCD90281E5"
    assert event["Records"][0]["eventTime"] == "2026-01-01T00:00:00Z"
    assert (s3_object["versionId"], s3_object["size"]) == ("v1", 3)
    assert PROCESSOR  # the fixture's processor is what the duplicate goes to
