"""`invoke local`: event files checked, sample objects uploaded, the deployed function invoked
through the Lambda API, and what it published told apart from the notification's results."""

from __future__ import annotations

import base64
import copy
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

import pytest
from stack_fixtures import ACCOUNT, API_FUNCTION, BUCKET, PROCESSOR, REGION, deployed_env

from tooling.core.errors import ToolingError
from tooling.run import in_process, local, samples

if TYPE_CHECKING:
    from pathlib import Path

    from tooling.stack.deployment import Deployment

EVENTS = samples.paths.HANDLER_DIR / "events"


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def s3(aws: dict[str, Any]) -> Any:
    aws["s3"].create_bucket(Bucket=BUCKET)
    aws["s3"].put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    return aws["s3"]


# --- the event file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message", "hint"),
    [
        ("[{}, {}]", "holds a JSON array (2 item(s)), not an event", "invoke one event at a time"),
        ("{}", "holds an empty object `{}`", "start from a sample"),
        ('{"Records": [', "is not JSON: Expecting value", "holds ONE event"),
        ('"text"', "holds a JSON str, not an event object", "holds ONE event"),
        ("", "is not JSON", "holds ONE event"),
    ],
)
def test_an_event_file_that_is_not_one_event_gets_a_clear_error(
    tmp_path: Path, content: str, message: str, hint: str
) -> None:
    # GIVEN a file holding an array, `{}`, broken JSON, a string or nothing
    path = tmp_path / "event.json"
    path.write_text(content)
    # WHEN it is read THEN the error says what the file holds and how to fix it
    with pytest.raises(ToolingError) as raised:
        samples.read_event(path)
    assert message in raised.value.message
    assert hint in raised.value.hint


def test_a_missing_event_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ToolingError, match="cannot read the event file"):
        samples.read_event(tmp_path / "nope.json")


@pytest.mark.parametrize(
    ("name", "function"),
    [
        ("s3-put-awkward-key.json", "processor"),
        ("s3-multi-record.json", "processor"),
        ("api-process.json", "api"),
        ("api-wrong-method.json", "api"),
    ],
)
def test_the_event_shape_picks_the_function(name: str, function: str) -> None:
    assert samples.function_for(_event(name)) == function


def test_an_unknown_shape_needs_function_and_a_wrong_function_is_refused() -> None:
    with pytest.raises(ToolingError, match="cannot tell which function") as raised:
        samples.function_for({"hello": "world"})
    assert "--function=processor" in raised.value.hint
    assert samples.function_for({"hello": "world"}, "api") == "api"
    with pytest.raises(ToolingError, match="unknown function 'worker'"):
        samples.function_for({"Records": []}, "worker")
    # HTTP API v2 requests go to the api function (it answers them with a clear 400)
    assert samples.function_for({"version": "2.0", "routeKey": "POST /process"}) == "api"


# --- sample objects ------------------------------------------------------------------------


def test_awkward_key_sample_is_repointed_and_its_body_uploaded(s3: Any) -> None:
    event = _event("s3-put-awkward-key.json")
    record = event["Records"][0]["s3"]
    assert record["bucket"]["name"] == samples.SAMPLE_BUCKET
    uploaded = samples.retarget_event(event, s3, BUCKET)
    assert record["bucket"]["name"] == BUCKET
    assert record["bucket"]["arn"] == f"arn:aws:s3:::{BUCKET}"
    assert len(uploaded) == 1
    stored = s3.get_object(Bucket=BUCKET, Key=uploaded[0].key)
    assert stored["Body"].read() == (samples.OBJECTS_DIR / uploaded[0].key).read_bytes()
    assert record["object"]["versionId"] == stored["VersionId"] == uploaded[0].version_id


def test_duplicate_delivery_uploads_once_and_both_records_name_that_version(s3: Any) -> None:
    event = _event("s3-duplicate-delivery.json")
    uploaded = samples.retarget_event(event, s3, BUCKET)
    versions = {r["s3"]["object"]["versionId"] for r in event["Records"]}
    assert len(event["Records"]) == 2
    assert len(uploaded) == 1
    key = event["Records"][0]["s3"]["object"]["key"]
    assert versions == {s3.head_object(Bucket=BUCKET, Key=unquote_plus(key))["VersionId"]}


def test_missing_object_sample_is_left_missing(s3: Any) -> None:
    event = _event("s3-missing-object.json")
    before = copy.deepcopy(event["Records"][0]["s3"]["object"])
    assert samples.retarget_event(event, s3, BUCKET) == []
    assert event["Records"][0]["s3"]["object"] == before


