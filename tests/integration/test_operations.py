"""The operator's commands and the black-box canary on a deployed local stack (emulator).

Marked ``integration``. They need the emulator to run the deployed functions (its Lambda
runtime, API Gateway, IAM for function sessions and fault injection: docs/emulator.md).
"""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .conftest import Checkout, Step

pytestmark = pytest.mark.integration


def _json(step: Step) -> Any:
    """The JSON document a `--json` command printed first (stdout precedes stderr)."""
    assert step.returncode == 0, step.describe()
    text = step.output.lstrip()
    document, _ = json.JSONDecoder().raw_decode(text)
    return document


@pytest.fixture(scope="module")
def local_stack(checkout: Checkout) -> dict[str, Any]:
    """The local env built and deployed (a no-op when the deploy tests did it, again when an
    earlier test reset the emulator); its outputs."""
    build = checkout.invoke("local", "build")
    assert build.returncode == 0, build.describe()
    deploy = checkout.invoke("local", "deploy", "--env=local")
    assert deploy.returncode == 0, deploy.describe()
    return _json(checkout.invoke("local", "output", "--env=local", "--json"))


@pytest.fixture(scope="module")
def aws(checkout: Checkout, local_stack: dict[str, Any]) -> dict[str, Any]:
    """boto3 clients on the local emulator, with the tooling's fake credentials."""
    import boto3

    session = boto3.Session(
        aws_access_key_id="test", aws_secret_access_key="test", region_name=local_stack["region"]
    )
    endpoint = checkout.emulators["local"].endpoint
    clients = {name: session.client(name, endpoint_url=endpoint) for name in ("s3", "sns", "sqs")}
    # Earlier tests on this stack left failure records of their own (a function that raises, a
    # persistent fault); these tests count the queue's records, so they start from none.
    clients["sqs"].purge_queue(QueueUrl=local_stack["failures_queue_url"])
    return clients


def _keys(document: list[dict[str, Any]]) -> list[str | None]:
    """The first object key of each listed failure (None for an event with no S3 object)."""
    return [item["objects"][0]["key"] if item["objects"] else None for item in document]


