"""API Gateway REST on the emulator: the pure helpers, then a deployed API answered end to end
(curl-like urllib requests and botocore SigV4-signed ones) on an emulator running the function
with its real Lambda runtime."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import urllib.error
import urllib.request
import uuid
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from tooling.core.errors import ToolingError
from tooling.emulator import apigateway, lifecycle, settings
from tooling.emulator.apigateway import Incoming, Target, match_resource

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"
ACCOUNT = "123456789012"

# ---------------------------------------------------------------------------------------------
# Pure helpers


def test_local_invoke_url_maps_the_real_invoke_url_to_the_emulator():
    url = "https://a1b2c3d4e5.execute-api.eu-west-1.amazonaws.com/v1/process"
    assert apigateway.local_invoke_url(url, "http://127.0.0.1:4566/") == (
        "http://127.0.0.1:4566/_aws/execute-api/a1b2c3d4e5/v1/process"
    )
    with_query = apigateway.local_invoke_url(url + "?dry=1", "http://127.0.0.1:4622")
    assert with_query.endswith("/_aws/execute-api/a1b2c3d4e5/v1/process?dry=1")
    with pytest.raises(ToolingError, match="not an API Gateway invoke URL"):
        apigateway.local_invoke_url("https://example.com/v1/process", "http://127.0.0.1:4566")


def test_resources_match_literal_then_param_then_greedy():
    templates = [
        ("root", "/"),
        ("process", "/process"),
        ("item", "/items/{id}"),
        ("latest", "/items/latest"),
        ("proxy", "/{proxy+}"),
    ]
    assert match_resource(templates, "/process").resource_id == "process"
    assert match_resource(templates, "/process/").resource_id == "process"
    assert match_resource(templates, "/items/latest").resource_id == "latest"
    item = match_resource(templates, "/items/a%20b")
    assert (item.resource_id, item.path_parameters) == ("item", {"id": "a%20b"})
    deep = match_resource(templates, "/files/2024/report.csv")
    assert (deep.resource_id, deep.path_parameters) == ("proxy", {"proxy": "files/2024/report.csv"})
    assert match_resource(templates, "/").resource_id == "root"
    assert match_resource([("p", "/process")], "/other") is None


def _incoming(**overrides: Any) -> Incoming:
    values: dict[str, Any] = {
        "method": "POST",
        "raw_path": "/abc/v1/process",
        "query": [("a", "1"), ("a", "2"), ("b", "x y")],
        "raw_query": "a=1&a=2&b=x+y",
        "headers": [("Content-Type", "application/json"), ("User-Agent", "curl/8")],
        "body": b'{"key": "k"}',
        "host": "127.0.0.1:4566",
        "source_ip": "127.0.0.1",
    }
    return Incoming(**{**values, **overrides})


def _target(**overrides: Any) -> Target:
    values: dict[str, Any] = {
        "api_id": "abc",
        "account_id": ACCOUNT,
        "region": REGION,
        "stage": "v1",
        "deployment_id": "dep1",
        "resource_id": "r1",
        "resource_path": "/process",
        "path": "/process",
        "path_parameters": {},
        "stage_variables": {},
    }
    return Target(**{**values, **overrides})


def test_proxy_event_has_api_gateways_v1_shape():
    now = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    caller = apigateway.Caller("AKID", ACCOUNT, ACCOUNT, ACCOUNT, f"arn:aws:iam::{ACCOUNT}:root")
    event = apigateway.proxy_event(_incoming(), _target(), caller, now)
    assert event["resource"] == "/process"
    assert event["path"] == "/process"
    assert event["httpMethod"] == "POST"
    assert event["body"] == '{"key": "k"}'
    assert event["isBase64Encoded"] is False
    assert event["queryStringParameters"] == {"a": "2", "b": "x y"}
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"], "b": ["x y"]}
    assert event["pathParameters"] is None
    assert event["stageVariables"] is None
    assert event["headers"]["Host"] == "abc.execute-api.us-east-1.amazonaws.com"
    assert event["headers"]["X-Forwarded-Proto"] == "https"
    assert event["multiValueHeaders"]["Content-Type"] == ["application/json"]
    context = event["requestContext"]
    assert context["stage"] == "v1"
    assert context["path"] == "/v1/process"
    assert context["resourcePath"] == "/process"
    assert context["requestTime"] == "02/Jan/2026:03:04:05 +0000"
    assert context["requestTimeEpoch"] == int(now.timestamp() * 1000)
    assert context["identity"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert context["identity"]["sourceIp"] == "127.0.0.1"
    assert context["identity"]["userAgent"] == "curl/8"
    uuid.UUID(context["requestId"])
    # binary media types make the body base64, and no body is null
    binary = apigateway.proxy_event(
        _incoming(headers=[("Content-Type", "image/png")], body=b"\x89PNG"),
        _target(binary_media_types=("image/*",)),
        apigateway.Caller(),
        now,
    )
    assert (binary["body"], binary["isBase64Encoded"]) == ("iVBORw==", True)
    empty = apigateway.proxy_event(
        _incoming(body=b"", query=[]), _target(), apigateway.Caller(), now
    )
    assert empty["body"] is None
    assert empty["queryStringParameters"] is None


def test_proxy_reply_accepts_only_wellformed_results():
    reply = apigateway.proxy_reply(
        json.dumps(
            {
                "statusCode": 201,
                "headers": {"X-One": "1"},
                "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"]},
                "body": "aGk=",
                "isBase64Encoded": True,
            }
        )
    )
    assert reply is not None
    assert reply.status == 201
    assert reply.body == b"hi"
    assert ("Set-Cookie", "a=1") in reply.headers
    assert ("Set-Cookie", "b=2") in reply.headers
    assert ("Content-Type", "application/json") in reply.headers
    for malformed in (b"not json", b"[]", b'{"body": "x"}', b'{"statusCode": 200, "body": {}}'):
        assert apigateway.proxy_reply(malformed) is None


def test_validation_helpers():
    schema = {
        "$schema": "http://json-schema.org/draft-04/schema#",
        "type": "object",
        "required": ["key"],
        "additionalProperties": False,
        "properties": {
            "key": {"type": "string", "minLength": 1},
            "meta": {"$ref": "https://apigateway.amazonaws.com/restapis/abc/models/Meta"},
        },
    }
    models = {"ProcessRequest": schema, "Meta": {"type": "object", "required": ["v"]}}
    assert apigateway.body_is_valid(schema, b'{"key": "k"}', models, "abc")
    assert not apigateway.body_is_valid(schema, b'{"key": ""}', models, "abc")
    assert not apigateway.body_is_valid(schema, b'{"key": "k", "x": 1}', models, "abc")
    assert not apigateway.body_is_valid(schema, b"{not json", models, "abc")
    assert not apigateway.body_is_valid(schema, b"", models, "abc")  # validated as {}
    assert apigateway.body_is_valid(schema, b'{"key": "k", "meta": {"v": 1}}', models, "abc")
    assert not apigateway.body_is_valid(schema, b'{"key": "k", "meta": {}}', models, "abc")
    request_models = {"application/json": "ProcessRequest"}
    assert apigateway.model_for(request_models, None) == "ProcessRequest"
    assert apigateway.model_for(request_models, "application/json; charset=utf-8") == (
        "ProcessRequest"
    )
    assert apigateway.model_for(request_models, "text/plain") is None
    assert apigateway.model_for({**request_models, "$default": "Any"}, "text/plain") == "Any"
    required = {"method.request.querystring.dry": True, "method.request.header.X-Trace": True}
    missing = apigateway.missing_parameters(required, _incoming(), {})
    assert missing == ["dry", "X-Trace"]


# ---------------------------------------------------------------------------------------------
# A deployed API on an emulator

HANDLER = """
import json, time

