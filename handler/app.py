"""Lambda entry point (``app.lambda_handler`` at the zip root).

One code base serves two functions: ``processor`` (S3 ``ObjectCreated`` notifications, async)
and ``api`` (API Gateway REST proxy, ``POST /process``). Configuration is validated and the AWS
clients are built here, once per container, at import (cold start): a bad deployment fails at
init with a message naming the variable.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

from file_processor import telemetry
from file_processor.api import build_resolver, is_api_event, proxy_error, proxy_shape_problem
from file_processor.aws import build_clients
from file_processor.config import load_config
from file_processor.events import (
    is_s3_event,
    is_s3_test_event,
    parse_s3_record,
    s3_request_id,
)
from file_processor.service import (
    IDEMPOTENCY_KEY_JMESPATH,
    FileService,
    IdempotentPublisher,
    Outcome,
)

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

CONFIG = load_config()
logger = Logger(service=CONFIG.service_name)
metrics = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
# Only botocore is worth patching: the handler makes no other traced calls, and patch_all()
# would also import requests/sqlite3/psycopg patchers at cold start.
tracer = Tracer(service=CONFIG.service_name, patch_modules=["botocore"])

CLIENTS = build_clients(CONFIG.region)
SERVICE = FileService(CONFIG, CLIENTS)
IDEMPOTENCY_CONFIG = IdempotencyConfig(
    event_key_jmespath=IDEMPOTENCY_KEY_JMESPATH,
    raise_on_no_idempotency_key=True,
    expires_after_seconds=CONFIG.idempotency_expiry_seconds,
)
PUBLISHER = IdempotentPublisher(SERVICE, IDEMPOTENCY_CONFIG)
API = build_resolver(SERVICE, logger, metrics)


class UnsupportedEventError(Exception):
    """An event that is neither an S3 notification nor an API Gateway proxy request."""


def _record_metrics(outcome: Outcome) -> None:
    document = outcome.document
    if not outcome.published:
        telemetry.record_duplicate(metrics)
    elif document["status"] == "processed":
        telemetry.record_processed(metrics, document, outcome.duration_ms)
    else:
        telemetry.record_failure(
            CONFIG.metrics_namespace, CONFIG.service_name, document["reason"]["code"]
        )


@tracer.capture_method(capture_response=False)
def handle_s3_event(event: dict[str, Any]) -> dict[str, Any]:
    """Process every record; transient errors raise so Lambda retries the whole event.

    Records already published by an earlier attempt are skipped by the idempotency layer, so a
    retry after a partial failure publishes each object once.
    """
    summary = {"processed": 0, "rejected": 0, "duplicates": 0, "ignored": 0}
    telemetry.record_received(metrics, "RecordsReceived", len(event["Records"]))
    for raw in event["Records"]:
        # The previous record's keys must not label this record's logs.
        logger.remove_keys(["object_key", "version_id"])
        record = parse_s3_record(raw)
        if record.ignored:
            logger.info("record ignored", extra={"why": record.ignored})
            summary["ignored"] += 1
            continue
        if record.ref is None:
            # No bucket/key to report against: log, count, and move on (retrying cannot help).
            reason = str(record.problem.reason) if record.problem else "unsupported"
            logger.error("malformed S3 record", extra={"problem": str(record.problem)})
            telemetry.record_failure(CONFIG.metrics_namespace, CONFIG.service_name, reason)
            summary["rejected"] += 1
            continue
        logger.append_keys(object_key=record.ref.key, version_id=record.ref.version_id)
        outcome = PUBLISHER.process(record.ref)
        _record_metrics(outcome)
        if not outcome.published:
            summary["duplicates"] += 1
        elif outcome.document["status"] == "processed":
            summary["processed"] += 1
        else:
            summary["rejected"] += 1
        logger.info(
            "object handled",
            extra={
                "status": outcome.document["status"],
                "published": outcome.published,
                "size_bytes": outcome.document["size_bytes"],
                "content_type": outcome.document["content_type"],
            },
        )
    return summary


def handle_api_event(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Answer an API Gateway proxy request; always a valid proxy response."""
    telemetry.record_received(metrics, "ApiRequests", 1)
    request_context = event.get("requestContext")
    if isinstance(request_context, dict) and isinstance(request_context.get("requestId"), str):
        logger.set_correlation_id(request_context["requestId"])
    problem = proxy_shape_problem(event)
    if problem:
        logger.warning("malformed proxy event", extra={"problem": problem})
        return proxy_error(400, "invalid_request", problem)
    return API.resolve(event, context)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # responses carry object facts
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """Dispatch S3 notifications and API Gateway requests."""
    if is_api_event(event):
        return handle_api_event(event, context)
    if is_s3_event(event):
        logger.set_correlation_id(s3_request_id(event))
        IDEMPOTENCY_CONFIG.register_lambda_context(context)
        return handle_s3_event(event)
    if is_s3_test_event(event):
        logger.info("S3 test event received; nothing to do")
        telemetry.record_received(metrics, "RecordsReceived", 0)
        return {"processed": 0, "rejected": 0, "duplicates": 0, "ignored": 1}
    telemetry.record_received(metrics, "UnsupportedEvents", 1)
    raise UnsupportedEventError(
        "unsupported event: expected an S3 notification (Records[].eventSource == 'aws:s3') "
        "or an API Gateway REST proxy request (httpMethod, path)"
    )
