"""The patched emulator end to end: a real emulator process running functions from zips.

One emulator for the module (``SFP_EMULATOR_LAMBDA_CODE=any``: the test zips are not dist/),
retry delays compressed to 0.05 s per minute; each test creates its own functions.
"""

from __future__ import annotations

import base64
import io
import json
import re
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from tooling.core.errors import ToolingError
from tooling.emulator import faults, lifecycle, runtime_control, settings

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTION_CODE = """
import json, os, time
import boto3
from botocore.config import Config

STANDARD = Config(retries={"mode": "standard", "max_attempts": 0})


def handler(event, context):
    out = os.environ.get("OUT_QUEUE")
    if isinstance(event, dict) and "Records" in event and out:
        boto3.client("sqs").send_message(QueueUrl=out, MessageBody=json.dumps(event))
        time.sleep(float(os.environ.get("SLEEP", "0")))
        return {"forwarded": len(event["Records"])}
    mode = event.get("mode") if isinstance(event, dict) else None
    if mode == "fail":
        raise RuntimeError("asked to fail")
    if mode == "sleep":
        time.sleep(event["seconds"])
        return {"slept": event["seconds"]}
    if mode == "whoami":
        arn = boto3.client("sts").get_caller_identity()["Arn"]
        endpoint = os.environ.get("AWS_ENDPOINT_URL")
        return {"arn": arn, "endpoint": endpoint, "var": os.environ.get("GREETING")}
    if mode == "publish":
        sns = boto3.client("sns", config=STANDARD)
        sns.publish(TopicArn=event["topic"], Message=event["message"])
        return {"published": True}
    print("hello from", context.function_name)
    return {"echo": event}
"""


ALLOW_EVERYTHING = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def _zip(source: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", source)
    return buffer.getvalue()


def _start(tmp_path: Path, **variables: str) -> Iterator[lifecycle.Emulator]:
    emulator = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=tmp_path / "emulator")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.LAMBDA_DIR_ENV_VAR, str(tmp_path / "lambda"))
        patch.setenv(settings.RETRY_MINUTE_ENV_VAR, "0.05")
        for name, value in variables.items():
            patch.setenv(name, value)
        lifecycle.start(emulator)
    try:
        yield emulator
    finally:
        lifecycle.stop(emulator)


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Emulator]:
    yield from _start(tmp_path_factory.mktemp("runtime"), **{settings.CODE_POLICY_ENV_VAR: "any"})


class Aws:
    """boto3 clients for the emulator, and helpers to build test functions."""

    def __init__(self, endpoint: str) -> None:
        self.endpoint = endpoint
        options = {
            "endpoint_url": endpoint,
            "region_name": REGION,
            "aws_access_key_id": "test",
            "aws_secret_access_key": "test",
        }
        for name in ("lambda", "iam", "s3", "sqs", "sns", "logs", "cloudwatch", "events"):
            setattr(self, name.replace("lambda", "lam"), boto3.client(name, **options))

    def function(self, **options: Any) -> str:
        name = options.pop("name", f"fn-{uuid.uuid4().hex[:8]}")
        role = self.iam.create_role(RoleName=f"{name}-role", AssumeRolePolicyDocument="{}")
        # The emulator enforces the role's policies on what the function and its destination
        # deliveries do (tooling/emulator/iam.py); these tests are about the runtime, so the
        # role may do anything.
        self.iam.put_role_policy(
            RoleName=f"{name}-role", PolicyName="everything", PolicyDocument=ALLOW_EVERYTHING
        )
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": _zip(FUNCTION_CODE)},
            Timeout=options.pop("Timeout", 10),
            **options,
        )
        return name

    def queue(self) -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=f"q-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def receive(self, url: str, count: int, timeout: float = 30) -> list[dict[str, Any]]:
        bodies: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(bodies) < count and time.monotonic() < deadline:
            answer = self.sqs.receive_message(
                QueueUrl=url, WaitTimeSeconds=1, MaxNumberOfMessages=10
            )
            for message in answer.get("Messages", []):
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture(scope="module")
def aws(emulator: lifecycle.Emulator) -> Aws:
    return Aws(emulator.endpoint)