def handler(event, context):
    body = json.loads(event.get("body") or "{}")
    key = body.get("key")
    if key == "raise":
        raise RuntimeError("boom")
    if key == "sleep":
        time.sleep(3)
    if key == "missing":
        return {"statusCode": 404, "body": json.dumps({"reason": "not_found"})}
    if key == "malformed":
        return {"body": "no statusCode"}
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps({"event": event})}
"""


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", HANDLER)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Emulator]:
    """An emulator with the real Lambda runtime (any code may run: the test zips are not
    dist/'s), on a free port."""
    state = tmp_path_factory.mktemp("apigw-emulator")
    chosen = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=state)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(settings.LAMBDA_DIR_ENV_VAR, str(state / "lambda"))
        patch.setenv(settings.CODE_POLICY_ENV_VAR, "any")
        lifecycle.start(chosen)
    try:
        yield chosen
    finally:
        lifecycle.stop(chosen)


def _client(emulator: lifecycle.Emulator, service: str, **keys: str) -> Any:
    keys = keys or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=REGION, **keys)


@dataclass
class Api:
    emulator: lifecycle.Emulator
    api_id: str
    function_name: str
    role_name: str

    @property
    def url(self) -> str:
        real = f"https://{self.api_id}.execute-api.{REGION}.amazonaws.com/v1/process"
        return apigateway.local_invoke_url(real, self.emulator.endpoint)

    def stage_url(self, path: str, stage: str = "v1") -> str:
        return f"{self.emulator.endpoint}/_aws/execute-api/{self.api_id}/{stage}{path}"


