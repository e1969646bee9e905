"""The deployed local stack runs itself on the emulator: no in-process handler, no Docker.

Marked ``integration``: uses the session's deployed ``local`` env (``conftest.pipelines``) and
talks to it only as a client would — boto3 uploads, the results/failures topics read through a
temporary SQS subscription, the Logs API, and the emulator's fault injection
(:mod:`tooling.emulator.faults`). Each test uses its own key prefix.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tooling.canary.behaviour import SCHEMA_PATH, validate_result
from tooling.canary.probes import PROBES, upload
from tooling.emulator import faults
from tooling.stack.deployment import Deployment, aws_clients
from tooling.stack.results import ResultsQueue

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .conftest import Checkout, Pipelines

pytestmark = pytest.mark.integration

RESULT_WAIT = 60.0  # a cold start on a loaded machine is a few seconds; this is the ceiling
QUIET_WAIT = 3.0


class Stack:
    """The deployed local env, its clients, and the emulator it runs on."""

    def __init__(self, deployment: Deployment, endpoint: str) -> None:
        self.deployment = deployment
        self.endpoint = endpoint
        self.clients = aws_clients(deployment.region, endpoint=endpoint)
        self.prefix = deployment.uploads_prefix

    def subscribe(self, topic_arn: str) -> ResultsQueue:
        name = f"it-{uuid.uuid4().hex[:12]}"
        return ResultsQueue(self.clients["sns"], self.clients["sqs"], topic_arn, name)

    def key_prefix(self) -> str:
        return f"{self.prefix}it/{uuid.uuid4().hex[:8]}/"


@pytest.fixture(scope="module")
def stack(pipelines: Pipelines, checkout: Checkout) -> Iterator[Stack]:
    deploy = pipelines.steps.get("deploy --env=local")
    assert deploy is not None, "the local deploy did not run"
    assert deploy.returncode == 0, deploy.describe()
    output = subprocess.run(
        [sys.executable, "-m", "invoke", "output", "--env=local", "--json"],
        cwd=checkout.root,
        env=checkout.env_for("local"),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert output.returncode == 0, output.stdout + output.stderr
    outputs = json.loads(output.stdout[output.stdout.index("{") :])
    made = Stack(Deployment.from_outputs(outputs), checkout.emulators["local"].endpoint)
    yield made
    faults.clear(endpoint=made.endpoint)


def test_each_upload_gives_exactly_one_schema_valid_result(stack: Stack) -> None:
    # GIVEN a subscription to the results topic
    bucket = stack.deployment.uploads_bucket_name
    schema = json.loads(SCHEMA_PATH.read_text())
    with stack.subscribe(stack.deployment.results_topic_arn) as results:
        # WHEN objects with awkward keys (space, '+', '%', non-ASCII, '(1)') are uploaded
        prefix = stack.key_prefix()
        uploaded = [upload(stack.clients["s3"], bucket, prefix, probe) for probe in PROBES]
        envelopes = results.receive(len(uploaded), RESULT_WAIT)
        envelopes += results.receive(1, QUIET_WAIT)  # anything extra shows up here
    # THEN each object has exactly one result, valid against the schema, naming its version
    by_key: dict[str, list[dict[str, Any]]] = {}
    for envelope in envelopes:
        by_key.setdefault(envelope["document"]["key"], []).append(envelope)
    assert sorted(by_key) == sorted(item.key for item in uploaded)
    for item in uploaded:
        [envelope] = by_key[item.key]
        assert validate_result(envelope["document"], item, bucket, schema) == []
        assert envelope["MessageAttributes"]["status"]["Value"] == "processed"
        assert envelope["document"]["sequencer"]


def test_a_function_that_raises_is_tried_three_times_then_recorded(stack: Stack) -> None:
    # GIVEN the processor's async config (2 retries, on-failure → the failures topic)
    lambda_client = stack.clients["lambda"]
    name = stack.deployment.processor_function_name
    config = lambda_client.get_function_event_invoke_config(FunctionName=name)
    assert config["DestinationConfig"]["OnFailure"]["Destination"] == (
        stack.deployment.failure_topic_arn
    )
    event = {"not": "an S3 or API Gateway event", "id": uuid.uuid4().hex}
    with stack.subscribe(stack.deployment.failure_topic_arn) as failures:
        # WHEN an event the handler rejects by raising is invoked asynchronously
        answer = lambda_client.invoke(
            FunctionName=name, InvocationType="Event", Payload=json.dumps(event).encode()
        )
        assert answer["StatusCode"] == 202
        records = failures.receive(1, RESULT_WAIT)
    # THEN after 1 + MaximumRetryAttempts attempts, Lambda's failure record reached the topic
    [envelope] = records
    record = envelope["document"]
    attempts = 1 + config["MaximumRetryAttempts"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == attempts
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}:$LATEST")
    assert record["requestPayload"] == event
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "UnsupportedEventError"
    # AND the function's log group shows each attempt, under the same request id
    request_id = record["requestContext"]["requestId"]
    logs = stack.clients["logs"].filter_log_events(
        logGroupName=stack.deployment.processor_log_group_name,
        filterPattern=f'"START RequestId: {request_id}"',
    )
    assert len(logs["events"]) == attempts


def test_a_transient_publish_fault_is_retried_into_exactly_one_result(stack: Stack) -> None:
    # GIVEN the next 2 Publish calls to the results topic are throttled (SNS's Throttled, 429)
    bucket = stack.deployment.uploads_bucket_name
    topic = stack.deployment.results_topic_arn
    with (
        stack.subscribe(topic) as results,
        stack.subscribe(stack.deployment.failure_topic_arn) as failures,
    ):
        fault = faults.inject("sns", "Publish", times=2, match=topic, endpoint=stack.endpoint)
        # WHEN an object is uploaded
        item = upload(stack.clients["s3"], bucket, stack.key_prefix(), PROBES[0])
        envelopes = results.receive(1, RESULT_WAIT)
        envelopes += results.receive(1, QUIET_WAIT)  # a duplicate would show up here
        failed = failures.receive(1, 1)
    # THEN the failed attempts were retried by Lambda and exactly one result was published
    assert [e["document"]["key"] for e in envelopes] == [item.key]
    assert envelopes[0]["document"]["version_id"] == item.version_id
    assert failed == []
    assert fault.id not in {f.id for f in faults.active(endpoint=stack.endpoint)}


def test_a_persistent_fault_ends_on_the_failures_topic(stack: Stack) -> None:
    # GIVEN reading one object always fails (S3 InternalError on its key)
    bucket = stack.deployment.uploads_bucket_name
    key_prefix = stack.key_prefix()
    with (
        stack.subscribe(stack.deployment.results_topic_arn) as results,
        stack.subscribe(stack.deployment.failure_topic_arn) as failures,
        faults.injected(
            "s3",
            "GetObject",
            times=None,
            error="internal",
            match=key_prefix,
            endpoint=stack.endpoint,
        ),
    ):
        # WHEN it is uploaded
        item = upload(stack.clients["s3"], bucket, key_prefix, PROBES[1])
        records = failures.receive(1, RESULT_WAIT)
        published = results.receive(1, QUIET_WAIT)
    # THEN no result, and the failure record carries the S3 event for that object version
    assert published == []
    [envelope] = records
    record = envelope["document"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    s3_object = record["requestPayload"]["Records"][0]["s3"]["object"]
    assert s3_object["versionId"] == item.version_id
    assert s3_object["sequencer"]
    assert record["responsePayload"]["errorType"] != "UnsupportedEventError"


def test_the_functions_logs_are_readable_with_the_logs_api(stack: Stack) -> None:
    group = stack.deployment.processor_log_group_name
    deadline = time.monotonic() + 10
    messages: list[str] = []
    while time.monotonic() < deadline and not any("REPORT" in m for m in messages):
        events = stack.clients["logs"].filter_log_events(logGroupName=group)["events"]
        messages = [event["message"] for event in events]
        time.sleep(0.5)
    assert any(m.startswith("START RequestId: ") for m in messages)
    assert any(m.startswith("REPORT RequestId: ") and "Max Memory Used" in m for m in messages)
    handled = [json.loads(m) for m in messages if m.startswith("{") and '"object handled"' in m]
    assert handled, "no Powertools log line of the handler"
    assert handled[0]["function_name"] == stack.deployment.processor_function_name