def test_a_synchronous_invoke_returns_the_payload_and_logs_like_lambda(aws: Aws) -> None:
    name = aws.function()
    # WHEN the function is invoked with the log tail requested
    answer = aws.lam.invoke(FunctionName=name, Payload=b'{"x": 1}', LogType="Tail")
    # THEN it answers the handler's result
    assert answer["StatusCode"] == 200
    assert "FunctionError" not in answer
    assert json.loads(answer["Payload"].read()) == {"echo": {"x": 1}}
    tail = base64.b64decode(answer["LogResult"]).decode()
    assert f"hello from {name}" in tail
    # AND its log group holds Lambda's lines, readable with the ordinary Logs API
    group = f"/aws/lambda/{name}"
    messages = [e["message"] for e in aws.logs.filter_log_events(logGroupName=group)["events"]]
    starts = [m for m in messages if m.startswith("START RequestId: ")]
    assert len(starts) == 1
    assert starts[0].endswith(" Version: $LATEST\n")
    assert any(m.startswith("INIT_START Runtime Version: python:3.12") for m in messages)
    assert f"hello from {name}\n" in messages
    report = next(m for m in messages if m.startswith("REPORT RequestId: "))
    assert re.match(
        r"REPORT RequestId: \S+\tDuration: [0-9.]+ ms\tBilled Duration: [0-9]+ ms\t"
        r"Memory Size: 128 MB\tMax Memory Used: [1-9][0-9]* MB\tInit Duration: [0-9.]+ ms\t",
        report,
    )
    stream = aws.logs.describe_log_streams(logGroupName=group)["logStreams"][0]["logStreamName"]
    events = aws.logs.get_log_events(logGroupName=group, logStreamName=stream)["events"]
    assert [e["message"] for e in events] == messages


def test_a_function_error_is_unhandled_with_the_error_document(aws: Aws) -> None:
    name = aws.function()
    answer = aws.lam.invoke(FunctionName=name, Payload=b'{"mode": "fail"}')
    assert answer["FunctionError"] == "Unhandled"
    document = json.loads(answer["Payload"].read())
    assert document["errorType"] == "RuntimeError"
    assert document["errorMessage"] == "asked to fail"
    assert document["stackTrace"]


def test_invocations_are_published_as_the_functions_aws_lambda_metrics(aws: Aws) -> None:
    # GIVEN a function invoked once successfully and once with a function error
    name = aws.function()
    aws.lam.invoke(FunctionName=name, Payload=b"{}")
    aws.lam.invoke(FunctionName=name, Payload=b'{"mode": "fail"}')
    # WHEN its AWS/Lambda metrics are read back, as the alarms and `invoke status` read them
    now = datetime.now(UTC)

    def total(metric: str) -> float:
        points = aws.cloudwatch.get_metric_statistics(
            Namespace="AWS/Lambda",
            MetricName=metric,
            Dimensions=[{"Name": "FunctionName", "Value": name}],
            StartTime=now - timedelta(minutes=5),
            EndTime=now + timedelta(minutes=5),
            Period=60,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(point["Sum"] for point in points)

    # THEN both runs are invocations, one is an error, and each has a duration
    assert (total("Invocations"), total("Errors"), total("Throttles")) == (2.0, 1.0, 0.0)
    assert total("Duration") > 0


def test_the_function_runs_with_its_own_role_and_variables(aws: Aws) -> None:
    name = aws.function(Environment={"Variables": {"GREETING": "hi"}})
    answer = json.loads(
        aws.lam.invoke(FunctionName=name, Payload=b'{"mode": "whoami"}')["Payload"].read()
    )
    assert answer == {
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/{name}-role/{name}",
        "endpoint": aws.endpoint,
        "var": "hi",
    }


def test_code_that_is_not_a_zip_is_a_function_error(aws: Aws) -> None:
    role = aws.iam.create_role(RoleName="not-a-zip-role", AssumeRolePolicyDocument="{}")
    aws.lam.create_function(
        FunctionName="not-a-zip",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": b"this is not a zip archive"},
    )
    answer = aws.lam.invoke(FunctionName="not-a-zip", Payload=b"{}")
    assert answer["FunctionError"] == "Unhandled"
    document = json.loads(answer["Payload"].read())
    assert document["errorType"] == "Runtime.InvalidEntrypoint"
    assert "cannot be unpacked" in document["errorMessage"]


def test_invalid_json_is_refused_like_lambda(aws: Aws) -> None:
    name = aws.function()
    with pytest.raises(aws.lam.exceptions.InvalidRequestContentException):
        aws.lam.invoke(FunctionName=name, Payload=b"{not json")


def test_reserved_concurrency_throttles_synchronous_invokes(aws: Aws) -> None:
    name = aws.function(Timeout=10)
    aws.lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    # botocore would retry a 429 (and succeed once the slot frees): ask once
    once = boto3.client(
        "lambda",
        endpoint_url=aws.endpoint,
        region_name=REGION,
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"total_max_attempts": 1}),
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        running = pool.submit(
            aws.lam.invoke, FunctionName=name, Payload=b'{"mode": "sleep", "seconds": 3}'
        )
        time.sleep(1.5)  # the first invocation holds the only slot
        with pytest.raises(once.exceptions.TooManyRequestsException):
            once.invoke(FunctionName=name, Payload=b"{}")
        assert running.result()["StatusCode"] == 200