@pytest.mark.parametrize("name", ["api-process.json", "api-process-base64.json"])
def test_api_samples_get_their_object_uploaded(s3: Any, name: str) -> None:
    uploaded = samples.retarget_event(_event(name), s3, BUCKET)
    assert len(uploaded) == 1
    assert s3.head_object(Bucket=BUCKET, Key=uploaded[0].key)["ContentLength"] > 0


def test_malformed_api_body_uploads_nothing(s3: Any) -> None:
    assert samples.retarget_event(_event("api-invalid-json.json"), s3, BUCKET) == []
    encoded = {"httpMethod": "POST", "isBase64Encoded": True, "body": "!!not base64"}
    assert samples.retarget_event(encoded, s3, BUCKET) == []
    ok = {
        "httpMethod": "POST",
        "isBase64Encoded": True,
        "body": base64.b64encode(b'{"key": "nope/none.txt"}').decode(),
    }
    assert samples.retarget_event(ok, s3, BUCKET) == []


# --- invoking the deployed function ----------------------------------------------------------


def _answer(aws: dict[str, Any], payload: Any) -> None:
    """What moto's stub Lambda backend answers the next Invoke with."""
    from moto.awslambda_simple.models import lambda_simple_backends

    lambda_simple_backends[ACCOUNT][REGION].lambda_simple_results_queue.append(json.dumps(payload))


def _publish(aws: dict[str, Any], stack: Deployment, **document: Any) -> None:
    aws["sns"].publish(TopicArn=stack.results_topic_arn, Message=json.dumps(document))


