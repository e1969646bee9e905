"""The AWS APIs moto 5.2.5 gets wrong or lacks, as the emulator serves them (the patches of
tooling/emulator/server.py, logs_queries.py, rest_api_policy.py), on one real emulator process:
each gap once made a Terraform apply fail or hang."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tooling.emulator import lifecycle

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Emulator]:
    """One started emulator for the module (each start costs ~2 s of CPU)."""
    chosen = lifecycle.Emulator(
        port=lifecycle.free_port(), state_dir=tmp_path_factory.mktemp("api-gaps")
    )
    lifecycle.start(chosen)
    yield chosen
    lifecycle.stop(chosen)


def client(emulator: lifecycle.Emulator, service: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=emulator.endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
            "Action": "execute-api:Invoke",
            "Resource": "execute-api:/*",
        }
    ],
}


def test_objects_in_a_tls_only_bucket_are_reachable(shared: lifecycle.Emulator) -> None:
    # GIVEN a bucket with the TLS-only policy every bucket of the stack carries
    s3 = client(shared, "s3")
    s3.create_bucket(Bucket="tls-only")
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::tls-only", "arn:aws:s3:::tls-only/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
    s3.put_bucket_policy(Bucket="tls-only", Policy=json.dumps(policy))
    # WHEN an object is written and read through the emulator
    s3.put_object(Bucket="tls-only", Key="a b.txt", Body=b"hello")
    body = s3.get_object(Bucket="tls-only", Key="a b.txt")["Body"].read()
    # THEN moto's condition-blind policy check does not turn the statement into a blanket deny
    assert body == b"hello"
    # AND the policy is still stored as written (Terraform reads it back)
    assert json.loads(s3.get_bucket_policy(Bucket="tls-only")["Policy"]) == policy


def test_a_log_group_key_can_be_changed_in_place(shared: lifecycle.Emulator) -> None:
    # GIVEN a KMS-encrypted log group in the emulator (moto itself lacks AssociateKmsKey)
    clients = {name: client(shared, name) for name in ("kms", "logs")}
    first, second = (clients["kms"].create_key()["KeyMetadata"]["Arn"] for _ in range(2))
    clients["logs"].create_log_group(logGroupName="/aws/lambda/probe", kmsKeyId=first)

    def key_of_group() -> str | None:
        (group,) = clients["logs"].describe_log_groups(logGroupNamePrefix="/aws/lambda/probe")[
            "logGroups"
        ]
        return group.get("kmsKeyId")

    # WHEN the key is swapped, then removed, as Terraform does for an in-place key change
    clients["logs"].associate_kms_key(logGroupName="/aws/lambda/probe", kmsKeyId=second)
    swapped = key_of_group()
    clients["logs"].disassociate_kms_key(logGroupName="/aws/lambda/probe")
    # THEN the group reports each key in turn, and an unknown group is a 400, not a 500
    assert (swapped, key_of_group()) == (second, None)
    with pytest.raises(clients["logs"].exceptions.ResourceNotFoundException):
        clients["logs"].associate_kms_key(logGroupName="/missing", kmsKeyId=second)


def test_query_definitions_are_created_listed_updated_and_deleted(
    shared: lifecycle.Emulator,
) -> None:
    logs = client(shared, "logs")
    # GIVEN two saved queries, as the provider creates them
    first = logs.put_query_definition(
        name="sfp/errors", queryString="fields @message", logGroupNames=["/aws/lambda/a"]
    )["queryDefinitionId"]
    logs.put_query_definition(name="other/query", queryString="fields @timestamp")
    # WHEN one is updated in place and they are listed by prefix
    logs.put_query_definition(
        queryDefinitionId=first, name="sfp/errors", queryString="fields @message | limit 5"
    )
    listed = logs.describe_query_definitions(queryDefinitionNamePrefix="sfp/")["queryDefinitions"]
    # THEN only the matching one comes back, with the updated text and its log groups gone
    assert [(item["name"], item["queryString"]) for item in listed] == [
        ("sfp/errors", "fields @message | limit 5")
    ]
    # AND it can be deleted, after which deleting or updating it again is a 400, not a 500
    assert logs.delete_query_definition(queryDefinitionId=first)["success"] is True
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.delete_query_definition(queryDefinitionId=first)
    with pytest.raises(logs.exceptions.ResourceNotFoundException):
        logs.put_query_definition(queryDefinitionId=first, name="x", queryString="fields @message")


def test_moto_names_the_patch_relies_on_still_exist() -> None:
    # GIVEN the pinned moto THEN the private names the patch uses are where it expects them
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    assert callable(LogsResponse._get_param)
    assert isinstance(LogsResponse.logs_backend, property)
    assert issubclass(ResourceNotFoundException, Exception)


def test_a_rest_api_policy_reads_back_the_way_the_provider_parses_it(
    shared: lifecycle.Emulator,
) -> None:
    apigateway = client(shared, "apigateway")
    # GIVEN a REST API with a resource policy
    api_id = apigateway.create_rest_api(name="probe", policy=json.dumps(POLICY))["id"]
    # WHEN it is read back
    returned = apigateway.get_rest_api(restApiId=api_id)["policy"]
    # THEN the value is escaped JSON, which the provider unquotes and then parses
    assert returned.startswith('{\\"')
    assert json.loads(json.loads(f'"{returned}"')) == POLICY


def test_a_rest_api_without_a_policy_is_unchanged(shared: lifecycle.Emulator) -> None:
    apigateway = client(shared, "apigateway")
    api_id = apigateway.create_rest_api(name="plain")["id"]
    assert "policy" not in apigateway.get_rest_api(restApiId=api_id)
