"""``invoke redrive``: process the failed events again, and lose none.

For each failed event in the queue (oldest batches first), optionally narrowed by key prefix and
age:

1. its original request payload (the event S3 delivered, ``requestPayload`` of Lambda's record)
   is sent to the processor with an asynchronous ``Invoke`` (``InvocationType=Event``) — the
   same path S3 takes, so the event gets the async config's retries and on-failure destination
   again;
2. only once Lambda has accepted it (HTTP 202) is the message deleted from the queue. A failed
   invoke leaves the message where it was; an event that fails again comes back through the
   normal failure path, as a new message.

What makes it safe to run twice: the processor's idempotency key is the event's bucket, key,
version and sequencer, all in the original payload, so an event whose result was already
published publishes nothing new.

Messages that arrive while a redrive runs (events failing again) are left for the next run, so a
redrive always ends. Staging and prod ask first (``--yes`` for pipelines); ``--dry-run`` shows
what would be redriven and changes nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError
from tooling.ops.durations import utc_now
from tooling.ops.queue import HeldQueue
from tooling.run.invoke import invoke_error
from tooling.stack.failures import FailedEvent, parse_message

if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable

    from tooling.run.target import DeployedEnv

# The same refusal this many times in a row means Lambda will refuse the rest too: stop.
MAX_REFUSALS_IN_A_ROW = 3


@dataclass(frozen=True)
class Selection:
    """Which failed events to redrive."""

    key_prefix: str = ""
    since: datetime.timedelta | None = None

    def matches(self, event: FailedEvent, now: datetime.datetime) -> bool:
        if self.key_prefix and not any(
            ref.key.startswith(self.key_prefix) for ref in event.objects
        ):
            return False
        if self.since is not None:
            return event.when is not None and event.when >= now - self.since
        return True

    def describe(self) -> str:
        parts = []
        if self.key_prefix:
            parts.append(f"key prefix {self.key_prefix!r}")
        if self.since is not None:
            parts.append(f"failed in the last {_span(self.since)}")
        return ", ".join(parts) or "all"


@dataclass
class Outcome:
    """What a redrive did (or, dry, would do)."""

    redriven: list[FailedEvent] = field(default_factory=list)
    duplicates: list[FailedEvent] = field(default_factory=list)
    unusable: list[FailedEvent] = field(default_factory=list)
    refused: list[tuple[FailedEvent, str]] = field(default_factory=list)
    not_matching: int = 0
    arrived_during: int = 0
    stopped: str = ""

    @property
    def ok(self) -> bool:
        """Nothing failed and nothing was left behind that the operator must look at."""
        return not self.refused and not self.unusable and not self.stopped

    def summary(self, *, dry_run: bool) -> str:
        verb = "would be redriven" if dry_run else "redriven and removed from the queue"
        parts = [f"{len(self.redriven)} {verb}"]
        if self.duplicates:
            parts.append(
                f"{len(self.duplicates)} duplicate message(s) of those "
                + ("would be removed" if dry_run else "removed")
            )
        if self.unusable:
            parts.append(f"{len(self.unusable)} left in the queue: cannot be redriven")
        if self.refused:
            parts.append(f"{len(self.refused)} left in the queue: Lambda refused the invoke")
        if self.not_matching:
            parts.append(f"{self.not_matching} left in the queue: not selected")
        if self.arrived_during:
            parts.append(f"{self.arrived_during} arrived during the run: left for the next one")
        text = ("dry run: " if dry_run else "done: ") + ", ".join(parts)
        if self.stopped:
            text += f"\nstopped early: {self.stopped}"
        return text


def redrive(
    deployed: DeployedEnv,
    selection: Selection,
    *,
    dry_run: bool = False,
    yes: bool = False,
    say: Callable[[str], None],
    confirm: Callable[[str, int], bool] | None = None,
    now: datetime.datetime | None = None,
) -> Outcome:
    """Redrive ``deployed``'s failed events matching ``selection``; ``say`` prints progress.

    ``now`` is the clock ``--since`` counts back from (tests pin it); what arrives in the queue
    after the real start is always left for the next run.
    """
    started = now or utc_now()
    deployment = deployed.deployment
    say(
        f"redrive {deployed.label}: failed events from {deployment.failures_queue_url} "
        f"({selection.describe()}) → {deployment.processor_function_name}, asynchronously"
        + (" — DRY RUN, nothing is invoked or removed" if dry_run else "")
    )
    if deployed.protected and not dry_run and not yes:
        count = len(_scan(deployed, selection, started).redriven)
        if count == 0:
            say("nothing to redrive")
            return Outcome()
        _confirm(deployed, count, confirm)
    outcome = _run(deployed, selection, started, dry_run=dry_run, say=say)
    say(outcome.summary(dry_run=dry_run))
    return outcome


def _scan(deployed: DeployedEnv, selection: Selection, started: datetime.datetime) -> Outcome:
    """A dry pass, silent: how many events would be redriven."""
    return _run(deployed, selection, started, dry_run=True, say=lambda _: None)


def _run(
    deployed: DeployedEnv,
    selection: Selection,
    started: datetime.datetime,
    *,
    dry_run: bool,
    say: Callable[[str], None],
) -> Outcome:
    from botocore.exceptions import ClientError

    cutoff = max(utc_now(), started)  # later arrivals failed again during this run
    outcome = Outcome()
    invoked: set[str] = set()  # payload digests invoked in this run
    refusals: list[str] = []
    lambda_client = deployed.clients["lambda"]
    processor = deployed.deployment.processor_function_name
    with HeldQueue(deployed.clients["sqs"], deployed.deployment.failures_queue_url) as queue:
        for number, batch in enumerate(queue.batches(), start=1):
            before = _counts(outcome)
            for message in batch:
                event = parse_message(message)
                if event.queued_at is not None and event.queued_at > cutoff:
                    outcome.arrived_during += 1  # failed again during this run: next time
                    continue
                if not selection.matches(event, started):
                    outcome.not_matching += 1
                    continue
                problem = event.problem_for(processor)
                if problem:
                    outcome.unusable.append(event)
                    say(f"  cannot redrive message {event.message_id}: {problem}")
                    continue
                digest = _digest(event.payload)
                if digest in invoked:
                    # The same event twice in the queue (SNS delivers at least once): it was
                    # just invoked, this copy goes.
                    outcome.duplicates.append(event)
                    if not dry_run:
                        queue.delete(message)
                    continue
                if dry_run:
                    invoked.add(digest)
                    outcome.redriven.append(event)
                    continue
                try:
                    response = lambda_client.invoke(
                        FunctionName=processor,
                        InvocationType="Event",
                        Payload=json.dumps(event.payload).encode(),
                    )
                except ClientError as error:
                    reason = invoke_error(error, processor).message
                    outcome.refused.append((event, reason))
                    say(f"  left in the queue: {_label(event)}: {reason}")
                    refusals.append(error.response.get("Error", {}).get("Code", ""))
                    if len(refusals) >= MAX_REFUSALS_IN_A_ROW and len(set(refusals[-3:])) == 1:
                        outcome.stopped = (
                            f"Lambda refused {MAX_REFUSALS_IN_A_ROW} invokes in a row "
                            f"({refusals[-1]}): fix that, then run the redrive again"
                        )
                        break
                    continue
                refusals.clear()
                if response.get("StatusCode") != 202:
                    reason = f"Lambda answered {response.get('StatusCode')}, not 202 (accepted)"
                    outcome.refused.append((event, reason))
                    say(f"  left in the queue: {_label(event)}: {reason}")
                    continue
                invoked.add(digest)
                outcome.redriven.append(event)
                # Accepted: Lambda now owns the event (retries, on-failure destination).
                queue.delete(message)
            progress = _progress(before, outcome, dry_run)
            say(f"batch {number}: {len(batch)} message(s) read — {progress}")
            if outcome.stopped:
                break
    return outcome


def _digest(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def _counts(outcome: Outcome) -> tuple[int, ...]:
    return (
        len(outcome.redriven),
        len(outcome.duplicates),
        len(outcome.unusable),
        len(outcome.refused),
        outcome.not_matching + outcome.arrived_during,
    )


def _progress(before: tuple[int, ...], outcome: Outcome, dry_run: bool) -> str:
    now = _counts(outcome)
    redriven, duplicates, unusable, refused, left = (
        b - a for a, b in zip(before, now, strict=True)
    )
    verb = "would redrive" if dry_run else "redriven"
    parts = [f"{redriven} {verb}"]
    parts += [f"{duplicates} duplicate(s)"] * bool(duplicates)
    parts += [f"{unusable} cannot be redriven"] * bool(unusable)
    parts += [f"{refused} refused by Lambda"] * bool(refused)
    parts += [f"{left} not selected"] * bool(left)
    return ", ".join(parts)


def _label(event: FailedEvent) -> str:
    keys = ", ".join(ref.key for ref in event.objects)
    return f"message {event.message_id}" + (f" ({keys})" if keys else "")


def _span(delta: datetime.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0 and seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _confirm(deployed: DeployedEnv, count: int, confirm: Callable[[str, int], bool] | None) -> None:
    """Staging/prod: the operator types the env name; no terminal and no --yes refuses."""
    if confirm is None:
        if not sys.stdin.isatty():
            raise ToolingError(
                f"refusing to redrive {count} event(s) in {deployed.label} without confirmation: "
                "there is no terminal to ask on",
                hint=f"review with `invoke redrive {deployed.flag()} --dry-run`, then re-run with "
                "--yes (pipelines pass --yes)",
            )
        confirm = _ask_on_terminal
    if not confirm(deployed.env, count):
        raise ToolingError(
            f"redrive of {deployed.label} cancelled: not confirmed",
            hint="nothing was invoked or removed; the failed events wait in the queue",
        )


def _ask_on_terminal(env: str, count: int) -> bool:
    with contextlib.suppress(EOFError):
        answer = input(
            f"Type the env name ({env}) to redrive {count} failed event(s), anything else aborts: "
        )
        return answer.strip() == env
    return False
