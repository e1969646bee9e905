"""The async invocation queue: retries, throttles, event age, destinations, back-pressure."""

from __future__ import annotations

import datetime
import json
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tooling.emulator.lambda_async import AsyncConfig, AsyncEvent, AsyncQueue
from tooling.emulator.lambda_destinations import (
    DeliveryError,
    destination_service,
    invocation_record,
)
from tooling.emulator.lambda_runtime import Invocation
from tooling.emulator.settings import RuntimeSettings

if TYPE_CHECKING:
    from collections.abc import Iterator


def test_the_failure_record_has_lambdas_format() -> None:
    # GIVEN the example of the Lambda developer guide (invocation-async.md)
    record = invocation_record(
        request_id="e4b46cbf-b738-xmpl-8880-a18cdf61200e",
        function_arn="arn:aws:lambda:us-east-2:123456789012:function:my-function",
        executed_version="$LATEST",
        condition="RetriesExhausted",
        invoke_count=3,
        request_payload=b'{"ORDER_IDS": ["9e07af03"]}',
        status_code=200,
        function_error="Unhandled",
        response_payload=b'{"errorMessage": "RequestId: e4b46cbf Process exited"}',
        now=datetime.datetime(2019, 11, 14, 18, 16, 5, 568000, tzinfo=datetime.UTC),
    )
    # THEN every field is where the guide shows it
    assert record == {
        "version": "1.0",
        "timestamp": "2019-11-14T18:16:05.568Z",
        "requestContext": {
            "requestId": "e4b46cbf-b738-xmpl-8880-a18cdf61200e",
            "functionArn": "arn:aws:lambda:us-east-2:123456789012:function:my-function:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": {"ORDER_IDS": ["9e07af03"]},
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": {"errorMessage": "RequestId: e4b46cbf Process exited"},
    }


def test_a_success_record_has_no_function_error() -> None:
    record = invocation_record(
        request_id="r",
        function_arn="arn:aws:lambda:us-east-1:123456789012:function:f",
        executed_version="$LATEST",
        condition="Success",
        invoke_count=1,
        request_payload=b"{}",
        status_code=200,
        function_error=None,
        response_payload=b"null",
    )
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] is None


@pytest.mark.parametrize(
    ("arn", "service"),
    [
        ("arn:aws:sns:us-east-1:123456789012:topic", "sns"),
        ("arn:aws:sqs:us-east-1:123456789012:queue", "sqs"),
        ("arn:aws:lambda:us-east-1:123456789012:function:f", "lambda"),
        ("arn:aws:events:us-east-1:123456789012:event-bus/default", "events"),
    ],
)
def test_destination_services(arn: str, service: str) -> None:
    assert destination_service(arn) == service


def test_unsupported_destinations_are_refused() -> None:
    with pytest.raises(DeliveryError, match="unsupported destination"):
        destination_service("arn:aws:s3:::bucket")


@dataclass
class Harness:
    """An AsyncQueue whose function is a script of outcomes."""

    outcomes: list[str]
    config: AsyncConfig = field(default_factory=AsyncConfig)
    capacity: bool = True
    attempts: list[tuple[str, float]] = field(default_factory=list)
    deliveries: list[tuple[str, int, str]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)

    def attempt(self, event: AsyncEvent) -> Invocation | None:
        self.attempts.append((event.request_id, time.monotonic()))
        outcome = self.outcomes.pop(0) if self.outcomes else "ok"
        if outcome == "throttled":
            return Invocation(event.request_id, "throttled")
        if outcome == "gone":
            return None
        if outcome == "ok":
            return Invocation(event.request_id, "ok", b'{"done": true}')
        return Invocation(event.request_id, "function_error", b"{}", function_error="Unhandled")

    def deliver(self, event: AsyncEvent, condition: str, destination: str) -> None:
        self.deliveries.append((condition, event.attempts, destination))
        self.done.set()


@pytest.fixture
def make_queue() -> Iterator[object]:
    queues: list[AsyncQueue] = []

    def build(harness: Harness, **options: object) -> AsyncQueue:
        values = {"retry_minute_seconds": 0.6, "async_workers": 2, **options}
        queue = AsyncQueue(
            RuntimeSettings(**values),  # type: ignore[arg-type]
            attempt=harness.attempt,
            config_for=lambda _: harness.config,
            deliver=harness.deliver,
            has_capacity=lambda _: harness.capacity,
        )
        queue.start()
        queues.append(queue)
        return queue

    yield build
    for queue in queues:
        queue.stop()


def _event(payload: bytes = b"{}") -> AsyncEvent:
    return AsyncEvent("123456789012", "us-east-1", "f", "f:$LATEST", payload, "test")


