"""``invoke local --event FILE``: one event through the deployed function; what came of it.

By default the event goes through the Lambda API (``Invoke``, RequestResponse) to the function
Terraform deployed, exactly as any AWS client would call it, on the emulator or in a dev
account; ``--in-process`` calls the handler in this process instead (:mod:`tooling.run.in_process`),
for a debugger.

Printed: the function's response (and its error type, if it failed), the messages it published
to the results topic (read through an SQS queue subscribed for the run), and its log lines (the
tail Lambda returns with the answer).

Uploading a sample's object is an upload like any other: the bucket notification makes the
processor process it too. Those results carry S3's own sequencer, the invocation's carry the
event's, so they are told apart and shown separately.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core import envs
from tooling.core.errors import ToolingError
from tooling.run import in_process, samples
from tooling.run.invoke import Invocation, invoke_sync
from tooling.run.target import DeployedEnv, connect, on_emulator
from tooling.stack.results import ResultsQueue

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from tooling.stack.logs import LogLine

# After a synchronous call the publishing is done; SNS → SQS just needs a moment to show it.
MESSAGE_WAIT_SECONDS = 10.0
# How long to keep listening for the bucket notification's own result of an uploaded sample.
NOTIFICATION_WAIT_SECONDS = 10.0


@dataclass
class LocalRun:
    """What ``invoke local`` prints."""

    function_name: str
    how: str
    response: Any
    published: list[dict[str, Any]]
    uploaded: list[samples.Uploaded] = field(default_factory=list)
    by_notification: list[dict[str, Any]] = field(default_factory=list)
    function_error: str | None = None
    log_lines: list[LogLine] | None = None
    log_truncated: bool = False
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """Response, published messages and log lines, as readable text."""
        lines = [f"function: {self.function_name} ({self.how})"]
        for item in self.uploaded:
            version = f" (version {item.version_id})" if item.version_id else ""
            lines.append(f"uploaded: {item.key}{version}")
        lines += ["response:", json.dumps(self.response, indent=2, ensure_ascii=False)]
        if self.function_error:
            lines.append(f"function error: {self.function_error}")
        lines.append(f"published to the results topic: {len(self.published)} message(s)")
        lines += _messages(self.published)
        if self.by_notification:
            lines.append(
                f"also published for the uploaded object(s) by the bucket notification: "
                f"{len(self.by_notification)} message(s)"
            )
            lines += _messages(self.by_notification)
        if self.log_lines is not None:
            cut = " (last 4 KB)" if self.log_truncated else ""
            lines.append(f"log lines{cut}:")
            lines += ["  " + line.render() for line in self.log_lines if line.kind != "metrics"]
        lines += self.notes
        return "\n".join(lines)


def run_local(
    env: str,
    event_file: Path,
    *,
    emulated: bool = False,
    in_process_call: bool = False,
    function: str | None = None,
    mirror_config: str | None = None,
) -> LocalRun:
    """``invoke local``: read ``event_file``, run it through ``env``'s deployed function."""
    name = envs.resolve_env(env)
    emulator = on_emulator(name, emulated)
    if in_process_call and not emulator:
        raise ToolingError(
            f"`invoke local --in-process` runs the handler against the emulator, not the real "
            f"{name} account",
            hint=f"use --env=local, or --env={name} --emulated after `invoke deploy --env={name} "
            "--emulated`; without --in-process the deployed function runs itself",
        )
    if envs.is_protected(name) and not emulator:
        raise ToolingError(
            f"`invoke local` uploads sample objects and publishes results: not on the real {name}",
            hint=f"use --env=dev, or --env={name} --emulated; `invoke smoke --env={name}` is the "
            "safe end-to-end check of a protected env",
        )
    event = samples.read_event(event_file)
    chosen = samples.function_for(event, function)
    deployed = connect(name, emulated=emulated, mirror_config=mirror_config)
    return run_event(event, deployed, chosen, in_process_call=in_process_call)


