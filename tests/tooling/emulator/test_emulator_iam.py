"""IAM on a real emulator: a role with a policy, session credentials from its STS, and calls
per service that the role's policy allows or denies (AWS's AccessDenied shapes)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tooling.core.local_aws import TOOLING_SESSION_NAME, tooling_role_arn
from tooling.emulator import iam, lifecycle

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

REGION = "us-east-1"
ACCOUNT = "123456789012"
TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


@pytest.fixture(scope="module")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Emulator]:
    """One emulator process (`python -m tooling.emulator.server`) for the module."""
    chosen = lifecycle.Emulator(
        port=lifecycle.free_port(), state_dir=tmp_path_factory.mktemp("iam-emulator")
    )
    lifecycle.start(chosen)
    yield chosen
    lifecycle.stop(chosen)


def client(emulator: lifecycle.Emulator, service: str, credentials: dict | None = None) -> Any:
    keys = credentials or {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=REGION, **keys)


class Stack:
    """Resources like the processor's, each name unique to one test."""

    def __init__(self, emulator: lifecycle.Emulator) -> None:
        self.emulator = emulator
        self.tag = uuid.uuid4().hex[:8]
        admin = {
            name: client(emulator, name)
            for name in ("s3", "sns", "sqs", "dynamodb", "kms", "logs", "iam")
        }
        self.admin = admin
        self.key = admin["kms"].create_key()["KeyMetadata"]["Arn"]
        self.bucket = f"uploads-{self.tag}"
        admin["s3"].create_bucket(Bucket=self.bucket)
        admin["s3"].put_bucket_encryption(
            Bucket=self.bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {
                            "SSEAlgorithm": "aws:kms",
                            "KMSMasterKeyID": self.key,
                        },
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        self.object_key = "in/100% naïve a+b.txt"
        admin["s3"].put_object(Bucket=self.bucket, Key=self.object_key, Body=b"hello")
        self.topic = admin["sns"].create_topic(
            Name=f"results-{self.tag}", Attributes={"KmsMasterKeyId": self.key}
        )["TopicArn"]
        self.alerts = admin["sns"].create_topic(Name=f"alerts-{self.tag}")["TopicArn"]
        self.table = f"idempotency-{self.tag}"
        admin["dynamodb"].create_table(
            TableName=self.table,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        self.queue = admin["sqs"].create_queue(QueueName=f"failures-{self.tag}")["QueueUrl"]
        self.group = f"/aws/lambda/processor-{self.tag}"
        admin["logs"].create_log_group(logGroupName=self.group)
        self.role_name = f"processor-{self.tag}"
        self.role_arn = admin["iam"].create_role(
            RoleName=self.role_name, AssumeRolePolicyDocument=json.dumps(TRUST)
        )["Role"]["Arn"]
        self.statements: dict[str, dict[str, Any]] = {
            "ReadUploads": {
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:GetObjectVersion"],
                "Resource": [f"arn:aws:s3:::{self.bucket}/*"],
            },
            "ListUploads": {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{self.bucket}"],
            },
            "UseKey": {
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                "Resource": [self.key],
            },
            "PublishResults": {
                "Effect": "Allow",
                "Action": ["sns:Publish"],
                "Resource": [self.topic],
            },
            "IdempotencyRecords": {
                "Effect": "Allow",
                "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
                "Resource": [f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{self.table}"],
            },
            "KeepFailures": {
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": [f"arn:aws:sqs:{REGION}:{ACCOUNT}:failures-{self.tag}"],
            },
            "OwnLogGroup": {
                "Effect": "Allow",
                "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:{self.group}:*"],
            },
        }
        self.put_policy()

    def put_policy(self, without: str | None = None, extra: dict | None = None) -> None:
        statements = [
            {"Sid": sid, **body} for sid, body in self.statements.items() if sid != without
        ]
        if extra:
            statements.append(extra)
        self.admin["iam"].put_role_policy(
            RoleName=self.role_name,
            PolicyName="least-privilege",
            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": statements}),
        )

    def session(self) -> dict[str, str]:
        """Session credentials of the role, issued by the emulator's STS."""
        issued = client(self.emulator, "sts").assume_role(
            RoleArn=self.role_arn, RoleSessionName=self.role_name
        )["Credentials"]
        return {
            "aws_access_key_id": issued["AccessKeyId"],
            "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"],
        }

    def as_role(self, service: str) -> Any:
        return client(self.emulator, service, self.session())


@pytest.fixture
def stack(emulator: lifecycle.Emulator) -> Stack:
    return Stack(emulator)


def denied(call: Callable[[], Any]) -> tuple[str, int, str]:
    """(code, HTTP status, message) of the error the call raises."""
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    return (
        error["Error"]["Code"],
        error["ResponseMetadata"]["HTTPStatusCode"],
        error["Error"].get("Message", ""),
    )


def test_each_service_allows_what_the_policy_grants_and_denies_the_rest(stack: Stack):
    # GIVEN the role's session credentials from the emulator's STS
    s3, sns, ddb = stack.as_role("s3"), stack.as_role("sns"), stack.as_role("dynamodb")
    sqs, kms, logs = stack.as_role("sqs"), stack.as_role("kms"), stack.as_role("logs")
    session_arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/{stack.role_name}/{stack.role_name}"
    # THEN granted calls on the granted resources succeed (ARN-scoped grants, SSE-KMS included)
    body = s3.get_object(Bucket=stack.bucket, Key=stack.object_key)["Body"].read()
    assert body == b"hello"
    assert sns.publish(TopicArn=stack.topic, Message="{}")["MessageId"]
    ddb.put_item(TableName=stack.table, Item={"id": {"S": "k"}})
    assert ddb.get_item(TableName=stack.table, Key={"id": {"S": "k"}})["Item"]
    sqs.send_message(QueueUrl=stack.queue, MessageBody="failure")
    assert kms.generate_data_key(KeyId=stack.key, KeySpec="AES_256")["KeyId"]
    logs.create_log_stream(logGroupName=stack.group, logStreamName="s")
    logs.put_log_events(
        logGroupName=stack.group, logStreamName="s", logEvents=[{"timestamp": 1, "message": "m"}]
    )
    # AND everything else is denied, each with its service's AccessDenied shape
    code, status, message = denied(lambda: s3.put_object(Bucket=stack.bucket, Key="k", Body=b""))
    assert (code, status) == ("AccessDenied", 403)
    assert message == (
        f"User: {session_arn} is not authorized to perform: s3:PutObject on resource: "
        f'"arn:aws:s3:::{stack.bucket}/k" because no identity-based policy allows the '
        "s3:PutObject action"
    )
    code, status, message = denied(lambda: sns.publish(TopicArn=stack.alerts, Message="{}"))
    assert (code, status) == ("AuthorizationError", 403)
    assert f"SNS:Publish on resource: {stack.alerts}" in message
    assert denied(lambda: ddb.delete_item(TableName=stack.table, Key={"id": {"S": "k"}}))[:2] == (
        "AccessDeniedException",
        400,
    )
    assert denied(lambda: sqs.receive_message(QueueUrl=stack.queue))[:2] == ("AccessDenied", 403)
    assert denied(lambda: kms.encrypt(KeyId=stack.key, Plaintext=b"x"))[:2] == (
        "AccessDeniedException",
        400,
    )
    code, status, message = denied(
        lambda: logs.create_log_stream(logGroupName="/aws/lambda/other", logStreamName="s")
    )
    assert (code, status) == ("AccessDeniedException", 400)
    assert "log-group:/aws/lambda/other:log-stream:s" in message


def test_removing_a_statement_flips_the_call_to_access_denied(stack: Stack):
    # GIVEN the role may publish results
    sns = stack.as_role("sns")
    sns.publish(TopicArn=stack.topic, Message="{}")
    # WHEN the PublishResults statement is removed from its policy
    stack.put_policy(without="PublishResults")
    # THEN the same session's Publish is AccessDenied (checked per request, no restart)
    code, status, message = denied(lambda: sns.publish(TopicArn=stack.topic, Message="{}"))
    assert (code, status) == ("AuthorizationError", 403)
    assert "because no identity-based policy allows the SNS:Publish action" in message


def test_explicit_deny_wins(stack: Stack):
    stack.put_policy(
        extra={"Effect": "Deny", "Action": "dynamodb:PutItem", "Resource": "*"},
    )
    ddb = stack.as_role("dynamodb")
    code, _, message = denied(lambda: ddb.put_item(TableName=stack.table, Item={"id": {"S": "1"}}))
    assert code == "AccessDeniedException"
    assert "with an explicit deny in a identity-based policy" in message


def test_sse_kms_objects_need_the_key_too(stack: Stack):
    # GIVEN a role that may read the bucket but not use its key
    stack.put_policy(without="UseKey")
    s3 = stack.as_role("s3")
    # THEN reading an SSE-KMS object is denied with the KMS action named, as S3 does
    code, status, message = denied(lambda: s3.get_object(Bucket=stack.bucket, Key=stack.object_key))
    assert (code, status) == ("AccessDenied", 403)
    assert f"kms:Decrypt on resource: {stack.key}" in message
    # AND publishing to the KMS-encrypted topic needs the key as well
    sns = stack.as_role("sns")
    assert (
        "kms:GenerateDataKey" in denied(lambda: sns.publish(TopicArn=stack.topic, Message="m"))[2]
    )


def test_a_missing_key_is_404_with_list_bucket_and_403_without(stack: Stack):
    s3 = stack.as_role("s3")
    assert denied(lambda: s3.get_object(Bucket=stack.bucket, Key="nope"))[:2] == ("NoSuchKey", 404)
    stack.put_policy(without="ListUploads")
    code, status, message = denied(lambda: s3.get_object(Bucket=stack.bucket, Key="nope"))
    assert (code, status) == ("AccessDenied", 403)
    assert "s3:ListBucket" in message


def test_attached_policies_boundaries_and_conditions_count(stack: Stack):
    iam = stack.admin["iam"]
    stack.put_policy(without="PublishResults")
    # an attached managed policy grants Publish again ...
    publish = iam.create_policy(
        PolicyName=f"publish-{stack.tag}",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "Action": "sns:Publish", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName=stack.role_name, PolicyArn=publish)
    stack.as_role("sns").publish(TopicArn=stack.topic, Message="m")
    # ... a permissions boundary without DynamoDB takes DynamoDB away
    boundary = iam.create_policy(
        PolicyName=f"boundary-{stack.tag}",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [{"Effect": "Allow", "NotAction": "dynamodb:*", "Resource": "*"}],
            }
        ),
    )["Policy"]["Arn"]
    iam.put_role_permissions_boundary(RoleName=stack.role_name, PermissionsBoundary=boundary)
    ddb = stack.as_role("dynamodb")
    message = denied(lambda: ddb.get_item(TableName=stack.table, Key={"id": {"S": "1"}}))[2]
    assert "because no permissions boundary allows the dynamodb:GetItem action" in message
    # ... and a ListBucket grant conditioned on the prefix is evaluated, not assumed true
    stack.put_policy(
        without="ListUploads",
        extra={
            "Effect": "Allow",
            "Action": "s3:ListBucket",
            "Resource": f"arn:aws:s3:::{stack.bucket}",
            "Condition": {"StringLike": {"s3:prefix": "in/*"}},
        },
    )
    s3 = stack.as_role("s3")
    assert s3.list_objects_v2(Bucket=stack.bucket, Prefix="in/")["KeyCount"] == 1
    assert denied(lambda: s3.list_objects_v2(Bucket=stack.bucket, Prefix="out/"))[0] == (
        "AccessDenied"
    )