@pytest.fixture(scope="module")
def api(emulator: lifecycle.Emulator) -> Api:
    """POST /process as the api module builds it (AWS_IAM, validator, model, AWS_PROXY, 1 s
    integration timeout), plus GET /items/{proxy+} without authorization."""
    iam, lam, gw = (_client(emulator, name) for name in ("iam", "lambda", "apigateway"))
    tag = uuid.uuid4().hex[:6]
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    role = iam.create_role(RoleName=f"api-{tag}", AssumeRolePolicyDocument=json.dumps(trust))
    function = lam.create_function(
        FunctionName=f"api-{tag}",
        Runtime="python3.12",
        Role=role["Role"]["Arn"],
        Handler="app.handler",
        Code={"ZipFile": _zip()},
    )["FunctionArn"]
    api_id = gw.create_rest_api(name=f"api-{tag}")["id"]
    root = next(r["id"] for r in gw.get_resources(restApiId=api_id)["items"] if r["path"] == "/")
    process = gw.create_resource(restApiId=api_id, parentId=root, pathPart="process")["id"]
    gw.create_model(
        restApiId=api_id,
        name="ProcessRequest",
        contentType="application/json",
        schema=json.dumps(
            {
                "$schema": "http://json-schema.org/draft-04/schema#",
                "type": "object",
                "required": ["key"],
                "additionalProperties": False,
                "properties": {"key": {"type": "string", "minLength": 1, "maxLength": 1024}},
            }
        ),
    )
    validator = gw.create_request_validator(
        restApiId=api_id, name="body", validateRequestBody=True, validateRequestParameters=False
    )["id"]
    gw.put_method(
        restApiId=api_id,
        resourceId=process,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        requestValidatorId=validator,
        requestModels={"application/json": "ProcessRequest"},
    )
    uri = f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function}/invocations"
    gw.put_integration(
        restApiId=api_id,
        resourceId=process,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uri,
        timeoutInMillis=1000,
    )
    items = gw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    proxy = gw.create_resource(restApiId=api_id, parentId=items, pathPart="{proxy+}")["id"]
    gw.put_method(restApiId=api_id, resourceId=proxy, httpMethod="ANY", authorizationType="NONE")
    gw.put_integration(
        restApiId=api_id,
        resourceId=proxy,
        httpMethod="ANY",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=uri,
    )
    gw.create_deployment(restApiId=api_id, stageName="v1")
    lam.add_permission(
        FunctionName=f"api-{tag}",
        StatementId="AllowApiGatewayInvoke",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*/*/*",
    )
    return Api(emulator, api_id, f"api-{tag}", f"api-{tag}")


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: Any


def send(
    url: str,
    body: Any = None,
    *,
    method: str = "POST",
    credentials: Credentials | None = None,
    headers: dict[str, str] | None = None,
    region: str = REGION,
    service: str = "execute-api",
) -> Answer:
    """A urllib request, SigV4-signed by botocore when credentials are given."""
    data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    if credentials is not None:
        signed = AWSRequest(method=method, url=url, data=data, headers=all_headers)
        SigV4Auth(credentials, service, region).add_auth(signed)
        all_headers = dict(signed.headers.items())
    request = urllib.request.Request(url, data=data, headers=all_headers, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            status, answer_headers, raw = response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        status, answer_headers, raw = error.code, dict(error.headers), error.read()
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = raw.decode()
    return Answer(status, answer_headers, parsed)


TOOLING = Credentials("test", "test", "test")


def test_signed_post_reaches_the_function_with_a_proxy_event(api: Api):
    answer = send(api.url, {"key": "uploads/a b.txt"}, credentials=TOOLING)
    assert answer.status == 200, answer.body
    event = answer.body["event"]
    assert event["resource"] == "/process"
    assert event["httpMethod"] == "POST"
    assert json.loads(event["body"]) == {"key": "uploads/a b.txt"}
    assert event["isBase64Encoded"] is False
    assert event["requestContext"]["stage"] == "v1"
    assert event["requestContext"]["apiId"] == api.api_id
    assert event["requestContext"]["identity"]["userArn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert event["requestContext"]["requestId"] == answer.headers["x-amzn-RequestId"]


def test_unsigned_requests_get_missing_authentication_token(api: Api):
    answer = send(api.url, {"key": "k"})
    assert answer.status == 403
    assert answer.body == {"message": "Missing Authentication Token"}
    assert answer.headers["x-amzn-ErrorType"] == "MissingAuthenticationTokenException"


def test_bad_signatures_are_refused(api: Api):
    wrong_secret = send(api.url, {"key": "k"}, credentials=Credentials("test", "wrong", "test"))
    assert wrong_secret.status == 403
    assert wrong_secret.headers["x-amzn-ErrorType"] == "InvalidSignatureException"
    wrong_service = send(api.url, {"key": "k"}, credentials=TOOLING, service="apigateway")
    assert wrong_service.status == 403
    assert "scoped to correct service" in wrong_service.body["message"]
    wrong_region = send(api.url, {"key": "k"}, credentials=TOOLING, region="eu-west-1")
    assert wrong_region.status == 403


def reference_sigv4_headers(
    url: str, body: bytes, headers: dict[str, str], key: str, secret: str, signed: list[str]
) -> dict[str, str]:
    """SigV4 written from AWS's description ("Create a signed AWS API request"), not botocore's:
    the canonical request signs exactly the ``signed`` header names, whatever they are — some
    clients sign User-Agent, which botocore's own signer never does."""
    import hashlib
    import hmac
    from urllib.parse import quote, urlsplit

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    parts = urlsplit(url)
    every = {**headers, "Host": parts.netloc, "X-Amz-Date": stamp}
    lowered = {name.lower(): " ".join(value.split()) for name, value in every.items()}
    names = sorted(name.lower() for name in signed)
    canonical = "\n".join(
        [
            "POST",
            quote(parts.path, safe="/~"),  # non-S3 services: each segment encoded twice
            "",
            "".join(f"{name}:{lowered[name]}\n" for name in names),
            ";".join(names),
            hashlib.sha256(body).hexdigest(),
        ]
    )
    scope = f"{stamp[:8]}/{REGION}/execute-api/aws4_request"
    to_sign = "\n".join(
        ["AWS4-HMAC-SHA256", stamp, scope, hashlib.sha256(canonical.encode()).hexdigest()]
    )
    signing_key = f"AWS4{secret}".encode()
    for part in (stamp[:8], REGION, "execute-api", "aws4_request"):
        signing_key = hmac.new(signing_key, part.encode(), hashlib.sha256).digest()
    signature = hmac.new(signing_key, to_sign.encode(), hashlib.sha256).hexdigest()
    authorization = (
        f"AWS4-HMAC-SHA256 Credential={key}/{scope}, SignedHeaders={';'.join(names)}, "
        f"Signature={signature}"
    )
    return {**every, "Authorization": authorization}


@pytest.mark.parametrize(
    "signed",
    [
        ["host", "x-amz-date"],  # the fewest a client may sign (awscurl's choice)
        ["content-type", "host", "user-agent", "x-amz-date"],  # some SDKs sign User-Agent too
    ],
)
def test_signatures_over_any_set_of_headers_are_accepted(api: Api, signed: list[str]):
    # GIVEN a request signed by another client, over the header names it chose
    body = json.dumps({"key": "uploads/other-client.txt"}).encode()
    headers = {"Content-Type": "application/json", "User-Agent": "other-client/1.0"}
    all_headers = reference_sigv4_headers(api.url, body, headers, "test", "test", signed)
    # WHEN it is sent THEN API Gateway accepts it and the function runs
    answer = send(api.url, body, headers=all_headers)
    assert answer.status == 200, answer.body
    # AND a signed header changed on the way is refused
    tampered = {**all_headers, "User-Agent": "someone-else/2.0"}
    refused = send(api.url, body, headers=tampered)
    assert refused.status == (403 if "user-agent" in signed else 200), refused.body


def test_a_chunked_body_reaches_the_function_whole(api: Api):
    # GIVEN a signed POST whose body is sent with Transfer-Encoding: chunked (no Content-Length)
    import http.client
    from urllib.parse import urlsplit

    body = json.dumps({"key": "uploads/chunked body.txt"}).encode()
    signed = AWSRequest(
        method="POST", url=api.url, data=body, headers={"Content-Type": "application/json"}
    )
    SigV4Auth(TOOLING, "execute-api", REGION).add_auth(signed)
    parts = urlsplit(api.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request(
        "POST", parts.path, body=iter([body[:10], body[10:]]), headers=dict(signed.headers.items())
    )
    # WHEN API Gateway answers THEN the function got the whole body
    response = connection.getresponse()
    answer = json.loads(response.read())
    connection.close()
    assert response.status == 200, answer
    assert json.loads(answer["event"]["body"]) == {"key": "uploads/chunked body.txt"}


def test_the_request_validator_rejects_bodies_outside_the_model(api: Api):
    for body in ({"bucket": "b"}, {"key": ""}, {"key": "k", "extra": 1}, b"{not json"):
        answer = send(api.url, body, credentials=TOOLING)
        assert answer.status == 400, body
        assert answer.body == {"message": "Invalid request body"}
        assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"


def test_unknown_routes_answer_like_api_gateway(api: Api):
    for url, method in (
        (api.stage_url("/nothing"), "POST"),
        (api.stage_url("/process"), "GET"),
        (api.stage_url("/process", stage="v2"), "POST"),
    ):
        answer = send(url, {"key": "k"}, method=method, credentials=TOOLING)
        assert (answer.status, answer.body) == (403, {"message": "Missing Authentication Token"})
    unknown_api = f"{api.emulator.endpoint}/_aws/execute-api/nosuchapi/v1/process"
    assert send(unknown_api, {"key": "k"}, credentials=TOOLING).status == 403


def test_function_errors_are_502_and_slow_functions_504(api: Api):
    assert send(api.url, {"key": "raise"}, credentials=TOOLING).body == {
        "message": "Internal server error"
    }
    assert send(api.url, {"key": "raise"}, credentials=TOOLING).status == 502
    assert send(api.url, {"key": "malformed"}, credentials=TOOLING).status == 502
    timed_out = send(api.url, {"key": "sleep"}, credentials=TOOLING)
    assert (timed_out.status, timed_out.body) == (504, {"message": "Endpoint request timed out"})


def test_the_functions_own_status_passes_through(api: Api):
    answer = send(api.url, {"key": "missing"}, credentials=TOOLING)
    assert (answer.status, answer.body) == (404, {"reason": "not_found"})


def test_unauthenticated_proxy_resources_get_path_and_query_parameters(api: Api):
    answer = send(api.stage_url("/items/2024/a%20b.csv?x=1&x=2"), method="GET")
    assert answer.status == 200, answer.body
    event = answer.body["event"]
    assert event["resource"] == "/items/{proxy+}"
    assert event["pathParameters"] == {"proxy": "2024/a%20b.csv"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"]}
    assert event["body"] is None
    assert event["requestContext"]["identity"]["userArn"] is None


def test_a_session_needs_execute_api_invoke(api: Api):
    iam = _client(api.emulator, "iam")
    user_role = f"caller-{uuid.uuid4().hex[:6]}"
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}
        ],
    }
    arn = iam.create_role(RoleName=user_role, AssumeRolePolicyDocument=json.dumps(trust))["Role"][
        "Arn"
    ]
    issued = _client(api.emulator, "sts").assume_role(RoleArn=arn, RoleSessionName="me")[
        "Credentials"
    ]
    session = Credentials(issued["AccessKeyId"], issued["SecretAccessKey"], issued["SessionToken"])
    denied = send(api.url, {"key": "k"}, credentials=session)
    assert denied.status == 403
    assert denied.headers["x-amzn-ErrorType"] == "AccessDeniedException"
    assert "execute-api:Invoke" in denied.body["Message"]
    method_arns = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.api_id}"
    iam.put_role_policy(
        RoleName=user_role,
        PolicyName="invoke",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Action": "execute-api:Invoke",
                        "Resource": f"{method_arns}/*/POST/process",
                    }
                ],
            }
        ),
    )
    allowed = send(api.url, {"key": "k"}, credentials=session)
    assert allowed.status == 200, allowed.body
    identity = allowed.body["event"]["requestContext"]["identity"]
    assert identity["userArn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/{user_role}/me"


def test_without_the_lambda_permission_api_gateway_answers_500(api: Api):
    lam = _client(api.emulator, "lambda")
    lam.remove_permission(FunctionName=api.function_name, StatementId="AllowApiGatewayInvoke")
    try:
        answer = send(api.url, {"key": "k"}, credentials=TOOLING)
        assert (answer.status, answer.body) == (500, {"message": "Internal server error"})
    finally:
        lam.add_permission(
            FunctionName=api.function_name,
            StatementId="AllowApiGatewayInvoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.api_id}/*/*/*",
        )
    assert send(api.url, {"key": "k"}, credentials=TOOLING).status == 200


@pytest.mark.parametrize(
    ("source_arn", "status"),
    [
        # what the AWS provider writes against the emulator: execution_arn without the account
        ("arn:aws:execute-api:{region}::{api_id}/*/POST/process", 200),
        ("arn:aws:execute-api:{region}:{account}:{api_id}/*/POST/process", 200),
        ("arn:aws:execute-api:{region}:{account}:{api_id}/*/GET/process", 500),
        ("arn:aws:execute-api:{region}:{account}:otherapi/*/POST/process", 500),
    ],
)
def test_the_lambda_permissions_source_arn_decides(api: Api, source_arn: str, status: int):
    lam = _client(api.emulator, "lambda")
    arn = source_arn.format(region=REGION, account=ACCOUNT, api_id=api.api_id)
    lam.remove_permission(FunctionName=api.function_name, StatementId="AllowApiGatewayInvoke")
    try:
        lam.add_permission(
            FunctionName=api.function_name,
            StatementId="Scoped",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=arn,
        )
        assert send(api.url, {"key": "k"}, credentials=TOOLING).status == status
    finally:
        lam.remove_permission(FunctionName=api.function_name, StatementId="Scoped")
        lam.add_permission(
            FunctionName=api.function_name,
            StatementId="AllowApiGatewayInvoke",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
            SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api.api_id}/*/*/*",
        )


