"""Behaviour checks, black box: the deployed stack processes uploads, ignores a re-delivered
event, and answers ``POST /process`` — on the emulator exactly as on AWS.

1. Probe objects are uploaded with plain S3 calls under ``<uploads_prefix>smoke/<run>/``; the
   bucket notification makes the deployed processor process them.
2. Their results are read from a temporary SQS subscription to the results topic and compared
   with the uploaded bytes (schema, size, sha256, kind, decoded key, version).
3. The event S3 delivered for the first probe is delivered again — with S3's own sequencer, taken
   from the result the function published, so it is the same event (same idempotency key) —
   by a synchronous ``lambda:Invoke``: the function must report it as a duplicate, and nothing
   may be published within the quiet period.
4. ``POST /process`` is called through the API URL (its local form on the emulator), SigV4-signed
   with the caller's credentials: 200 with the same facts; unsigned: 403 (AWS_IAM).
"""

from __future__ import annotations

import json
import time
import uuid
from collections import Counter
from typing import TYPE_CHECKING, Any

from tooling.canary.probes import PROBES, Uploaded, cleanup, delivered_event, upload
from tooling.canary.report import Check
from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.run import api
from tooling.run.invoke import invoke_sync
from tooling.stack.results import ResultsQueue

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from pathlib import Path

    from tooling.run.target import DeployedEnv


SCHEMA_PATH: Path = paths.HANDLER_DIR / "schemas" / "file-result.v1.schema.json"
RESULT_WAIT_SECONDS = 60.0
DUPLICATE_QUIET_SECONDS = 20.0


def validate_result(
    document: Mapping[str, Any], uploaded: Uploaded, bucket: str, schema: Mapping[str, Any]
) -> list[str]:
    """Problems with one result document (empty when it is right)."""
    import jsonschema  # the tooling's dev dependency; only the canary needs it

    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [f"schema: {error.message}" for error in validator.iter_errors(document)]
    expected = {
        "status": "processed",
        "bucket": bucket,
        "key": uploaded.key,
        "size_bytes": len(uploaded.probe.body),
        "sha256": uploaded.probe.sha256,
        "kind": uploaded.probe.kind,
    }
    if uploaded.version_id:
        expected["version_id"] = uploaded.version_id
    problems += [
        f"{name} {document.get(name)!r} != {value!r}"
        for name, value in expected.items()
        if document.get(name) != value
    ]
    return problems


def run_prefix(deployed: DeployedEnv, run_id: str) -> str:
    """Where this run's probes go: under the notification's prefix, in a dir of their own."""
    return f"{deployed.deployment.uploads_prefix}smoke/{run_id}/"


def new_run_id() -> str:
    return time.strftime("%Y%m%dt%H%M%S") + "-" + uuid.uuid4().hex[:6]


def behaviour_checks(
    deployed: DeployedEnv,
    *,
    run_id: str | None = None,
    result_wait: float = RESULT_WAIT_SECONDS,
    quiet_wait: float = DUPLICATE_QUIET_SECONDS,
    also: Callable[[list[Uploaded]], list[Check]] | None = None,
) -> list[Check]:
    """Upload the probes, then check results, a re-delivery and ``POST /process``.

    ``also`` runs more checks while the probes are in the bucket (the least-privilege probes
    read one); the probes are removed at the end whatever happens.
    """
    deployment = deployed.deployment
    clients = deployed.clients
    run = run_id or new_run_id()
    schema = json.loads(SCHEMA_PATH.read_text())
    bucket = deployment.uploads_bucket_name
    checks: list[Check] = []
    uploaded: list[Uploaded] = []
    queue_name = f"sfp-smoke-{run}"[:80]
    try:
        with ResultsQueue(
            clients["sns"], clients["sqs"], deployment.results_topic_arn, queue_name
        ) as q:
            for probe in PROBES:
                uploaded.append(upload(clients["s3"], bucket, run_prefix(deployed, run), probe))
            ours = {item.key for item in uploaded}
            envelopes = _receive_for(q, ours, len(uploaded), result_wait)
            by_key = {envelope["document"].get("key"): envelope for envelope in envelopes}
            for item in uploaded:
                checks.append(
                    _result_check(by_key.get(item.key), item, bucket, schema, result_wait)
                )
            first = uploaded[0]
            checks.append(
                _duplicate_check(deployed, q, first, by_key.get(first.key), ours, quiet_wait)
            )
            checks += _process_checks(deployed, uploaded[1], schema)
            counts = Counter(envelope["document"].get("key") for envelope in envelopes)
            doubles = {key: count for key, count in counts.items() if count > 1}
            checks.append(
                Check(
                    "exactly one result per object",
                    not doubles and len(counts) == len(uploaded),
                    f"{len(counts)}/{len(uploaded)} objects, "
                    + (f"doubles {doubles}" if doubles else "no doubles"),
                )
            )
            if also is not None:
                checks += also(uploaded)
    finally:
        cleanup(clients["s3"], bucket, [(item.key, item.version_id) for item in uploaded])
    return checks


