"""`invoke failures`: the queue's failed events as a table or JSON, the queue left as it was."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

from ops_support import fail, queue_counts
from stack_fixtures import PROCESSOR, deployed_env, failure_record

from tooling.ops.failures import read_failures, render_json, render_table

if TYPE_CHECKING:
    from tooling.stack.deployment import Deployment

NOW = datetime.datetime(2026, 3, 1, 13, 5, 0, tzinfo=datetime.UTC)


def test_failed_events_are_listed_readably_and_stay_in_the_queue(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN two events that exhausted their retries (one with an awkward key), and junk
    fail(
        aws, stack, failure_record("uploads/a+b%2B%C3%A9.txt", timestamp="2026-03-01T10:00:05.568Z")
    )
    fail(
        aws,
        stack,
        failure_record("data/x.csv", version_id="v9", timestamp="2026-03-01T12:59:00.000Z"),
    )
    fail(aws, stack, "not a record")
    deployed = deployed_env(aws, stack)
    # WHEN they are listed
    events = read_failures(deployed)
    table = render_table(events, deployed, now=NOW)
    # THEN oldest first, key decoded, version, error type and message, attempts, how long ago
    assert [ref.key for event in events for ref in event.objects] == [
        "uploads/a b+é.txt",
        "data/x.csv",
    ]
    lines = table.splitlines()
    assert lines[0] == "3 failed event(s) waiting in dev (queue sfp-failures-use1-test)"
    assert lines[1].split()[:5] == ["FAILED", "AT", "(UTC)", "AGO", "OBJECT"]
    first = lines[2]
    assert first.startswith("2026-03-01 10:00:05  3h 4m")
    assert "uploads/a b+é.txt" in first
    assert "  v1  " in first
    assert "TransientError: An error occurred (Throttled)" in first
    assert first.rstrip().endswith("3")
    assert lines[3].startswith("2026-03-01 12:59:00  6m")
    # AND what cannot be redriven says why
    assert any(line.startswith("! message ") and "not JSON" in line for line in lines)
    # AND the queue still holds all three, visible again for the next reader
    assert queue_counts(aws, stack) == (3, 0)


def test_json_keeps_every_record_whole(aws: dict[str, Any], stack: Deployment) -> None:
    record = failure_record()
    fail(aws, stack, record)
    deployed = deployed_env(aws, stack)
    document = json.loads(render_json(read_failures(deployed), deployed))
    assert len(document) == 1
    assert document[0]["record"] == record
    assert document[0]["objects"][0]["key"] == "uploads/a b+é.txt"
    assert document[0]["redrivable"] is True


def test_a_record_of_another_function_is_listed_as_not_redrivable(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN a failure record of another function in this env's queue
    record = failure_record()
    arn = record["requestContext"]["functionArn"]
    record["requestContext"]["functionArn"] = arn.replace(PROCESSOR, "someone-elses-function")
    fail(aws, stack, record)
    deployed = deployed_env(aws, stack)
    events = read_failures(deployed)
    # WHEN listed THEN the table and the JSON say what redrive will say: it cannot be redriven
    assert "cannot be redriven: it failed in someone-elses-function" in render_table(
        events, deployed
    )
    assert json.loads(render_json(events, deployed))[0]["redrivable"] is False


def test_an_empty_queue_says_so(aws: dict[str, Any], stack: Deployment) -> None:
    deployed = deployed_env(aws, stack, env="local", endpoint="http://127.0.0.1:4566")
    assert render_table(read_failures(deployed), deployed) == (
        "no failed events waiting in local (queue sfp-failures-use1-test)"
    )


def test_more_than_a_batch_is_read_whole(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN more failed events than one ReceiveMessage returns (10)
    for index in range(23):
        fail(aws, stack, failure_record(f"k/{index:02d}.txt"))
    # WHEN listed THEN every one is there once, and all are visible again
    events = read_failures(deployed_env(aws, stack))
    assert sorted(ref.key for event in events for ref in event.objects) == [
        f"k/{index:02d}.txt" for index in range(23)
    ]
    assert queue_counts(aws, stack) == (23, 0)


def test_a_queue_that_does_not_exist_is_a_clear_error(
    aws: dict[str, Any], stack: Deployment
) -> None:
    import pytest

    from tooling.core.errors import ToolingError

    aws["sqs"].delete_queue(QueueUrl=stack.failures_queue_url)
    with pytest.raises(ToolingError, match="cannot read the queue") as raised:
        read_failures(deployed_env(aws, stack))
    assert "deploy the env" in raised.value.hint
