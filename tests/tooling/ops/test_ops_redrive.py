"""`invoke redrive`: each original event invoked again asynchronously; a message goes only once
Lambda accepted it; nothing is ever lost (moto's stub Lambda backend accepts Event invokes)."""

from __future__ import annotations

import datetime
import json
from typing import TYPE_CHECKING, Any

import pytest
from ops_support import fail, queue_counts
from stack_fixtures import PROCESSOR, deployed_env, failure_record

from tooling.core.errors import ToolingError
from tooling.ops.redrive import Selection, redrive

if TYPE_CHECKING:
    from tooling.stack.deployment import Deployment

NOW = datetime.datetime(2026, 3, 1, 13, 0, 0, tzinfo=datetime.UTC)


@pytest.fixture
def invokes(aws: dict[str, Any]) -> list[dict[str, Any]]:
    """Every Invoke the redrive makes: function, type and the payload (parsed)."""
    seen: list[dict[str, Any]] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        seen.append(
            {
                "function": params["url_path"].split("/")[3],
                "type": params["headers"].get("X-Amz-Invocation-Type"),
                "payload": json.loads(params["body"]),
            }
        )

    aws["lambda"].meta.events.register("before-call.lambda.Invoke", record)
    return seen


def _redrive(aws: dict[str, Any], stack: Deployment, **options: Any) -> tuple[Any, list[str]]:
    said: list[str] = []
    env = options.pop("env", "dev")
    endpoint = options.pop("endpoint", None)
    selection = options.pop("selection", Selection())
    outcome = redrive(
        deployed_env(aws, stack, env=env, endpoint=endpoint),
        selection,
        say=said.append,
        now=options.pop("now", None),
        **options,
    )
    return outcome, said


def test_each_original_event_is_invoked_asynchronously_then_removed(
    aws: dict[str, Any], stack: Deployment, invokes: list[dict[str, Any]]
) -> None:
    # GIVEN two failed events in the queue
    records = [failure_record(f"uploads/{name}") for name in ("a+b.txt", "c.txt")]
    for record in records:
        fail(aws, stack, record)
    # WHEN redriven
    outcome, said = _redrive(aws, stack)
    # THEN the processor got each ORIGINAL payload, asynchronously
    assert [item["function"] for item in invokes] == [PROCESSOR, PROCESSOR]
    assert {item["type"] for item in invokes} == {"Event"}
    assert sorted((i["payload"] for i in invokes), key=json.dumps) == sorted(
        (r["requestPayload"] for r in records), key=json.dumps
    )
    # AND both messages are gone, the outcome says so, with a line per batch
    assert queue_counts(aws, stack) == (0, 0)
    assert outcome.ok
    assert len(outcome.redriven) == 2
    assert said[1].startswith("batch 1: 2 message(s) read — 2 redriven")
    assert said[-1] == "done: 2 redriven and removed from the queue"


