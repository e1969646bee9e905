"""``invoke failures``: the failed events waiting in the env's failures queue.

Each message is Lambda's on-failure record of an event the processor gave up on
(:mod:`tooling.stack.failures`); the listing shows when it failed, the object (key decoded,
version), the last error, the attempts and how long ago. The queue is read without taking
anything away from it (:mod:`tooling.ops.queue`).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tooling.ops.durations import format_age, utc_now
from tooling.ops.queue import HeldQueue
from tooling.stack.failures import FailedEvent, parse_message

if TYPE_CHECKING:
    import datetime
    from collections.abc import Sequence

    from tooling.run.target import DeployedEnv

KEY_WIDTH = 60
ERROR_WIDTH = 70


def read_failures(deployed: DeployedEnv) -> list[FailedEvent]:
    """Every failed event waiting in the queue, oldest first; the queue is left as it was."""
    events: list[FailedEvent] = []
    with HeldQueue(deployed.clients["sqs"], deployed.deployment.failures_queue_url) as queue:
        for batch in queue.batches():
            events += [parse_message(message) for message in batch]
    return sorted(events, key=_order)


def _order(event: FailedEvent) -> Any:
    return (event.when is None, event.when or 0, event.message_id)


def render_table(
    events: Sequence[FailedEvent], deployed: DeployedEnv, now: datetime.datetime | None = None
) -> str:
    """The readable table: one row per failed event, then what cannot be redriven and why."""
    queue = deployed.deployment.failures_queue_url.rsplit("/", 1)[-1]
    if not events:
        return f"no failed events waiting in {deployed.label} (queue {queue})"
    moment = now or utc_now()
    rows = [("FAILED AT (UTC)", "AGO", "OBJECT KEY", "VERSION", "ERROR", "ATTEMPTS")]
    for event in events:
        rows.append(
            (
                event.when.strftime("%Y-%m-%d %H:%M:%S") if event.when else "-",
                format_age(moment - event.when) if event.when else "-",
                _clip(", ".join(ref.key for ref in event.objects) or _no_object(event), KEY_WIDTH),
                ", ".join(ref.version_id or "-" for ref in event.objects) or "-",
                _clip(_error(event), ERROR_WIDTH),
                str(event.attempts) if event.attempts is not None else "-",
            )
        )
    widths = [max(len(row[index]) for row in rows) for index in range(len(rows[0]))]
    lines = [f"{len(events)} failed event(s) waiting in {deployed.label} (queue {queue})"]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
              for row in rows]  # fmt: skip
    processor = deployed.deployment.processor_function_name
    for event in events:
        if problem := event.problem_for(processor):
            lines.append(f"! message {event.message_id}: cannot be redriven: {problem}")
    lines.append(
        f"→ `invoke redrive {deployed.flag()} --dry-run` shows what would be processed again; "
        "--json prints every record whole"
    )
    return "\n".join(lines)


def render_json(events: Sequence[FailedEvent], deployed: DeployedEnv) -> str:
    """One JSON array for scripts (and for keeping a record: docs/runbook.md)."""
    processor = deployed.deployment.processor_function_name
    documents = [event.to_json(processor) for event in events]
    return json.dumps(documents, indent=2, ensure_ascii=False)


def _error(event: FailedEvent) -> str:
    if event.error_type and event.error_message:
        text = f"{event.error_type}: {event.error_message}"
    else:
        text = event.error_type or event.error_message or event.condition or "-"
    return " ".join(text.split())


def _no_object(event: FailedEvent) -> str:
    return "(not an S3 event)" if event.payload is not None else "(event not in the record)"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