def test_an_event_invoke_returns_at_once_and_reports_success(aws: Aws) -> None:
    url, arn = aws.queue()
    name = aws.function()
    aws.lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    started = time.monotonic()
    answer = aws.lam.invoke(
        FunctionName=name, InvocationType="Event", Payload=b'{"mode": "sleep", "seconds": 2}'
    )
    assert answer["StatusCode"] == 202
    assert time.monotonic() - started < 1.0
    [record] = aws.receive(url, 1)
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"] == {"slept": 2}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}


def test_a_failing_event_is_retried_twice_then_recorded(aws: Aws) -> None:
    url, arn = aws.queue()
    name = aws.function()
    aws.lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnFailure": {"Destination": arn}}
    )
    aws.lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"mode": "fail"}')
    [record] = aws.receive(url, 1)
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(f":function:{name}:$LATEST")
    assert record["requestPayload"] == {"mode": "fail"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    starts = [
        e["message"]
        for e in aws.logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
        if e["message"].startswith("START")
    ]
    request_id = record["requestContext"]["requestId"]
    assert starts == [f"START RequestId: {request_id} Version: $LATEST\n"] * 3


def test_put_replaces_the_event_invoke_config_and_update_merges(aws: Aws) -> None:
    name = aws.function()
    aws.lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=2)
    aws.lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    assert aws.lam.get_function_event_invoke_config(FunctionName=name)["MaximumRetryAttempts"] == 0
    aws.lam.update_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=60)
    config = aws.lam.get_function_event_invoke_config(FunctionName=name)
    assert (config["MaximumRetryAttempts"], config["MaximumEventAgeInSeconds"]) == (0, 60)
    assert (
        len(
            aws.lam.list_function_event_invoke_configs(FunctionName=name)[
                "FunctionEventInvokeConfigs"
            ]
        )
        == 1
    )


def _notifying_bucket(aws: Aws, name: str, *, permission: bool = True, prefix: str = "in/") -> str:
    bucket = f"b-{uuid.uuid4().hex[:10]}"
    aws.s3.create_bucket(Bucket=bucket)
    aws.s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    if permission:
        aws.lam.add_permission(
            FunctionName=name,
            StatementId="s3",
            Action="lambda:InvokeFunction",
            Principal="s3.amazonaws.com",
            SourceArn=f"arn:aws:s3:::{bucket}",
            SourceAccount=ACCOUNT,
        )
    arn = aws.lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    aws.s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {
                    "Id": "process-new-objects",
                    "LambdaFunctionArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": prefix}]}},
                }
            ]
        },
    )
    return bucket