def test_a_refused_invoke_leaves_the_message_and_fails_the_run(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN Lambda refuses the invoke (throttled past the SDK's retries, access denied…)
    from botocore.exceptions import ClientError

    def refuse(**_: Any) -> None:
        error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
        raise ClientError(error, "Invoke")

    aws["lambda"].meta.events.register("before-call.lambda.Invoke", refuse)
    for name in ("a", "b", "c", "d"):
        fail(aws, stack, failure_record(f"uploads/{name}.txt"))
    # WHEN redriven
    outcome, said = _redrive(aws, stack)
    # THEN no message was removed; the run stops after three identical refusals and says why
    assert queue_counts(aws, stack) == (4, 0)
    assert not outcome.ok
    assert len(outcome.refused) == 3
    assert "AccessDeniedException" in outcome.refused[0][1]
    assert "stopped early: Lambda refused 3 invokes in a row (AccessDeniedException)" in said[-1]


def test_the_message_is_deleted_only_after_lambda_accepted(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN a record whose invoke answers 200 instead of 202 (not accepted for async)
    def not_accepted(parsed: dict[str, Any], **_: Any) -> None:
        parsed["StatusCode"] = 200

    aws["lambda"].meta.events.register("after-call.lambda.Invoke", not_accepted)
    fail(aws, stack, failure_record())
    outcome, _ = _redrive(aws, stack)
    # THEN the message stays
    assert queue_counts(aws, stack) == (1, 0)
    assert "not 202" in outcome.refused[0][1]


def test_a_queue_that_cannot_be_read_is_a_clear_error(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN the failures queue is gone (or the caller may not read it)
    aws["sqs"].delete_queue(QueueUrl=stack.failures_queue_url)
    # WHEN a redrive runs THEN it stops with a message and a fix, not the SDK's traceback
    with pytest.raises(ToolingError, match="cannot read the queue") as raised:
        redrive(deployed_env(aws, stack), Selection(), say=lambda _: None)
    assert "sqs:ReceiveMessage" in raised.value.hint


def test_dry_run_invokes_and_removes_nothing(
    aws: dict[str, Any], stack: Deployment, invokes: list[dict[str, Any]]
) -> None:
    fail(aws, stack, failure_record("uploads/a.txt"))
    fail(aws, stack, failure_record(drop_payload=True))
    outcome, said = _redrive(aws, stack, dry_run=True)
    assert invokes == []
    assert queue_counts(aws, stack) == (2, 0)
    assert len(outcome.redriven) == 1
    assert said[0].endswith("DRY RUN, nothing is invoked or removed")
    assert said[-1].startswith("dry run: 1 would be redriven, 1 left in the queue: cannot be")


def test_key_prefix_and_since_narrow_the_selection(
    aws: dict[str, Any], stack: Deployment, invokes: list[dict[str, Any]]
) -> None:
    # GIVEN events under two prefixes, one of them old
    fail(aws, stack, failure_record("uploads/new.txt", timestamp="2026-03-01T12:50:00Z"))
    fail(aws, stack, failure_record("uploads/old.txt", timestamp="2026-02-01T12:50:00Z"))
    fail(aws, stack, failure_record("other/new.txt", timestamp="2026-03-01T12:55:00Z"))
    selection = Selection(key_prefix="uploads/", since=datetime.timedelta(hours=1))
    # WHEN redriven with both filters
    outcome, _ = _redrive(aws, stack, selection=selection, now=NOW)
    # THEN only the recent upload went; the others wait
    keys = [i["payload"]["Records"][0]["s3"]["object"]["key"] for i in invokes]
    assert keys == ["uploads/new.txt"]
    assert outcome.not_matching == 2
    assert queue_counts(aws, stack) == (2, 0)


def test_records_that_cannot_be_redriven_stay_and_are_named(
    aws: dict[str, Any], stack: Deployment, invokes: list[dict[str, Any]]
) -> None:
    fail(aws, stack, failure_record(drop_payload=True))
    fail(aws, stack, failure_record(function="someone-elses-function"))
    fail(aws, stack, "garbage")
    outcome, said = _redrive(aws, stack)
    assert invokes == []
    assert queue_counts(aws, stack) == (3, 0)
    assert not outcome.ok
    reasons = " ".join(said)
    assert "dropped the event" in reasons
    assert "it failed in someone-elses-function, not in this env's processor" in reasons
    assert "not JSON" in reasons


def test_the_same_event_twice_is_invoked_once(
    aws: dict[str, Any], stack: Deployment, invokes: list[dict[str, Any]]
) -> None:
    # GIVEN SNS delivered one record twice (at-least-once)
    record = failure_record()
    fail(aws, stack, record)
    fail(aws, stack, record)
    outcome, _ = _redrive(aws, stack)
    assert len(invokes) == 1
    assert (len(outcome.redriven), len(outcome.duplicates)) == (1, 1)
    assert queue_counts(aws, stack) == (0, 0)


def test_an_event_that_fails_again_during_the_run_waits_for_the_next_one(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN a processor that still fails: each redriven event comes back through the failure path
    def fails_again(params: dict[str, Any], **_: Any) -> None:
        fail(aws, stack, {**failure_record(), "requestPayload": json.loads(params["body"])})

    aws["lambda"].meta.events.register("before-call.lambda.Invoke", fails_again)
    fail(aws, stack, failure_record())
    # WHEN redriven THEN the run ends (no loop): one redriven, the new failure left for later
    outcome, _ = _redrive(aws, stack, now=datetime.datetime.now(datetime.UTC))
    assert len(outcome.redriven) == 1
    assert outcome.arrived_during == 1
    assert queue_counts(aws, stack) == (1, 0)


def test_prod_asks_first_and_refuses_without_a_terminal(
    aws: dict[str, Any], stack: Deployment, invokes: list[dict[str, Any]], monkeypatch: Any
) -> None:
    fail(aws, stack, failure_record())
    # GIVEN no terminal and no --yes THEN it refuses before invoking anything
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    with pytest.raises(ToolingError, match="without confirmation") as raised:
        _redrive(aws, stack, env="prod")
    assert "--dry-run" in raised.value.hint
    assert "--yes" in raised.value.hint
    # GIVEN the operator does not confirm THEN nothing happens either
    asked: list[tuple[str, int]] = []
    with pytest.raises(ToolingError, match="cancelled"):
        _redrive(aws, stack, env="prod", confirm=lambda env, n: asked.append((env, n)) or False)
    assert asked == [("prod", 1)]
    assert invokes == []
    assert queue_counts(aws, stack) == (1, 0)
    # GIVEN --yes THEN it runs without asking
    outcome, _ = _redrive(aws, stack, env="prod", yes=True)
    assert len(outcome.redriven) == 1


def test_an_emulated_prod_and_dev_do_not_ask(
    aws: dict[str, Any], stack: Deployment, monkeypatch: Any
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    fail(aws, stack, failure_record("a.txt"))
    fail(aws, stack, failure_record("b.txt"))
    assert _redrive(aws, stack, env="prod", endpoint="http://127.0.0.1:4566")[0].ok
    assert _redrive(aws, stack, env="dev")[0].redriven == []  # nothing left
