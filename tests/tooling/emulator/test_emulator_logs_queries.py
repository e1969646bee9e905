"""Saved Logs Insights queries on the emulator (moto 5.2.5 lacks them; the monitoring module
creates them), against a real emulator process on a free port."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

from tooling.emulator import lifecycle

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def logs(tmp_path: Path) -> Iterator[Any]:
    emulator = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=tmp_path / "emulator")
    lifecycle.start(emulator)
    try:
        yield boto3.client(
            "logs",
            endpoint_url=emulator.endpoint,
            region_name="us-east-1",
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
    finally:
        lifecycle.stop(emulator)


def test_query_definitions_are_created_listed_updated_and_deleted(logs: Any) -> None:
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