def test_non_loopback_host_headers_are_refused(api: Api):
    answer = send(api.url, {"key": "k"}, credentials=TOOLING, headers={"Host": "evil.example"})
    assert answer.status == 403
    assert "not a loopback name" in answer.body
    s3_by_name = send(f"{api.emulator.endpoint}/", method="GET", headers={"Host": "localhost"})
    assert s3_by_name.status == 200


def test_the_url_helper_imports_no_moto():
    # GIVEN a fresh interpreter WHEN the deploy code imports the URL helper THEN moto stays out
    code = (
        "import sys; from tooling.emulator.apigateway import local_invoke_url; "
        "assert not [m for m in sys.modules if m.split('.')[0] == 'moto'], 'moto imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).parents[3])


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1:4566", True),
        ("127.0.0.1", True),
        ("127.1.2.3:80", True),
        ("localhost:4566", True),
        ("LOCALHOST", True),
        ("bucket.localhost:4566", True),
        ("[::1]:4566", True),
        ("evil.example", False),
        ("evil.example:4566", False),
        ("10.0.0.1:4566", False),
        ("localhost.evil.example", False),
        ("127.0.0.1.nip.io", False),
        ("[::2]:4566", False),
    ],
)
def test_loopback_host_names(host, loopback):
    from tooling.emulator.wsgi import is_loopback_host

    assert is_loopback_host(host) is loopback
