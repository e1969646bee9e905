"""The S3 record loop: every delivery path (direct, SNS, SQS, EventBridge) ends here.

Each :class:`~file_processor.events.S3Record` is processed on its own: an object is processed
and published once per version (idempotency), a record that names no object is logged and
counted, a record that asks for nothing is skipped. Transient errors raise, after being counted,
so the delivery path's own retry runs; records published before the error are recognised as
duplicates on the retry.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from file_processor.errors import failure_reason
from file_processor.result import STATUS_PROCESSED

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aws_lambda_powertools import Logger, Tracer

    from file_processor.events import S3Record
    from file_processor.service import IdempotentPublisher, Outcome
    from file_processor.telemetry import Telemetry

_RECORD_KEYS = ["object_key", "version_id"]


@dataclass(slots=True)
class Summary:
    """What happened to the records of one event; the S3 paths return it as a dict."""

    processed: int = 0
    rejected: int = 0
    duplicates: int = 0
    ignored: int = 0

    def add(self, other: Summary) -> None:
        """Add ``other``'s counts to this summary."""
        self.processed += other.processed
        self.rejected += other.rejected
        self.duplicates += other.duplicates
        self.ignored += other.ignored

    def as_dict(self) -> dict[str, int]:
        """``{"processed", "rejected", "duplicates", "ignored"}``."""
        return asdict(self)


class UploadProcessor:
    """Processes S3 records through the idempotent publisher, with logs and metrics."""

    def __init__(
        self,
        publisher: IdempotentPublisher,
        telemetry: Telemetry,
        logger: Logger,
        tracer: Tracer | None = None,
    ) -> None:
        self.publisher = publisher
        self.telemetry = telemetry
        self.logger = logger
        self.tracer = tracer

    def process(self, records: Sequence[S3Record]) -> Summary:
        """Process every record; a transient error raises (after counting it)."""
        summary = Summary()
        self.telemetry.count("RecordsReceived", len(records))
        try:
            for record in records:
                # The previous record's keys must not label this record's logs.
                self.logger.remove_keys(_RECORD_KEYS)
                self._process_one(record, summary)
        finally:
            self.logger.remove_keys(_RECORD_KEYS)
        return summary

    def _process_one(self, record: S3Record, summary: Summary) -> None:
        if record.ignored:
            self.logger.info("record ignored", extra={"why": record.ignored})
            self.telemetry.ignored()
            summary.ignored += 1
            return
        if record.ref is None:
            # No bucket/key to report against: log, count, and move on (retrying cannot help).
            reason = str(record.problem.reason) if record.problem else "unsupported"
            self.logger.error("malformed S3 record", extra={"problem": str(record.problem)})
            self.telemetry.failure(reason)
            summary.rejected += 1
            return
        self.logger.append_keys(object_key=record.ref.key, version_id=record.ref.version_id)
        try:
            with self._subsegment():
                outcome = self.publisher.process(record.ref)
        except Exception as error:
            reason = failure_reason(error)
            self.logger.warning(
                "object not handled; the delivery will be retried",
                extra={"reason": reason, "error": f"{type(error).__name__}: {error}"},
            )
            self.telemetry.failure(reason)
            raise
        self._account(outcome, summary)

    def _subsegment(self) -> Any:
        if self.tracer is None:
            return nullcontext()
        return self.tracer.provider.in_subsegment("## process_object")

    def _account(self, outcome: Outcome, summary: Summary) -> None:
        document = outcome.document
        if not outcome.published:
            self.telemetry.duplicate()
            summary.duplicates += 1
        elif document["status"] == STATUS_PROCESSED:
            self.telemetry.processed(document, outcome.duration_ms)
            summary.processed += 1
        else:
            self.telemetry.failure(document["reason"]["code"])
            summary.rejected += 1
        self.logger.info(
            "object handled",
            extra={
                "status": document["status"],
                "published": outcome.published,
                "size_bytes": document["size_bytes"],
                "content_type": document["content_type"],
            },
        )