def _receive_for(
    queue: ResultsQueue, keys: set[str], count: int, timeout: float
) -> list[dict[str, Any]]:
    """This run's results (other traffic on the topic is left aside) until ``count`` keys."""
    found: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len({e["document"]["key"] for e in found}) < count:
        for envelope in queue.receive(1, max(0.1, deadline - time.monotonic())):
            document = envelope.get("document")
            if isinstance(document, dict) and document.get("key") in keys:
                found.append(envelope)
    return found


def _result_check(
    envelope: dict[str, Any] | None,
    item: Uploaded,
    bucket: str,
    schema: Mapping[str, Any],
    waited: float,
) -> Check:
    label = f"result: {item.probe.kind} {item.key.rsplit('/', 1)[-1]!r}"
    if envelope is None:
        return Check(
            label,
            False,
            f"no result within {waited:.0f} s: the upload was not processed (read "
            "`invoke logs --function=processor` and `invoke failures`)",
        )
    problems = validate_result(envelope["document"], item, bucket, schema)
    status = envelope.get("MessageAttributes", {}).get("status", {}).get("Value")
    if status != "processed":
        problems.append(f"message attribute status {status!r}")
    return Check(
        label, not problems, "; ".join(problems) or f"{item.probe.sha256[:12]}…, schema ok"
    )


def _duplicate_check(
    deployed: DeployedEnv,
    queue: ResultsQueue,
    item: Uploaded,
    envelope: dict[str, Any] | None,
    keys: set[str],
    quiet: float,
) -> Check:
    name = "duplicate delivery (S3's sequencer) publishes nothing new"
    document = envelope.get("document") if envelope else None
    sequencer = document.get("sequencer") if isinstance(document, dict) else None
    event_time = document.get("event_time") if isinstance(document, dict) else None
    if not sequencer or not event_time:
        return Check(
            name, False, "no delivered event to deliver again (no result with a sequencer)"
        )
    deployment = deployed.deployment
    event = delivered_event(
        deployment.uploads_bucket_name,
        item,
        deployment.region,
        sequencer=sequencer,
        event_time=event_time,
    )
    try:
        answer = invoke_sync(deployed.clients["lambda"], deployment.processor_function_name, event)
    except ToolingError as error:
        return Check(name, False, error.message)
    problems: list[str] = []
    if answer.function_error:
        problems.append(f"the function failed: {json.dumps(answer.payload)[:200]}")
    elif isinstance(answer.payload, dict) and answer.payload.get("duplicates") != 1:
        problems.append(f"the function answered {json.dumps(answer.payload)}, not 1 duplicate")
    extra = [
        envelope
        for envelope in queue.receive(1, quiet)
        if isinstance(envelope.get("document"), dict) and envelope["document"].get("key") in keys
    ]
    if extra:
        problems.append(f"{len(extra)} new message(s) for {[e['document']['key'] for e in extra]}")
    return Check(
        name,
        not problems,
        "; ".join(problems)
        or f"sequencer {sequencer}: reported duplicate, quiet for {quiet:.0f} s",
    )


def _process_checks(
    deployed: DeployedEnv, item: Uploaded, schema: Mapping[str, Any]
) -> list[Check]:
    """``POST /process``: signed → 200 with the object's facts; unsigned → 403 (AWS_IAM)."""
    name = "POST /process (SigV4) answers the same facts"
    refused_name = "POST /process unsigned is refused (AWS_IAM)"
    try:
        answer = api.post_process(deployed, {"key": item.key})
        refused = api.post_process(deployed, {"key": item.key}, signed=False)
    except ToolingError as error:
        return [Check(name, False, error.message), Check(refused_name, False, error.message)]
    if answer.status != 200 or not isinstance(answer.body, dict):
        signed = Check(name, False, f"HTTP {answer.status}: {json.dumps(answer.body)[:200]}")
    else:
        # The API reports the current version of the key; it is the one we uploaded.
        bucket = deployed.deployment.uploads_bucket_name
        problems = validate_result(answer.body, item, bucket, schema)
        if answer.body.get("source") != "api":
            problems.append(f"source {answer.body.get('source')!r}")
        detail = "; ".join(problems) or f"HTTP 200, sha256 {item.probe.sha256[:12]}…"
        signed = Check(name, not problems, detail)
    unsigned = Check(
        refused_name,
        refused.status == 403,
        f"HTTP {refused.status}: {json.dumps(refused.body)[:120]}",
    )
    return [signed, unsigned]
