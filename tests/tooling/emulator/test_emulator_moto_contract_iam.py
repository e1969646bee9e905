"""The private moto names iam.py, apigateway.py and wsgi.py rely on (moto is pinned exactly).

One test per name or group of names: an upgrade of moto that renames or reshapes one of them
fails here, with the name in the test id, instead of silently switching enforcement off.
"""

from __future__ import annotations

import base64
import inspect
import json
from typing import Any

import boto3
import pytest
from moto import mock_aws

REGION = "us-east-1"
ACCOUNT = "123456789012"


def parameters(function: Any) -> list[str]:
    return list(inspect.signature(function).parameters)


@pytest.fixture
def aws() -> Any:
    with mock_aws():
        yield lambda service: boto3.client(
            service,
            region_name=REGION,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )


def test_authorization_hook_every_request_passes():
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.core.responses import BaseResponse

    hook = ActionAuthenticatorMixin._authenticate_and_authorize_action
    assert parameters(hook) == ["self", "iam_request_cls", "resource"]
    assert issubclass(BaseResponse, ActionAuthenticatorMixin)
    # both the generic and S3's entry points go through it
    source = inspect.getsource(ActionAuthenticatorMixin)
    assert source.count("self._authenticate_and_authorize_action(") == 2
    call_action = inspect.getsource(BaseResponse.call_action)
    assert "_authenticate_and_authorize_normal_action(resource)" in call_action
    assert "except HTTPException" in call_action


def test_wsgi_entry_point():
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    assert parameters(DomainDispatcherApplication.__call__) == ["self", "environ", "start_response"]


def test_service_router_names_s3_operations():
    from moto.core.request import Request
    from moto.core.routing import get_service_router

    def operation(method: str, path: str) -> str:
        environ = {
            "REQUEST_METHOD": method,
            "PATH_INFO": path.split("?")[0],
            "QUERY_STRING": path.partition("?")[2],
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "4566",
            "HTTP_HOST": "127.0.0.1:4566",
            "wsgi.url_scheme": "http",
        }
        matched, _ = get_service_router("s3").match(Request(environ))
        return matched.name

    assert operation("GET", "/bucket/key") == "GetObject"
    assert operation("HEAD", "/bucket/key") == "HeadObject"
    assert operation("GET", "/bucket?list-type=2") == "ListObjectsV2"
    assert operation("POST", "/bucket?delete") == "DeleteObjects"
    assert operation("HEAD", "/bucket") == "HeadBucket"


def test_response_attributes_the_hook_reads():
    from moto.core.responses import BaseResponse

    setup = inspect.getsource(BaseResponse.setup_class)
    for attribute in (
        "self.normalized_request",
        "self.querystring",
        "self.body",
        "self.uri",
        "self.path",
        "self.headers",
    ):
        assert attribute in setup, attribute
    assert parameters(BaseResponse._get_action) == ["self"]


def test_sts_sessions(aws: Any):
    from moto.sts.models import sts_backends
    from moto.utilities.utils import get_partition

    arn = f"arn:aws:iam::{ACCOUNT}:role/r"
    backend = sts_backends[ACCOUNT][get_partition(REGION)]
    assumed = backend.assume_role(
        region_name=REGION,
        role_session_name="fn",
        role_arn=arn,
        policy=None,
        duration=900,
        external_id=None,
    )
    stored = backend.assumed_roles[-1]
    assert stored is assumed
    for attribute in ("access_key_id", "secret_access_key", "session_token", "role_arn"):
        assert getattr(stored, attribute)
    assert stored.session_name == "fn"
    assert stored.policy is None
    assert backend.get_assumed_role_from_access_key(stored.access_key_id) is stored
    # the session's account is the role's, so requests signed with it land there
    from moto.iam.models import get_account_id_from

    assert get_account_id_from(stored.access_key_id) == ACCOUNT


def test_iam_roles_and_policies(aws: Any):
    from moto.iam.models import iam_backends

    iam = aws("iam")
    arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}],
    }
    iam.put_role_policy(RoleName="r", PolicyName="inline", PolicyDocument=json.dumps(document))
    managed = iam.create_policy(PolicyName="m", PolicyDocument=json.dumps(document))["Policy"]
    iam.attach_role_policy(RoleName="r", PolicyArn=managed["Arn"])
    iam.put_role_permissions_boundary(RoleName="r", PermissionsBoundary=managed["Arn"])
    iam.tag_role(RoleName="r", Tags=[{"Key": "team", "Value": "files"}])
    backend = iam_backends[ACCOUNT]["aws"]
    role = backend.get_role_by_arn(arn)
    assert json.loads(role.policies["inline"]) == document
    attached = role.managed_policies[managed["Arn"]]
    default = next(version for version in attached.versions if version.is_default)
    assert json.loads(default.document) == document
    assert role.permissions_boundary_arn == managed["Arn"]
    assert backend.get_policy(managed["Arn"]) is attached
    assert role.id.startswith("AROA")
    assert role.tags == [{"Key": "team", "Value": "files"}]
    assert isinstance(backend.access_keys, dict)