def _wait(condition: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition() and time.monotonic() < deadline:  # type: ignore[operator]
        time.sleep(0.01)
    assert condition(), "timed out"  # type: ignore[operator]


def test_a_failing_event_is_tried_three_times_then_recorded_as_failed(make_queue) -> None:
    # GIVEN a function that always fails, 2 retries, a failure destination; 1 min = 0.6 s here
    harness = Harness(["error"] * 5, AsyncConfig(on_failure="arn:aws:sns:us-east-1:1:failures"))
    queue = make_queue(harness)
    # WHEN one event is queued
    request_id = queue.submit(_event())
    assert harness.done.wait(10)
    # THEN three attempts ran with the same request id, ~1 then ~2 "minutes" apart
    assert [rid for rid, _ in harness.attempts] == [request_id] * 3
    gaps = [b - a for (_, a), (_, b) in zip(harness.attempts, harness.attempts[1:], strict=False)]
    assert gaps[0] == pytest.approx(0.6, abs=0.25)
    assert gaps[1] == pytest.approx(1.2, abs=0.3)
    # AND the failure destination got a RetriesExhausted record after 3 attempts
    assert harness.deliveries == [("RetriesExhausted", 3, "arn:aws:sns:us-east-1:1:failures")]


def test_a_retry_that_succeeds_goes_to_the_success_destination_only(make_queue) -> None:
    harness = Harness(
        ["error", "ok"],
        AsyncConfig(
            on_success="arn:aws:sqs:us-east-1:1:ok", on_failure="arn:aws:sqs:us-east-1:1:no"
        ),
    )
    make_queue(harness).submit(_event())
    assert harness.done.wait(10)
    assert harness.deliveries == [("Success", 2, "arn:aws:sqs:us-east-1:1:ok")]


def test_the_configured_retry_count_is_honoured(make_queue) -> None:
    harness = Harness(["error"] * 5, AsyncConfig(maximum_retry_attempts=0, on_failure="arn:x"))
    make_queue(harness).submit(_event())
    assert harness.done.wait(10)
    assert len(harness.attempts) == 1
    assert harness.deliveries == [("RetriesExhausted", 1, "arn:x")]


def test_throttles_are_not_attempts(make_queue) -> None:
    # GIVEN a function throttled twice, then failing until its retries are spent
    harness = Harness(
        ["throttled", "throttled", "error", "error", "error"], AsyncConfig(on_failure="arn:x")
    )
    make_queue(harness).submit(_event())
    assert harness.done.wait(10)
    # THEN the two throttles did not count: 5 tries, 3 attempts
    assert len(harness.attempts) == 5
    assert harness.deliveries == [("RetriesExhausted", 3, "arn:x")]


def test_an_event_older_than_the_maximum_age_is_not_run(make_queue) -> None:
    harness = Harness([], AsyncConfig(maximum_event_age_seconds=60, on_failure="arn:x"))
    old = _event()
    old.received = time.time() - 61
    make_queue(harness).submit(old)
    assert harness.done.wait(10)
    assert harness.attempts == []
    assert harness.deliveries == [("EventAgeExceeded", 0, "arn:x")]


def test_reserved_concurrency_zero_sends_events_to_the_failure_destination(make_queue) -> None:
    harness = Harness([], AsyncConfig(reserved_zero=True, on_failure="arn:x"))
    make_queue(harness).submit(_event())
    assert harness.done.wait(10)
    assert harness.attempts == []
    assert harness.deliveries == [("RetriesExhausted", 0, "arn:x")]


def test_events_wait_while_the_function_has_no_free_slot(make_queue) -> None:
    harness = Harness([], AsyncConfig(on_success="arn:x"), capacity=False)
    queue = make_queue(harness)
    queue.submit(_event())
    time.sleep(0.3)
    assert harness.attempts == []  # nothing ran while the function was saturated
    harness.capacity = True
    queue.notify()  # a slot freed
    assert harness.done.wait(5)


def test_a_full_queue_holds_new_events_back_instead_of_dropping_them(make_queue) -> None:
    harness = Harness([], capacity=False)
    queue = make_queue(harness, queue_size=2)
    queue.submit(_event())
    queue.submit(_event())
    with pytest.raises(TimeoutError):
        queue.submit(_event(), timeout=0.2)
    harness.capacity = True
    queue.notify()
    queue.submit(_event(), timeout=5)  # room again
    _wait(queue.idle)
    assert queue.snapshot()["submitted"] == 3
    assert queue.snapshot()["succeeded"] == 3


def test_a_burst_is_processed_completely(make_queue) -> None:
    harness = Harness([])
    queue = make_queue(harness, async_workers=4)
    ids = {queue.submit(_event(json.dumps({"n": n}).encode())) for n in range(50)}
    _wait(queue.idle)
    assert {rid for rid, _ in harness.attempts} == ids
    assert len(harness.attempts) == 50


def test_lambda_counts_a_throttle_apart_from_invocations_and_errors() -> None:
    from tooling.emulator.lambda_metrics import invocation_metrics

    # GIVEN the three outcomes THEN each adds what Lambda's own metrics would
    assert invocation_metrics("throttled", 0) == [("Throttles", 1.0, "Count")]
    assert invocation_metrics("ok", 12.5) == [
        ("Invocations", 1.0, "Count"),
        ("Duration", 12.5, "Milliseconds"),
        ("Errors", 0.0, "Count"),
    ]
    assert ("Errors", 1.0, "Count") in invocation_metrics("function_error", 3.0)