def test_uploads_trigger_the_function_with_s3s_event_and_put_returns_at_once(aws: Aws) -> None:
    # GIVEN a function that takes 3 s and forwards its events, notified for keys under in/
    url, _ = aws.queue()
    name = aws.function(Environment={"Variables": {"OUT_QUEUE": url, "SLEEP": "3"}})
    bucket = _notifying_bucket(aws, name)
    # WHEN objects are uploaded (one outside the prefix)
    started = time.monotonic()
    first = aws.s3.put_object(Bucket=bucket, Key="in/a b+c (1).txt", Body=b"one")
    elapsed = time.monotonic() - started
    second = aws.s3.put_object(Bucket=bucket, Key="in/a b+c (1).txt", Body=b"two!")
    aws.s3.put_object(Bucket=bucket, Key="out/ignored.txt", Body=b"x")
    # THEN PutObject did not wait for the function
    assert elapsed < 1.0
    # AND the function got one event per matching upload (none for out/), as S3 sends it
    runtime_control.wait_until_idle(aws.endpoint, 60)
    events = aws.receive(url, 3, timeout=1)
    records = sorted(
        (e["Records"][0] for e in events), key=lambda r: r["s3"]["object"]["sequencer"]
    )
    assert len(records) == 2
    objects = [record["s3"]["object"] for record in records]
    assert [o["key"] for o in objects] == ["in/a+b%2Bc+%281%29.txt"] * 2
    assert [o["versionId"] for o in objects] == [first["VersionId"], second["VersionId"]]
    assert [o["size"] for o in objects] == [3, 4]
    assert objects[0]["sequencer"] < objects[1]["sequencer"]
    assert records[0]["eventName"] == "ObjectCreated:Put"
    assert records[0]["s3"]["configurationId"] == "process-new-objects"
    assert records[0]["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{bucket}"


def test_eventbridge_events_carry_the_key_url_encoded_like_a_notification(aws: Aws) -> None:
    # GIVEN a bucket sending its events to EventBridge, and a rule forwarding them to a queue
    bucket = f"eb-{uuid.uuid4().hex[:8]}"
    aws.s3.create_bucket(Bucket=bucket)
    aws.s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )
    url, arn = aws.queue()
    rule = f"objects-{bucket}"
    pattern = {
        "source": ["aws.s3"],
        "detail-type": ["Object Created"],
        "detail": {"bucket": {"name": [bucket]}},
    }
    aws.events.put_rule(Name=rule, EventPattern=json.dumps(pattern))
    aws.events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    # WHEN an object with a space and a '+' in its key is uploaded, twice
    for body in (b"x", b"yy"):
        aws.s3.put_object(Bucket=bucket, Key="in/a b+c.txt", Body=body)
    # THEN each event is S3's Object Created event: the key URL-encoded (the handler decodes it),
    # the operation as reason, and a sequencer of its own that orders the two uploads
    first, second = aws.receive(url, 2, timeout=10)
    assert first["detail"]["object"]["key"] == "in/a+b%2Bc.txt"
    assert first["detail"]["reason"] == "PutObject"
    assert first["detail"]["requester"] == first["account"]
    assert first["resources"] == [f"arn:aws:s3:::{bucket}"]
    assert [e["detail"]["object"]["size"] for e in (first, second)] == [1, 2]
    assert set(first["detail"]["object"]) == {"key", "size", "etag", "sequencer"}
    assert first["detail"]["object"]["sequencer"] < second["detail"]["object"]["sequencer"]


def test_one_s3_request_gives_one_event_as_on_s3(aws: Aws) -> None:
    # GIVEN a bucket notifying a queue of object creations and tag changes
    bucket = f"one-{uuid.uuid4().hex[:8]}"
    aws.s3.create_bucket(Bucket=bucket)
    url, arn = aws.queue()
    aws.s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {"QueueArn": arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectTagging:*"]}
            ]
        },
    )

    def events() -> list[str]:
        runtime_control.wait_until_idle(aws.endpoint, 30)
        bodies = aws.receive(url, 10, timeout=1)
        return [r["eventName"] for b in bodies for r in b.get("Records", [])]

    events()  # S3's configuration test message, if any
    # WHEN a multipart upload completes THEN one CompleteMultipartUpload event (moto also stores
    # it through PutObject and tags it: S3 sends neither)
    upload = aws.s3.create_multipart_upload(Bucket=bucket, Key="big.bin")["UploadId"]
    part = aws.s3.upload_part(
        Bucket=bucket, Key="big.bin", UploadId=upload, PartNumber=1, Body=b"x" * 1024
    )
    aws.s3.complete_multipart_upload(
        Bucket=bucket,
        Key="big.bin",
        UploadId=upload,
        MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]},
    )
    assert events() == ["ObjectCreated:CompleteMultipartUpload"]
    # AND a PutObject with tags is one ObjectCreated:Put; PutObjectTagging is a tagging event
    aws.s3.put_object(Bucket=bucket, Key="tagged.txt", Body=b"x", Tagging="team=a")
    assert events() == ["ObjectCreated:Put"]
    aws.s3.put_object_tagging(
        Bucket=bucket, Key="tagged.txt", Tagging={"TagSet": [{"Key": "team", "Value": "b"}]}
    )
    assert events() == ["ObjectTagging:Put"]


def _submitted(aws: Aws) -> int:
    return int(runtime_control.status(aws.endpoint)["async"]["submitted"])