def test_s3_objects_and_errors(aws: Any):
    from moto.s3.exceptions import S3ClientError
    from moto.s3.models import FakeKey, s3_backends

    s3, kms = aws("s3"), aws("kms")
    key = kms.create_key()["KeyMetadata"]["Arn"]
    s3.create_bucket(Bucket="bucket")
    rule = {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key}
    s3.put_bucket_encryption(
        Bucket="bucket",
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": rule, "BucketKeyEnabled": True}]
        },
    )
    s3.put_object(Bucket="bucket", Key="k", Body=b"x")
    bucket = s3_backends[ACCOUNT]["aws"].buckets.get("bucket")
    assert bucket.encryption["Rule"]["ApplyServerSideEncryptionByDefault"] == rule
    stored = bucket.keys.get("k")
    assert isinstance(stored, FakeKey)
    assert (stored.encryption, stored.kms_key_id) == ("aws:kms", key)
    assert stored.bucket_key_enabled
    assert bucket.keys.getlist("k", [])[-1] is stored
    assert bucket.keys.get("missing") is None
    assert hasattr(stored, "version_id")
    assert issubclass(S3ClientError, Exception)


def test_kms_keys_and_ciphertext_blobs(aws: Any):
    from moto.kms.models import kms_backends
    from moto.kms.utils import KEY_ID_LEN

    kms = aws("kms")
    metadata = kms.create_key()["KeyMetadata"]
    kms.create_alias(AliasName="alias/files", TargetKeyId=metadata["KeyId"])
    backend = kms_backends[ACCOUNT][REGION]
    for reference in (metadata["KeyId"], metadata["Arn"], "alias/files"):
        assert backend.any_id_to_key_id(reference) == metadata["KeyId"]
    assert backend.keys[metadata["KeyId"]].arn == metadata["Arn"]
    assert backend.keys[metadata["KeyId"]].key_manager == "CUSTOMER"
    blob = kms.encrypt(KeyId=metadata["KeyId"], Plaintext=b"x")["CiphertextBlob"]
    assert KEY_ID_LEN == 36
    assert blob[:KEY_ID_LEN].decode() == metadata["KeyId"]
    assert base64.b64encode(blob)


def test_sns_topics_and_sqs_queues_know_their_keys(aws: Any):
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    topic = aws("sns").create_topic(Name="t", Attributes={"KmsMasterKeyId": "alias/k"})
    assert sns_backends[ACCOUNT][REGION].topics[topic["TopicArn"]].kms_master_key_id == "alias/k"
    aws("sqs").create_queue(QueueName="q", Attributes={"KmsMasterKeyId": "alias/k"})
    assert sqs_backends[ACCOUNT][REGION].queues["q"].kms_master_key_id == "alias/k"


def test_apigateway_model(aws: Any):
    from moto.apigateway.models import apigateway_backends

    gw = aws("apigateway")
    api_id = gw.create_rest_api(name="a")["id"]
    root = gw.get_resources(restApiId=api_id)["items"][0]["id"]
    child = gw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    gw.create_model(restApiId=api_id, name="M", contentType="application/json", schema="{}")
    validator = gw.create_request_validator(
        restApiId=api_id, name="v", validateRequestBody=True, validateRequestParameters=True
    )["id"]
    gw.put_method(
        restApiId=api_id,
        resourceId=child,
        httpMethod="POST",
        authorizationType="AWS_IAM",
        requestValidatorId=validator,
        requestModels={"application/json": "M"},
        requestParameters={"method.request.querystring.q": True},
        apiKeyRequired=True,
    )
    gw.put_integration(
        restApiId=api_id,
        resourceId=child,
        httpMethod="POST",
        type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri="arn:aws:apigateway:us-east-1:lambda:path/2015-03-31/functions/f/invocations",
        timeoutInMillis=1000,
    )
    deployment = gw.create_deployment(restApiId=api_id, stageName="v1")["id"]
    gw.create_api_key(name="k", value="secret-value-0123456789", enabled=True)
    backend = apigateway_backends[ACCOUNT][REGION]
    api = backend.apis[api_id]
    assert api.id == api_id
    assert isinstance(api.binaryMediaTypes, list)
    assert api.stages["v1"].deployment_id == deployment
    assert isinstance(api.stages["v1"].variables, dict)
    resource = api.resources[child]
    assert resource.get_path() == "/{proxy+}"
    method = resource.resource_methods["POST"]
    assert method.authorization_type == "AWS_IAM"
    assert method.request_validator_id == validator
    assert method.request_models == {"application/json": "M"}
    assert method.request_parameters == {"method.request.querystring.q": True}
    assert method.api_key_required is True
    integration = method.method_integration
    assert integration.integration_type == "AWS_PROXY"
    assert integration.uri.endswith("/functions/f/invocations")
    assert int(integration.timeout_in_millis) == 1000
    checker = api.request_validators[validator]
    assert checker.validate_request_body is True
    assert checker.validate_request_parameters is True
    assert api.models["M"].schema == "{}"
    key = next(iter(backend.keys.values()))
    assert (key.value, key.enabled) == ("secret-value-0123456789", True)


def test_lambda_function_invoke_and_policy(aws: Any):
    from moto.awslambda.models import LambdaFunction, lambda_backends

    assert parameters(LambdaFunction.invoke) == [
        "self",
        "body",
        "request_headers",
        "response_headers",
    ]
    role = aws("iam").create_role(RoleName="fn", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lam = aws("lambda")
    arn = lam.create_function(
        FunctionName="f",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": b"PK\x05\x06" + b"\x00" * 18},
    )["FunctionArn"]
    lam.add_permission(
        FunctionName="f",
        StatementId="s",
        Action="lambda:InvokeFunction",
        Principal="apigateway.amazonaws.com",
        SourceArn="arn:aws:execute-api:us-east-1:123456789012:abc/*/POST/process",
    )
    function = lambda_backends[ACCOUNT][REGION].get_function(arn)
    assert function.function_arn == arn
    statement = function.policy.statements[0]
    assert statement["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert statement["Condition"]["ArnLike"]["AWS:SourceArn"].endswith("/*/POST/process")
    assert function.code_digest
    assert function.handler == "app.handler"
