"""SQS batches (S3 → SQS, S3 → SNS → SQS, EventBridge → SQS) with partial batch responses.

Each message is unwrapped (:mod:`file_processor.envelopes`) and its S3 records processed like a
direct notification. A message that fails — a transient error, or a body that carries no S3
notification — is reported in ``batchItemFailures``, so only that message returns to the queue
(and reaches the queue's dead-letter queue after ``maxReceiveCount`` receives); the others are
deleted. This needs ``ReportBatchItemFailures`` in the event source mapping's
``FunctionResponseTypes``: without it Lambda ignores the list and deletes the whole batch. When
every message fails, the invocation raises instead, so nothing is lost even then.

Powertools' batch processor does the bookkeeping (and, for FIFO queues, fails the rest of a
failed message group so its order holds).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    SqsFifoPartialProcessor,
)

from file_processor.envelopes import records_in_message
from file_processor.errors import UnsupportedEventError, failure_reason
from file_processor.uploads import Summary

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    from file_processor.telemetry import Telemetry
    from file_processor.uploads import UploadProcessor


def _is_fifo(records: list[dict[str, Any]]) -> bool:
    arn = records[0].get("eventSourceARN") if records else None
    return isinstance(arn, str) and arn.endswith(".fifo")


class QueueBatchHandler:
    """Handles one SQS batch; returns the partial batch response."""

    def __init__(self, uploads: UploadProcessor, telemetry: Telemetry, logger: Logger) -> None:
        self.uploads = uploads
        self.telemetry = telemetry
        self.logger = logger

    def handle(self, event: dict[str, Any]) -> dict[str, Any]:
        """Process ``event["Records"]``; returns ``{"batchItemFailures": [...]}``.

        Raises the first message's error when every message failed.
        """
        records: list[dict[str, Any]] = event["Records"]
        summary = Summary()
        processor: BatchProcessor
        if _is_fifo(records):
            # Other message groups are independent: only the failed group's later messages wait.
            processor = SqsFifoPartialProcessor(skip_group_on_error=True)
        else:
            processor = BatchProcessor(event_type=EventType.SQS)
        processor.raise_on_entire_batch_failure = False  # raised below, with the real error

        def message(record: SQSRecord) -> None:
            self._message(record, summary)

        with processor(records=records, handler=message):
            processor.process()
        response = processor.response()
        failed = len(response["batchItemFailures"])
        self.telemetry.count("BatchItemFailures", failed)
        self.logger.info(
            "batch handled", extra={"messages": len(records), "failed": failed, **summary.as_dict()}
        )
        if failed and failed == len(records) and processor.exceptions:
            # Raising returns every message to the queue whatever the mapping's response types.
            first = processor.exceptions[0][1]
            self.logger.error("every message of the batch failed", extra={"messages": failed})
            if first is not None:
                raise first
        return response

    def _message(self, record: SQSRecord, summary: Summary) -> None:
        """Process one message; raising marks it failed (Powertools catches and records it)."""
        self.logger.set_correlation_id(record.message_id)
        what = f"an SQS message from {record.event_source_arn}"
        try:
            records = records_in_message(record.raw_event.get("body"), what=what)
        except UnsupportedEventError as error:
            self.logger.error(
                "SQS message without an S3 notification; returned to the queue",
                extra={"message_id": record.message_id, "problem": error.description},
            )
            self.telemetry.failure(failure_reason(error))
            self.telemetry.count("UnsupportedEvents")
            raise
        summary.add(self.uploads.process(records))