def test_without_the_lambda_permission_s3_cannot_invoke(aws: Aws) -> None:
    # GIVEN a notification to a function whose resource policy does not let S3 invoke it
    url, _ = aws.queue()
    name = aws.function(Environment={"Variables": {"OUT_QUEUE": url}})
    bucket = _notifying_bucket(aws, name, permission=False)
    # WHEN an object is uploaded THEN no invocation is queued (S3 queues it within PutObject)
    before = _submitted(aws)
    aws.s3.put_object(Bucket=bucket, Key="in/x.txt", Body=b"x")
    assert _submitted(aws) == before
    # AND once the permission exists, the same upload does invoke it
    aws.lam.add_permission(
        FunctionName=name,
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
    )
    aws.s3.put_object(Bucket=bucket, Key="in/x.txt", Body=b"x")
    assert _submitted(aws) == before + 1
    [event] = aws.receive(url, 1)
    assert event["Records"][0]["s3"]["object"]["key"] == "in/x.txt"


def test_a_throttled_publish_is_retried_by_lambda_into_exactly_one_message(aws: Aws) -> None:
    # GIVEN a topic with a queue subscribed, and a fault: the next Publish to it is throttled
    topic = aws.sns.create_topic(Name=f"t-{uuid.uuid4().hex[:8]}")["TopicArn"]
    url, arn = aws.queue()
    aws.sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    name = aws.function()
    fault = faults.inject("sns", "Publish", times=1, match=topic, endpoint=aws.endpoint)
    # WHEN the function publishes from an async invocation
    payload = json.dumps({"mode": "publish", "topic": topic, "message": "once"}).encode()
    aws.lam.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
    # THEN the first attempt failed on the fault, the retry published: exactly one message
    runtime_control.wait_until_idle(aws.endpoint, 30)
    messages = aws.receive(url, 2, timeout=1)
    assert [m["Message"] for m in messages] == ["once"]
    assert fault.id not in {f.id for f in faults.active(endpoint=aws.endpoint)}


def test_the_runtime_status_lists_warm_sandboxes(aws: Aws) -> None:
    name = aws.function()
    aws.lam.invoke(FunctionName=name, Payload=b"{}")
    status = runtime_control.status(aws.endpoint)
    [entry] = [f for f in status["functions"] if f["function"].endswith(f":{name}:$LATEST")]
    assert entry["sandboxes"][0]["rss_kb"] > 0
    assert {"queued", "in_flight", "succeeded"} <= set(status["async"])
    # AND stopping them makes the next invocation a cold start again
    assert runtime_control.stop_sandboxes(aws.endpoint, name) == 1
    answer = aws.lam.invoke(FunctionName=name, Payload=b"{}", LogType="Tail")
    assert "Init Duration" in base64.b64decode(answer["LogResult"]).decode()


def test_waiting_until_idle_returns_once_every_event_and_its_record_are_done(aws: Aws) -> None:
    # GIVEN an async event that runs 2 s and then sends its on-success record
    url, arn = aws.queue()
    name = aws.function()
    aws.lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": arn}}
    )
    aws.lam.invoke(
        FunctionName=name, InvocationType="Event", Payload=b'{"mode": "sleep", "seconds": 2}'
    )
    # WHEN the caller waits until the runtime is idle, with too short a patience first
    with pytest.raises(ToolingError, match="still busy"):
        runtime_control.wait_until_idle(aws.endpoint, 0.2)
    runtime_control.wait_until_idle(aws.endpoint, 30)
    # THEN the record is already delivered: nothing left to wait for
    status = runtime_control.status(aws.endpoint)["async"]
    assert (status["queued"], status["in_flight"]) == (0, 0)
    [record] = aws.receive(url, 1, timeout=1)
    assert record["responsePayload"] == {"slept": 2}


def test_the_control_client_names_an_unreachable_emulator() -> None:
    with pytest.raises(ToolingError, match="cannot reach the emulator") as error:
        runtime_control.status(f"http://127.0.0.1:{lifecycle.free_port()}")
    assert "emulator.start" in error.value.hint


def test_by_default_only_the_built_zip_runs(tmp_path: Path) -> None:
    # GIVEN an emulator with the default code policy (dist)
    for emulator in _start(tmp_path):
        aws = Aws(emulator.endpoint)
        name = aws.function()
        # WHEN a function deployed from another zip is invoked
        answer = aws.lam.invoke(FunctionName=name, Payload=b"{}")
        # THEN its code does not run: an error says why and how to allow it
        assert answer["FunctionError"] == "Unhandled"
        document = json.loads(answer["Payload"].read())
        assert document["errorType"] == "Emulator.UntrustedCode"
        assert settings.CODE_POLICY_ENV_VAR in document["errorMessage"]
