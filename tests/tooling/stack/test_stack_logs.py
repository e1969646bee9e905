"""Reading a function's log lines: Powertools JSON, platform lines, runtime errors, EMF, text."""

from __future__ import annotations

import json

import pytest

from tooling.stack.logs import parse_line

STAMP = 1772359200123  # 2026-03-01 10:00:00.123 UTC


def test_a_powertools_line_gives_level_message_key_and_correlation_id() -> None:
    line = parse_line(
        json.dumps(
            {
                "level": "ERROR",
                "location": "process:80",
                "message": "object failed",
                "timestamp": "2026-03-01 10:00:00,123+0000",
                "service": "file-processor",
                "object_key": "uploads/a b.txt",
                "correlation_id": "C3D13FE58DE4C810",
                "function_request_id": "req-1",
                "exception": "Traceback (most recent call last):\n  ...\nTransientError: throttled",
            }
        ),
        STAMP,
    )
    assert (line.kind, line.level, line.object_key, line.correlation_id, line.request_id) == (
        "app",
        "ERROR",
        "uploads/a b.txt",
        "C3D13FE58DE4C810",
        "req-1",
    )
    assert line.message.startswith("object failed\nTraceback")
    rendered = line.render()
    assert rendered.startswith("2026-03-01 10:00:00.123  ERROR    object failed")
    assert "[object_key=uploads/a b.txt correlation_id=C3D13FE58DE4C810]" in rendered


def test_a_structured_message_is_kept_as_json() -> None:
    line = parse_line(json.dumps({"level": "INFO", "message": {"processed": 1}}), STAMP)
    assert line.message == '{"processed": 1}'


@pytest.mark.parametrize(
    ("text", "kind", "level", "request_id"),
    [
        ("START RequestId: 8f5e-1 Version: $LATEST\n", "platform", "-", "8f5e-1"),
        ("END RequestId: 8f5e-1\n", "platform", "-", "8f5e-1"),
        (
            "REPORT RequestId: 8f5e-1\tDuration: 12.00 ms\tBilled Duration: 12 ms\n",
            "platform",
            "-",
            "8f5e-1",
        ),
        (
            '{"time": "2026-03-01T10:00:00Z", "type": "platform.start", '
            '"record": {"requestId": "8f5e-2", "version": "$LATEST"}}',
            "platform",
            "-",
            "8f5e-2",
        ),
        (
            '{"errorMessage": "boom", "errorType": "KeyError", "requestId": "8f5e-3", '
            '"stackTrace": []}',
            "error",
            "ERROR",
            "8f5e-3",
        ),
        (
            "[ERROR]\t2026-03-01T10:00:00.123Z\t4c1e6ad5-0000-4000-8000-000000000000\tboom\n",
            "error",
            "ERROR",
            "4c1e6ad5-0000-4000-8000-000000000000",
        ),
        (
            "2026-03-01T10:00:03.000Z 4c1e6ad5-0000-4000-8000-000000000000 Task timed out after "
            "3.00 seconds",
            "error",
            "ERROR",
            "4c1e6ad5-0000-4000-8000-000000000000",
        ),
        (
            "[ERROR] AuthorizationErrorException: An error occurred (AuthorizationError)\r"
            "Traceback (most recent call last):",
            "error",
            "ERROR",
            None,
        ),
        ('{"_aws": {"CloudWatchMetrics": []}, "Processed": 1}', "metrics", "METRICS", None),
        ("hello from print()", "text", "-", None),
        ("{not json", "text", "-", None),
    ],
)
def test_every_kind_of_line_is_recognised(
    text: str, kind: str, level: str, request_id: str | None
) -> None:
    line = parse_line(text, STAMP)
    assert (line.kind, line.level, line.request_id) == (kind, level, request_id)


def test_the_python_runtime_error_document_names_type_and_message() -> None:
    line = parse_line('{"errorMessage": "boom", "errorType": "KeyError", "stackTrace": []}')
    assert line.message == "KeyError: boom"
    assert line.timestamp is None
    # a line of an invocation's log tail has no time: none is shown
    assert line.render() == "ERROR    KeyError: boom"


def test_a_multi_line_event_keeps_its_lines_under_the_message() -> None:
    # GIVEN one event whose lines the runtime separated with "\r" (as Lambda's runtimes do)
    line = parse_line('[ERROR] KeyError: 1\rTraceback (most recent call last):\r  File "x"', STAMP)
    # THEN it is shown as lines indented under the message, with no carriage return left
    assert line.render().splitlines() == [
        "2026-03-01 10:00:00.123  ERROR    KeyError: 1",
        " " * 34 + "Traceback (most recent call last):",
        " " * 34 + '  File "x"',
    ]