def run_event(
    event: dict[str, Any],
    deployed: DeployedEnv,
    function: str,
    *,
    in_process_call: bool = False,
    objects_dir: Path = samples.OBJECTS_DIR,
    message_wait: float = MESSAGE_WAIT_SECONDS,
    notification_wait: float = NOTIFICATION_WAIT_SECONDS,
) -> LocalRun:
    """Upload the event's sample objects, invoke, and collect what was published."""
    deployment = deployed.deployment
    clients = deployed.clients
    function_name = deployment.function_name_of(function)
    queue_name = f"sfp-local-{uuid.uuid4().hex[:8]}"
    with ResultsQueue(
        clients["sns"], clients["sqs"], deployment.results_topic_arn, queue_name
    ) as queue:
        uploaded = samples.retarget_event(
            event, clients["s3"], deployment.uploads_bucket_name, objects_dir
        )
        if in_process_call:
            if deployed.endpoint is None:
                raise ToolingError(
                    "--in-process needs the emulator", hint="use --env=local or --emulated"
                )
            response = in_process.call_handler(
                event,
                deployment,
                deployed.endpoint,
                clients["lambda"],
                function_name,
                credentials=deployed.credentials,
            )
            invocation = Invocation(function_name, 200, response)
            how = "in-process: the handler's log lines went to this terminal"
        else:
            invocation = invoke_sync(clients["lambda"], function_name, event)
            _refuse_dockerless_moto(invocation, deployed)
            how = "invoked through the Lambda API"
        expected = _expected_publishes(invocation.payload, function)
        # Every upload under the notification's prefix is processed by the notification too.
        notified = [item for item in uploaded if item.key.startswith(deployment.uploads_prefix)]
        ours, theirs = _collect(
            queue, event, expected, len(notified), message_wait, notification_wait
        )
    run = LocalRun(
        function_name=function_name,
        how=how,
        response=invocation.payload,
        published=ours,
        uploaded=uploaded,
        by_notification=theirs,
        function_error=invocation.function_error,
        log_lines=invocation.log_lines,
        log_truncated=invocation.log_truncated,
    )
    if not in_process_call and invocation.log_lines is None:
        run.notes.append(
            f"(no log tail in Lambda's answer: `invoke logs {deployed.flag()} --function="
            f"{function} --since=5m` reads them)"
        )
    return run


def _expected_publishes(response: Any, function: str) -> int:
    """Results the invocation published: processed + rejected of the S3 path's summary."""
    if function != "processor" or not isinstance(response, dict):
        return 0
    counts = [response.get(name) for name in ("processed", "rejected")]
    return sum(count for count in counts if isinstance(count, int))


def _sequencers(event: dict[str, Any]) -> set[str | None]:
    """The sequencers of the event's S3 records (None for a record without one)."""
    found: set[str | None] = set()
    records = event.get("Records")
    for record in records if isinstance(records, list) else []:
        s3_object = record.get("s3", {}).get("object", {}) if isinstance(record, dict) else {}
        if isinstance(s3_object, dict):
            found.add(s3_object.get("sequencer"))
    return found


def _collect(
    queue: ResultsQueue,
    event: dict[str, Any],
    expected: int,
    notifications: int,
    message_wait: float,
    notification_wait: float,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Split what arrives into the invocation's results and the notification's.

    A result names the sequencer of the S3 record it answers: the event's own are this
    invocation's, S3's real ones the notification's (the upload of a sample object).
    """
    ours_sequencers = _sequencers(event)
    ours: list[dict[str, Any]] = []
    theirs: list[dict[str, Any]] = []
    deadline = time.monotonic() + max(message_wait, notification_wait if notifications else 0)
    while time.monotonic() < deadline:
        if len(ours) >= expected and len(theirs) >= notifications:
            break
        for envelope in queue.receive(1, min(2.0, max(0.1, deadline - time.monotonic()))):
            document = envelope.get("document")
            if not isinstance(document, dict):
                document = {}
            mine = document.get("source") != "s3" or document.get("sequencer") in ours_sequencers
            (ours if mine else theirs).append(envelope)
    return ours, theirs


def _refuse_dockerless_moto(invocation: Invocation, deployed: DeployedEnv) -> None:
    """Stock moto answers every Invoke with 'error running docker': say what that means."""
    if deployed.on_emulator and "docker" in json.dumps(invocation.payload).lower():
        raise ToolingError(
            "the emulator cannot run functions: it answered the invocation with "
            f"{json.dumps(invocation.payload)[:200]}",
            hint="restart the emulator with the Lambda runtime (`invoke emulator.stop`, then "
            "`invoke deploy --env=local`), or run the handler here: --in-process",
        )


def _messages(envelopes: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for envelope in envelopes:
        attributes = {
            name: value.get("Value")
            for name, value in envelope.get("MessageAttributes", {}).items()
        }
        lines.append("attributes: " + json.dumps(attributes, sort_keys=True))
        lines.append(json.dumps(envelope.get("document"), indent=2, ensure_ascii=False))
    return lines
