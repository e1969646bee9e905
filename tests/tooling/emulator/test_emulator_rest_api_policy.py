"""REST API resource policies come back escaped as API Gateway returns them (the AWS provider
unquotes the value before parsing it), against a real emulator process on a free port."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tooling.emulator import lifecycle

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

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


@pytest.fixture
def apigateway(tmp_path: Path) -> Iterator[Any]:
    emulator = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=tmp_path / "emulator")
    lifecycle.start(emulator)
    try:
        yield boto3.client(
            "apigateway",
            endpoint_url=emulator.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    finally:
        lifecycle.stop(emulator)


def test_a_rest_api_policy_reads_back_the_way_the_provider_parses_it(apigateway: Any) -> None:
    # GIVEN a REST API with a resource policy
    api_id = apigateway.create_rest_api(name="probe", policy=json.dumps(POLICY))["id"]
    # WHEN it is read back
    returned = apigateway.get_rest_api(restApiId=api_id)["policy"]
    # THEN the value is escaped JSON, which the provider unquotes and then parses
    assert returned.startswith('{\\"')
    assert json.loads(json.loads(f'"{returned}"')) == POLICY


def test_a_rest_api_without_a_policy_is_unchanged(apigateway: Any) -> None:
    api_id = apigateway.create_rest_api(name="plain")["id"]
    assert "policy" not in apigateway.get_rest_api(restApiId=api_id)
