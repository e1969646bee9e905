"""`invoke status`: alarms, the last hour's traffic, failed events, the deployed artifact."""

from __future__ import annotations

import base64
import datetime
import hashlib
from typing import TYPE_CHECKING, Any

from ops_support import fail
from stack_fixtures import ALARM_NAMES, PROCESSOR, deployed_env, failure_record, handler_zip

from tooling.ops.status import read_status

if TYPE_CHECKING:
    from pathlib import Path

    from tooling.stack.deployment import Deployment


def _lambda_metric(aws: dict[str, Any], name: str, value: float, function: str = PROCESSOR) -> None:
    aws["cloudwatch"].put_metric_data(
        Namespace="AWS/Lambda",
        MetricData=[
            {
                "MetricName": name,
                "Dimensions": [{"Name": "FunctionName", "Value": function}],
                "Value": value,
                "Timestamp": datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=5),
            }
        ],
    )


def test_one_screen_shows_alarms_traffic_failures_and_artifact(
    aws: dict[str, Any], stack: Deployment, tmp_path: Path
) -> None:
    # GIVEN an alarm firing, traffic in the last hour, two failed events and a local build
    aws["cloudwatch"].set_alarm_state(
        AlarmName=ALARM_NAMES["throttles"], StateValue="ALARM", StateReason="test"
    )
    for name, value in (("Invocations", 40), ("Invocations", 10), ("Errors", 5), ("Throttles", 2)):
        _lambda_metric(aws, name, value)
    fail(aws, stack, failure_record("a.txt"))
    fail(aws, stack, failure_record("b.txt"))
    built = tmp_path / "handler.zip.base64sha256"
    built.write_text(base64.b64encode(hashlib.sha256(handler_zip()).digest()).decode() + "\n")
    # WHEN the status is read
    status = read_status(deployed_env(aws, stack), local_sha=built)
    screen = status.render()
    # THEN the firing alarm comes first, then the others
    assert status.alarms[0].key == "throttles"
    assert status.alarms[0].state == "ALARM"
    assert "Alarms (1 in ALARM):" in screen
    assert {alarm.key for alarm in status.alarms} == set(ALARM_NAMES)
    # AND the processor's hour: 50 invocations, 5 errors (10 %), 2 throttles
    processor = next(line for line in screen.splitlines() if line.startswith("  processor "))
    assert processor.split() == ["processor", "50", "5", "2", "10.0", "%"]
    # AND the failures waiting, and the artifact (hex and base64) that matches dist/
    assert "Failed events waiting: 2" in screen
    hex_sha = hashlib.sha256(handler_zip()).hexdigest()
    assert f"sha256 {hex_sha}" in screen
    assert "— the zip in dist/" in screen
    assert status.problems == []


def test_an_unreadable_part_is_named_and_the_rest_still_shown(
    aws: dict[str, Any], stack: Deployment, tmp_path: Path
) -> None:
    # GIVEN the failures queue is gone and no local build exists
    aws["sqs"].delete_queue(QueueUrl=stack.failures_queue_url)
    aws["cloudwatch"].delete_alarms(AlarmNames=[ALARM_NAMES["error_rate"]])
    status = read_status(deployed_env(aws, stack), local_sha=tmp_path / "none")
    screen = status.render()
    # THEN that part says so, the missing alarm is MISSING, the rest is there
    assert "Failed events: unknown" in screen
    assert any(problem.startswith("failures queue:") for problem in status.problems)
    assert any(a.key == "error_rate" and a.state == "MISSING" for a in status.alarms)
    assert "no local build to compare" in screen
    assert "Last hour:" in screen
