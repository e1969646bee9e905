"""Behaviour checks: probe objects through the deployed stack, duplicates, and POST /process."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

from tooling.canary.probes import PROBES, cleanup, notification_prefix, s3_event, upload
from tooling.canary.report import Check
from tooling.core import paths
from tooling.stack.results import ResultsQueue

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tooling.canary.probes import Uploaded
    from tooling.run.drivers import Driver
    from tooling.stack.deployment import Deployment


SCHEMA_PATH: Path = paths.HANDLER_DIR / "schemas" / "file-result.v1.schema.json"


RESULT_WAIT_SECONDS = 60.0


DUPLICATE_QUIET_SECONDS = 5.0


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


def behaviour_checks(
    clients: Mapping[str, Any],
    deployment: Deployment,
    driver: Driver,
    *,
    run_id: str | None = None,
    result_wait: float = RESULT_WAIT_SECONDS,
    quiet_wait: float = DUPLICATE_QUIET_SECONDS,
) -> list[Check]:
    """Upload the probes, drive the handler, and check results, duplicates and /process."""
    run = run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    schema = json.loads(SCHEMA_PATH.read_text())
    prefix = notification_prefix(clients["s3"], deployment.uploads_bucket_name)
    checks: list[Check] = []
    queue_name = f"sfp-smoke-{run}".replace("T", "t")[:80]
    # Probes are removed whatever happens: on a real env they would otherwise stay in the bucket.
    uploaded: list[Uploaded] = []
    try:
        with ResultsQueue(
            clients["sns"], clients["sqs"], deployment.results_topic_arn, queue_name
        ) as q:
            for probe in PROBES:
                uploaded.append(
                    upload(
                        clients["s3"],
                        deployment.uploads_bucket_name,
                        f"{prefix}smoke/{run}/",
                        probe,
                    )
                )
            events = {
                u.key: s3_event(deployment.uploads_bucket_name, u, deployment.region)
                for u in uploaded
            }
            for item in uploaded:
                driver.deliver(events[item.key])
            envelopes = q.receive(len(uploaded), result_wait)
            by_key = {envelope["document"].get("key"): envelope for envelope in envelopes}
            for item in uploaded:
                envelope = by_key.get(item.key)
                label = f"result: {item.probe.kind} {item.key.rsplit('/', 1)[-1]!r}"
                if envelope is None:
                    checks.append(Check(label, False, f"no result within {result_wait:.0f} s"))
                    continue
                problems = validate_result(
                    envelope["document"], item, deployment.uploads_bucket_name, schema
                )
                attributes = envelope.get("MessageAttributes", {})
                status = attributes.get("status", {}).get("Value")
                if status != "processed":
                    problems.append(f"message attribute status {status!r}")
                checks.append(
                    Check(
                        label,
                        not problems,
                        "; ".join(problems) or f"{item.probe.sha256[:12]}…, schema ok",
                    )
                )
            checks.append(_duplicate_check(driver, events[uploaded[0].key], q, quiet_wait))
            checks.append(
                _process_check(driver, uploaded[1], deployment.uploads_bucket_name, schema)
            )
            # Extras arriving later are caught by the duplicate check's quiet period.
            doubles = len(envelopes) - len(by_key)
            checks.append(
                Check("exactly one result per object", doubles == 0, f"{doubles} extra message(s)")
            )
    finally:
        cleanup(clients["s3"], deployment.uploads_bucket_name, uploaded)
    return checks


def _duplicate_check(
    driver: Driver, event: dict[str, Any], queue: ResultsQueue, quiet: float
) -> Check:
    name = "duplicate delivery publishes nothing new"
    driver.redeliver(event)
    extra = queue.receive(1, quiet)
    keys = [envelope["document"].get("key") for envelope in extra]
    return Check(
        name,
        not extra,
        f"{len(extra)} new message(s) {keys}" if extra else f"quiet for {quiet:.0f} s",
    )


def _process_check(
    driver: Driver, uploaded: Uploaded, bucket: str, schema: Mapping[str, Any]
) -> Check:
    name = "POST /process answers the same facts"
    status, body = driver.process(uploaded.key)
    if status != 200:
        return Check(name, False, f"HTTP {status}: {json.dumps(body)[:200]}")
    # The API reports the current version of the key; it is the one we uploaded.
    problems = validate_result(body, uploaded, bucket, schema)
    if body.get("source") != "api":
        problems.append(f"source {body.get('source')!r}")
    return Check(
        name, not problems, "; ".join(problems) or f"HTTP 200, sha256 {uploaded.probe.sha256[:12]}…"
    )
