"""`invoke logs`: a function's CloudWatch Logs, structured, filtered by time, followed."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from stack_fixtures import API_LOG_GROUP, PROCESSOR_LOG_GROUP, deployed_env

from tooling.core.errors import ToolingError
from tooling.ops.durations import parse_duration
from tooling.ops.logs import read_logs

if TYPE_CHECKING:
    from tooling.stack.deployment import Deployment


def _put(aws: dict[str, Any], group: str, *messages: tuple[int, str]) -> None:
    stream = "2026/03/01/[$LATEST]abc"
    try:
        aws["logs"].create_log_stream(logGroupName=group, logStreamName=stream)
    except aws["logs"].exceptions.ResourceAlreadyExistsException:
        pass
    aws["logs"].put_log_events(
        logGroupName=group,
        logStreamName=stream,
        logEvents=[{"timestamp": stamp, "message": text} for stamp, text in messages],
    )


def _now_ms(minutes_ago: float = 0) -> int:
    return int((time.time() - minutes_ago * 60) * 1000)


def test_recent_lines_are_read_structured_and_metrics_left_out(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN a processor log group with an old line, and recent platform, app, EMF and error lines
    _put(
        aws,
        PROCESSOR_LOG_GROUP,
        (_now_ms(60), json.dumps({"level": "INFO", "message": "an hour ago"})),
        (_now_ms(5), "START RequestId: r-1 Version: $LATEST"),
        (
            _now_ms(4.9),
            json.dumps(
                {
                    "level": "ERROR",
                    "message": "object failed",
                    "object_key": "uploads/a b.txt",
                    "correlation_id": "C3D1",
                }
            ),
        ),
        (_now_ms(4.8), json.dumps({"_aws": {"CloudWatchMetrics": []}, "Processed": 1})),
        (_now_ms(4.7), "END RequestId: r-1"),
    )
    said: list[str] = []
    # WHEN the last 10 minutes are read
    lines = list(
        read_logs(deployed_env(aws, stack), "processor", parse_duration("10m"), say=said.append)
    )
    # THEN the old line and the metrics are not there; the rest are, in order, structured
    assert [line.kind for line in lines] == ["platform", "app", "platform"]
    error = lines[1]
    assert (error.level, error.message, error.object_key, error.correlation_id) == (
        "ERROR",
        "object failed",
        "uploads/a b.txt",
        "C3D1",
    )
    assert "object failed  [object_key=uploads/a b.txt correlation_id=C3D1]" in error.render()
    assert said[0].startswith(f"processor logs of dev ({PROCESSOR_LOG_GROUP}) since ")


def test_the_api_function_reads_its_own_group_and_nothing_says_so(
    aws: dict[str, Any], stack: Deployment
) -> None:
    _put(aws, PROCESSOR_LOG_GROUP, (_now_ms(1), "processor line"))
    said: list[str] = []
    lines = list(read_logs(deployed_env(aws, stack), "api", parse_duration("10m"), say=said.append))
    assert lines == []
    assert said[-1] == f"(no log lines in {API_LOG_GROUP} since then)"


def test_follow_shows_new_lines_once(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN one line, and another arriving while the command follows
    _put(aws, API_LOG_GROUP, (_now_ms(1), "first"))
    rounds = iter([True, True, False])
    arrived: list[bool] = []

    def keep_going() -> bool:
        if not arrived:
            _put(aws, API_LOG_GROUP, (_now_ms(0), "second"))
            arrived.append(True)
        return next(rounds)

    # WHEN followed for three polls
    lines = read_logs(
        deployed_env(aws, stack),
        "api",
        parse_duration("5m"),
        follow=True,
        say=lambda _: None,
        poll_seconds=0,
        keep_going=keep_going,
    )
    # THEN each line appears exactly once
    assert [line.message for line in lines] == ["first", "second"]


def test_a_missing_group_or_function_is_a_clear_error(
    aws: dict[str, Any], stack: Deployment
) -> None:
    aws["logs"].delete_log_group(logGroupName=API_LOG_GROUP)
    with pytest.raises(ToolingError, match=f"the log group {API_LOG_GROUP} does not exist"):
        list(read_logs(deployed_env(aws, stack), "api", parse_duration("5m"), say=print))
    with pytest.raises(ToolingError, match="unknown function 'worker'") as raised:
        list(read_logs(deployed_env(aws, stack), "worker", parse_duration("5m"), say=print))
    assert "--function=processor" in raised.value.hint
