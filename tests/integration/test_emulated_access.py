"""The deployed local stack's IAM and API on the emulator (after `deploy --env=local`).

Uses the session's `pipelines`/`checkout` fixtures (tests/integration/conftest.py): the stack
is the one the deploy test built. This file sorts before test_emulated_deploy.py, whose last
test restarts the local emulator.

* The functions' real execution roles (from the compute module) are assumed through the
  emulator's STS and their calls checked: what the policies grant works, what "least" leaves
  out is AccessDenied, and a statement removed from a role flips its call to AccessDenied.
* POST /process through the local URL: unsigned → 403, a body outside the model → 400 (no
  function runs for either), and — with the Lambda runtime of issue 12 item 1 — signed → 200
  for an uploaded object and 404 for a missing one.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

from tooling.emulator.apigateway import local_invoke_url

if TYPE_CHECKING:
    from .conftest import Checkout, Pipelines

pytestmark = pytest.mark.integration

LOCAL_DEPLOY = "deploy --env=local"


@pytest.fixture(scope="module")
def stack(pipelines: Pipelines, checkout: Checkout) -> dict[str, Any]:
    """The local env's outputs, once its deploy succeeded."""
    deploy = pipelines.steps.get(LOCAL_DEPLOY)
    assert deploy is not None, "the local deploy did not run: an earlier step failed"
    assert deploy.returncode == 0, deploy.describe()
    state = json.loads((checkout.root / ".work" / "local" / "terraform.tfstate").read_text())
    outputs = {name: output["value"] for name, output in state["outputs"].items()}
    outputs["endpoint"] = checkout.emulators["local"].endpoint
    outputs["log_file"] = checkout.emulators["local"].log_file
    return outputs


def client(stack: dict[str, Any], service: str, credentials: dict | None = None) -> Any:
    keys = credentials or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return boto3.client(
        service, endpoint_url=stack["endpoint"], region_name=stack["region"], **keys
    )


def role_of(stack: dict[str, Any], function_output: str) -> str:
    function = client(stack, "lambda").get_function(FunctionName=stack[function_output])
    return function["Configuration"]["Role"]


def session(stack: dict[str, Any], role_arn: str) -> dict[str, str]:
    issued = client(stack, "sts").assume_role(RoleArn=role_arn, RoleSessionName="it")["Credentials"]
    return {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }


def error_code(call: Any) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def test_the_deployed_roles_get_exactly_their_least_privilege(stack: dict[str, Any]):
    # GIVEN an object uploaded by the tooling (SSE-KMS by the bucket's default)
    key = f"it/{uuid.uuid4().hex}.txt"
    client(stack, "s3").put_object(Bucket=stack["uploads_bucket_name"], Key=key, Body=b"hi")
    processor = session(stack, role_of(stack, "processor_function_name"))
    api = session(stack, role_of(stack, "api_function_name"))
    item = {"id": {"S": f"it-{uuid.uuid4().hex}"}}
    # THEN the processor reads uploads (and their key), publishes results, keeps records ...
    s3 = client(stack, "s3", processor)
    assert s3.get_object(Bucket=stack["uploads_bucket_name"], Key=key)["Body"].read() == b"hi"
    sns = client(stack, "sns", processor)
    sns.publish(TopicArn=stack["results_topic_arn"], Message="{}")
    ddb = client(stack, "dynamodb", processor)
    ddb.put_item(TableName=stack["idempotency_table_name"], Item=item)
    # ... and may not write uploads or alert
    assert (
        error_code(lambda: s3.put_object(Bucket=stack["uploads_bucket_name"], Key="x", Body=b""))
        == "AccessDenied"
    )
    assert (
        error_code(lambda: sns.publish(TopicArn=stack["alerts_topic_arn"], Message="{}"))
        == "AuthorizationError"
    )
    # AND the api function reads uploads but neither publishes nor writes the table
    assert client(stack, "s3", api).get_object(Bucket=stack["uploads_bucket_name"], Key=key)
    assert (
        error_code(
            lambda: client(stack, "sns", api).publish(
                TopicArn=stack["results_topic_arn"], Message=""
            )
        )
        == "AuthorizationError"
    )
    assert (
        error_code(
            lambda: client(stack, "dynamodb", api).put_item(
                TableName=stack["idempotency_table_name"], Item=item
            )
        )
        == "AccessDeniedException"
    )


def test_a_statement_removed_from_the_processor_role_is_access_denied(stack: dict[str, Any]):
    iam = client(stack, "iam")
    role_name = role_of(stack, "processor_function_name").rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    original = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]
    document = json.loads(original) if isinstance(original, str) else original
    trimmed = {
        **document,
        "Statement": [s for s in document["Statement"] if s.get("Sid") != "PublishResults"],
    }
    assert len(trimmed["Statement"]) == len(document["Statement"]) - 1, "no PublishResults"
    sns = client(stack, "sns", session(stack, role_of(stack, "processor_function_name")))
    iam.put_role_policy(
        RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(trimmed)
    )
    try:
        code = error_code(lambda: sns.publish(TopicArn=stack["results_topic_arn"], Message="{}"))
        assert code == "AuthorizationError"
    finally:
        iam.put_role_policy(
            RoleName=role_name, PolicyName=policy_name, PolicyDocument=json.dumps(document)
        )
    sns.publish(TopicArn=stack["results_topic_arn"], Message="{}")


def post(stack: dict[str, Any], body: Any, *, signed: bool) -> tuple[int, Any]:
    url = local_invoke_url(stack["api_url"], stack["endpoint"])
    data = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if signed:
        request = AWSRequest(method="POST", url=url, data=data, headers=headers)
        SigV4Auth(Credentials("test", "test", "test"), "execute-api", stack["region"]).add_auth(
            request
        )
        headers = dict(request.headers.items())
    sent = urllib.request.Request(url, data=data, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(sent, timeout=60) as response:  # noqa: S310
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def test_post_process_is_guarded_by_the_gateway(stack: dict[str, Any]):
    # unsigned: refused by AWS_IAM before anything runs
    assert post(stack, {"key": "k"}, signed=False) == (
        403,
        {"message": "Missing Authentication Token"},
    )
    # signed, but outside the deployed model: the request validator answers
    assert post(stack, {"bucket": "b"}, signed=True) == (400, {"message": "Invalid request body"})


def test_post_process_runs_the_api_function(stack: dict[str, Any]):
    """The api function really runs behind the local URL (the emulator's Lambda runtime)."""
    key = f"it/{uuid.uuid4().hex}.csv"
    client(stack, "s3").put_object(Bucket=stack["uploads_bucket_name"], Key=key, Body=b"a,b\n1,2\n")
    status, body = post(stack, {"key": key}, signed=True)
    log = stack["log_file"].read_text(errors="replace")
    gateway_lines = "\n".join(line for line in log.splitlines() if "API Gateway" in line)
    permission = client(stack, "lambda").get_policy(FunctionName=stack["api_function_name"])
    assert status == 200, f"{body}\n{gateway_lines[-3000:]}\n{permission['Policy']}"
    assert body["key"] == key
    assert body["size_bytes"] == len(b"a,b\n1,2\n")
    assert body["status"] == "processed"
    missing_status, missing = post(stack, {"key": f"it/{uuid.uuid4().hex}"}, signed=True)
    assert missing_status == 404, missing