def test_the_toolings_own_credentials_are_never_checked(stack: Stack):
    # GIVEN a role that may do nothing at all
    stack.statements.clear()
    stack.put_policy(extra={"Effect": "Deny", "Action": "*", "Resource": "*"})
    assert denied(lambda: stack.as_role("s3").list_buckets())[0] == "AccessDenied"
    # THEN the tooling's test/test keys still do anything (no global enforcement)
    admin_s3 = client(stack.emulator, "s3")
    admin_s3.put_object(Bucket=stack.bucket, Key="from-tooling", Body=b"x")
    assert admin_s3.get_object(Bucket=stack.bucket, Key="from-tooling")["Body"].read() == b"x"
    # AND the role's own identity is still readable
    caller = stack.as_role("sts").get_caller_identity()
    assert caller["Arn"].endswith(f":assumed-role/{stack.role_name}/{stack.role_name}")


def test_the_toolings_sessions_in_other_accounts_are_never_checked(stack: Stack):
    # GIVEN the tooling acting in another moto account, as it does for an emulated env: a session
    # of its own role there (no such role exists; moto's STS issues the session anyway)
    account = "333333333333"
    issued = client(stack.emulator, "sts").assume_role(
        RoleArn=tooling_role_arn(account), RoleSessionName=TOOLING_SESSION_NAME
    )["Credentials"]
    session = {
        "aws_access_key_id": issued["AccessKeyId"],
        "aws_secret_access_key": issued["SecretAccessKey"],
        "aws_session_token": issued["SessionToken"],
    }
    # WHEN it creates and uses resources there THEN nothing is refused (no policy allows it)
    s3 = client(stack.emulator, "s3", session)
    s3.create_bucket(Bucket=f"tooling-{stack.tag}")
    s3.put_object(Bucket=f"tooling-{stack.tag}", Key="k", Body=b"x")
    assert s3.get_object(Bucket=f"tooling-{stack.tag}", Key="k")["Body"].read() == b"x"
    # AND the exemption is by role: a function's role is not the tooling's (that function
    # sessions are checked is shown by the denial tests above)
    assert not iam.is_tooling_role(stack.role_arn)


def test_a_session_key_with_a_wrong_token_is_refused(stack: Stack):
    credentials = {**stack.session(), "aws_session_token": "forged"}
    sns = client(stack.emulator, "sns", credentials)
    with pytest.raises(ClientError) as raised:
        sns.publish(TopicArn=stack.topic, Message="m")
    assert raised.value.response["Error"]["Code"] == "InvalidClientTokenId"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