def test_the_event_goes_through_the_lambda_api_and_its_results_are_told_apart(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN the deployed stack and the awkward-key sample (its sequencer is the sample's own)
    aws["s3"].put_bucket_notification_configuration(Bucket=BUCKET, NotificationConfiguration={})
    event = _event("s3-put-awkward-key.json")
    sequencer = event["Records"][0]["s3"]["object"]["sequencer"]
    invoked: list[dict[str, Any]] = []

    def function(params: dict[str, Any], **_: Any) -> None:
        # the deployed function: its result, and the notification's result of the upload
        invoked.append(json.loads(params["body"]))
        key = unquote_plus(invoked[-1]["Records"][0]["s3"]["object"]["key"])
        _publish(aws, stack, source="s3", key=key, sequencer="00S3REAL")
        _publish(aws, stack, source="s3", key=key, sequencer=sequencer)
        _answer(aws, {"processed": 1, "rejected": 0, "duplicates": 0, "ignored": 0})

    aws["lambda"].meta.events.register("before-call.lambda.Invoke", function)
    deployed = deployed_env(aws, stack, env="local", endpoint="http://unused")
    # WHEN it runs
    run = local.run_event(event, deployed, "processor", message_wait=3, notification_wait=3)
    # THEN the deployed processor got the re-pointed event with the uploaded version
    record = invoked[0]["Records"][0]["s3"]
    assert record["bucket"]["name"] == BUCKET
    assert record["object"]["versionId"] == run.uploaded[0].version_id
    # AND its own result is told apart from the notification's
    assert [m["document"]["sequencer"] for m in run.published] == [sequencer]
    assert [m["document"]["sequencer"] for m in run.by_notification] == ["00S3REAL"]
    text = run.describe()
    assert f"function: {PROCESSOR} (invoked through the Lambda API)" in text
    assert "published to the results topic: 1 message(s)" in text
    assert "by the bucket notification: 1 message(s)" in text
    assert '"processed": 1' in text


def test_a_log_tail_is_printed_structured(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN Lambda answers with a log tail (as AWS does for LogType=Tail, and the emulator)
    tail = "\n".join(
        [
            "START RequestId: r-1 Version: $LATEST",
            json.dumps({"level": "INFO", "message": "hello", "correlation_id": "c-1"}),
            '{"_aws": {"CloudWatchMetrics": []}}',
            "END RequestId: r-1",
        ]
    )

    def add_tail(http_response: Any, parsed: dict[str, Any], **_: Any) -> None:
        parsed["LogResult"] = base64.b64encode(tail.encode()).decode()

    aws["lambda"].meta.events.register("after-call.lambda.Invoke", add_tail)
    _answer(aws, {"statusCode": 200, "body": "{}"})
    deployed = deployed_env(aws, stack, env="local", endpoint="http://unused")
    run = local.run_event(
        {"httpMethod": "GET", "path": "/process"}, deployed, "api", message_wait=0.2
    )
    text = run.describe()
    assert f"function: {API_FUNCTION}" in text
    assert "log lines:" in text
    assert "INFO     hello  [correlation_id=c-1]" in text
    assert "START RequestId: r-1" in text
    assert "_aws" not in text  # metrics are not log lines


def test_an_emulator_without_a_lambda_runtime_is_explained(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN an emulator that can only try Docker (stock moto)
    _answer(aws, {"errorMessage": "error running docker: Error while fetching server API version"})
    deployed = deployed_env(aws, stack, env="local", endpoint="http://unused")
    # WHEN local invoke runs THEN it says what that means and offers --in-process
    with pytest.raises(ToolingError, match="the emulator cannot run functions") as raised:
        local.run_event({"httpMethod": "GET"}, deployed, "api", message_wait=0.1)
    assert "--in-process" in raised.value.hint


def test_a_missing_function_is_a_clear_error(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN Lambda says the function does not exist (moto's stub backend never does)
    from botocore.stub import Stubber

    deployed = deployed_env(aws, stack, env="local", endpoint="http://unused")
    with Stubber(aws["lambda"]) as stubber:
        stubber.add_client_error(
            "invoke", "ResourceNotFoundException", "Function not found: sfp-api-use1-test", 404
        )
        # WHEN invoked THEN the error names the function and says to deploy
        with pytest.raises(
            ToolingError, match="Lambda refused to invoke sfp-api-use1-test"
        ) as raised:
            local.run_event({"httpMethod": "GET"}, deployed, "api", message_wait=0.1)
    assert "ResourceNotFoundException" in raised.value.message
    assert "deploy the env first" in raised.value.hint


def test_in_process_is_refused_for_a_real_env_and_local_for_a_protected_one(
    tmp_path: Path,
) -> None:
    event = tmp_path / "event.json"
    event.write_text('{"Records": []}')
    with pytest.raises(ToolingError, match="against the emulator, not the real dev account"):
        local.run_local("dev", event, in_process_call=True)
    with pytest.raises(ToolingError, match="not on the real prod"):
        local.run_local("prod", event)


def test_a_bad_event_file_is_refused_before_any_aws_call(tmp_path: Path) -> None:
    # GIVEN `{}` WHEN run against dev THEN the file is refused before reading outputs
    event = tmp_path / "event.json"
    event.write_text("{}")
    with pytest.raises(ToolingError, match="empty object"):
        local.run_local("dev", event)


# --- in-process (the debugger path) -------------------------------------------------------


def test_fake_context_counts_down_from_the_timeout() -> None:
    context = in_process.FakeContext(function_name="fn", timeout_seconds=20)
    assert 19_000 < context.get_remaining_time_in_millis() <= 20_000
    assert context.invoked_function_arn.endswith(":function:fn")
    assert context.log_group_name == "/aws/lambda/fn"


def test_handler_settings_are_the_deployed_ones_with_the_envs_resources(
    aws: dict[str, Any], stack: Deployment
) -> None:
    aws["lambda"].update_function_configuration(
        FunctionName=PROCESSOR,
        Environment={
            "Variables": {
                "MAX_SYNC_OBJECT_BYTES": "123",
                "BUCKET_NAME": "deployed",
                "POWERTOOLS_METRICS_NAMESPACE": "DeployedNamespace",
            }
        },
    )
    deployed = in_process.deployed_variables(aws["lambda"], PROCESSOR)
    settings = in_process.handler_settings(stack, deployed)
    assert settings["MAX_SYNC_OBJECT_BYTES"] == "123"
    assert settings["BUCKET_NAME"] == BUCKET
    assert settings["TOPIC_ARN"] == stack.results_topic_arn
    # the namespace is the deployed function's own (the compute module is its one source)
    assert settings["POWERTOOLS_METRICS_NAMESPACE"] == "DeployedNamespace"


def test_an_incompletely_configured_function_is_a_clear_error(stack: Deployment) -> None:
    # GIVEN deployed variables without the Powertools settings the compute module always sets
    settings = in_process.handler_settings(stack, {"MAX_OBJECT_BYTES": "10"})
    # WHEN the handler is built from them THEN the error names the variable and says to redeploy
    with pytest.raises(ToolingError, match="POWERTOOLS_") as raised:
        in_process.build_handler(settings, "http://127.0.0.1:9")
    assert "deploy the env again" in raised.value.hint