@pytest.fixture
def results(aws: dict[str, Any], local_stack: dict[str, Any]) -> Iterator[Any]:
    """A queue subscribed (raw) to the results topic for one test: ``receive(timeout)`` → the
    result documents that arrived within ``timeout``."""
    sqs, sns = aws["sqs"], aws["sns"]
    url = sqs.create_queue(QueueName=f"it-results-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    subscription = sns.subscribe(
        TopicArn=local_stack["results_topic_arn"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
        ReturnSubscriptionArn=True,
    )["SubscriptionArn"]

    class Results:
        def receive(self, timeout: float) -> list[dict[str, Any]]:
            found: list[dict[str, Any]] = []
            deadline = time.monotonic() + timeout
            while time.monotonic() < deadline:
                answer = sqs.receive_message(
                    QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
                )
                for message in answer.get("Messages", []):
                    found.append(json.loads(message["Body"]))
                    sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
            return found

    yield Results()
    sns.unsubscribe(SubscriptionArn=subscription)
    sqs.delete_queue(QueueUrl=url)


def _failure_record(local_stack: dict[str, Any], key: str, sequencer: str) -> dict[str, Any]:
    """Lambda's on-failure record of an S3 event for ``key`` (an object that does not exist)."""
    bucket = local_stack["uploads_bucket_name"]
    region = local_stack["region"]
    function = local_stack["processor_function_name"]
    return {
        "version": "1.0",
        "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"arn:aws:lambda:{region}:123456789012:function:{function}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {
            "Records": [
                {
                    "eventVersion": "2.1",
                    "eventSource": "aws:s3",
                    "awsRegion": region,
                    "eventTime": "2026-03-01T10:00:00.000Z",
                    "eventName": "ObjectCreated:Put",
                    "s3": {
                        "s3SchemaVersion": "1.0",
                        "bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
                        "object": {"key": key, "size": 1, "sequencer": sequencer},
                    },
                }
            ]
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorType": "TransientError", "errorMessage": "injected by a test"},
    }


def test_operator_commands_work_on_the_emulator(
    checkout: Checkout, local_stack: dict[str, Any], aws: dict[str, Any]
) -> None:
    # GIVEN a failed event in the failures queue, delivered the way Lambda does (failures topic)
    key = f"it/{uuid.uuid4().hex[:6]}/a b+c.txt"
    encoded = key.replace("+", "%2B").replace(" ", "+")
    record = _failure_record(local_stack, encoded, "00A1B2C3D4E5F60718")
    aws["sns"].publish(TopicArn=local_stack["failure_topic_arn"], Message=json.dumps(record))
    # WHEN on-call lists the failures THEN the event is there, key decoded, in table and JSON
    listed = checkout.invoke("local", "failures", "--env=local")
    assert listed.returncode == 0, listed.describe()
    assert key in listed.output, listed.describe()
    assert "TransientError: injected by a test" in listed.output, listed.describe()
    document = _json(checkout.invoke("local", "failures", "--env=local", "--json"))
    assert _keys(document) == [key]
    # AND status counts it, shows every alarm and the artifact
    status = checkout.invoke("local", "status", "--env=local")
    assert status.returncode == 0, status.describe()
    assert "Failed events waiting: 1" in status.output, status.describe()
    for alarm in local_stack["alarm_names"].values():
        assert alarm in status.output, status.describe()
    assert "Deployed artifact (Lambda CodeSha256):" in status.output, status.describe()
    # AND a dry run changes nothing; the redrive hands the event to Lambda and empties the queue
    dry = checkout.invoke("local", "redrive", "--env=local", "--dry-run")
    assert dry.returncode == 0, dry.describe()
    assert "dry run: 1 would be redriven" in dry.output, dry.describe()
    redrive = checkout.invoke("local", "redrive", "--env=local")
    assert redrive.returncode == 0, redrive.describe()
    assert "done: 1 redriven and removed from the queue" in redrive.output, redrive.describe()
    assert _json(checkout.invoke("local", "failures", "--env=local", "--json")) == []
    # AND logs can be read (empty or not: the stock emulator runs no function)
    logs = checkout.invoke("local", "logs", "--env=local", "--function=api", "--since=5m")
    assert logs.returncode == 0, logs.describe()


def test_the_black_box_canary_passes_on_the_local_stack(
    checkout: Checkout, local_stack: dict[str, Any]
) -> None:
    # WHEN the canary runs against the deployed local env (nothing in-process)
    smoke = checkout.invoke("local", "smoke", "--env=local")
    # THEN every check passes: results, the real re-delivery, /process signed and unsigned,
    # least privilege, wiring
    assert smoke.returncode == 0, smoke.describe()
    assert " FAIL " not in smoke.output, smoke.describe()
    for check in (
        "duplicate delivery (S3's sequencer) publishes nothing new",
        "POST /process (SigV4) answers the same facts",
        "POST /process unsigned is refused (AWS_IAM)",
        "least privilege: processor cannot s3:PutObject",
        "least privilege: api cannot dynamodb:PutItem",
        "processor async config = processor_async_config",
        "error-rate alarm = error_rate_alarm",
    ):
        assert check in smoke.output, smoke.describe()


def test_local_invoke_runs_the_deployed_function(
    checkout: Checkout, local_stack: dict[str, Any]
) -> None:
    # WHEN the awkward-key sample goes through the Lambda API
    run = checkout.invoke("local", "local", "--event", "handler/events/s3-put-awkward-key.json")
    # THEN the deployed processor answered, published one result, and its log lines are shown
    assert run.returncode == 0, run.describe()
    assert "(invoked through the Lambda API)" in run.output, run.describe()
    assert '"processed": 1' in run.output, run.describe()
    assert "published to the results topic: 1 message(s)" in run.output, run.describe()
    assert "START RequestId:" in run.output, run.describe()
    assert "REPORT RequestId:" in run.output, run.describe()


def test_a_failed_event_is_kept_listed_and_redriven_to_exactly_one_result(
    checkout: Checkout, local_stack: dict[str, Any], aws: dict[str, Any], results: Any
) -> None:
    """Issue 11 item 4: fault → retries exhausted → queue → failures → clear → redrive → one."""
    from tooling.emulator import faults, runtime_control

    endpoint = checkout.emulators["local"].endpoint
    attempts = local_stack["processor_async_config"]["maximum_retry_attempts"] + 1
    key = f"{local_stack['uploads_prefix']}it/{uuid.uuid4().hex[:6]}/loop test+1.txt"
    # GIVEN publishing results fails (throttled) for as long as the fault is in place
    fault = faults.inject(
        "sns",
        "Publish",
        times=None,
        error="throttling",
        match=local_stack["results_topic_arn"],
        endpoint=endpoint,
    )
    try:
        # WHEN an object is uploaded with a plain S3 call
        version = (
            aws["s3"]
            .put_object(Bucket=local_stack["uploads_bucket_name"], Key=key, Body=b"one line\n")
            .get("VersionId")
        )
        # THEN after every attempt failed, the event waits in the failures queue
        listed: list[dict[str, Any]] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not listed:
            document = _json(checkout.invoke("local", "failures", "--env=local", "--json"))
            listed = [item for item in document if _keys([item]) == [key]]
            if not listed:
                time.sleep(2)
        assert len(listed) == 1, f"the event never reached the failures queue: {document}"
        assert listed[0]["objects"][0]["version_id"] == version
        assert listed[0]["attempts"] == attempts
        assert listed[0]["condition"] == "RetriesExhausted"
        table = checkout.invoke("local", "failures", "--env=local")
        assert key in table.output, table.describe()
        assert "Throttl" in table.output, table.describe()
        assert results.receive(1) == []
    finally:
        # WHEN the cause is fixed
        faults.clear(fault.id, endpoint=endpoint)
    # AND the events are redriven
    redrive = checkout.invoke("local", "redrive", "--env=local")
    assert redrive.returncode == 0, redrive.describe()
    assert "done: 1 redriven and removed from the queue" in redrive.output, redrive.describe()
    # THEN exactly one result is published for it, and the queue is empty
    runtime_control.wait_until_idle(endpoint, 60)  # the redriven event ran, destinations too
    published = [doc for doc in results.receive(1) if doc.get("key") == key]
    assert len(published) == 1, published
    assert published[0]["version_id"] == version
    assert _json(checkout.invoke("local", "failures", "--env=local", "--json")) == []
    # AND the logs show the failed attempts for that object
    logs = checkout.invoke("local", "logs", "--env=local", "--function=processor", "--since=10m")
    assert logs.returncode == 0, logs.describe()
    assert f"object_key={key}" in logs.output, logs.describe()
    # AND the same record delivered and redriven again publishes nothing new (idempotency)
    aws["sns"].publish(
        TopicArn=local_stack["failure_topic_arn"], Message=json.dumps(listed[0]["record"])
    )
    again = checkout.invoke("local", "redrive", "--env=local")
    assert again.returncode == 0, again.describe()
    assert "done: 1 redriven" in again.output, again.describe()
    runtime_control.wait_until_idle(endpoint, 60)
    assert [doc for doc in results.receive(1) if doc.get("key") == key] == []
