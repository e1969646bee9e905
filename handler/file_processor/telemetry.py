"""EMF metrics of the handler, one method per fact (names are stable: dashboards read them).

- ``RecordsReceived`` (Count): the S3 records an invocation carried, whatever the path.
- ``FilesProcessed`` (Count), ``BytesProcessed`` (Bytes), ``ProcessingDuration`` (ms): one
  object processed (S3 paths: and published; API: and answered).
- ``DuplicatesSkipped`` (Count): an object version an earlier delivery already published.
- ``RecordsIgnored`` (Count): records that ask for nothing (ObjectRemoved, S3 test events...).
- ``Failures`` (Count, dimension ``reason``): a rejected object (its result's reason code), a
  malformed record, an API client error, an unsupported event (``unsupported_event``), or a
  record that raised (``transient``, ``internal_error``).
- ``ApiRequests`` (Count): API Gateway REST requests.
- ``UnsupportedEvents`` (Count): events (or SQS / SNS messages) of a shape not served.
- ``BatchItemFailures`` (Count): SQS messages handed back to the queue for a retry.

``Failures`` goes out at once in its own EMF document (``single_metric``), so it is emitted even
when the invocation then raises; the others are flushed by ``Metrics.log_metrics`` at the end of
every invocation, failed or not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics


class Telemetry:
    """The handler's metrics, bound to one Powertools ``Metrics`` and its namespace/service."""

    def __init__(self, metrics: Metrics, *, namespace: str, service: str) -> None:
        self.metrics = metrics
        self.namespace = namespace
        self.service = service

    def count(self, name: str, value: int = 1) -> None:
        """Add ``value`` to the counter ``name`` (also zero: every invocation flushes a metric)."""
        self.metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)

    def processed(self, document: dict[str, Any], duration_ms: float) -> None:
        """Count one processed object, its bytes and how long it took."""
        self.count("FilesProcessed")
        self.metrics.add_metric(
            name="BytesProcessed", unit=MetricUnit.Bytes, value=document["size_bytes"]
        )
        self.metrics.add_metric(
            name="ProcessingDuration", unit=MetricUnit.Milliseconds, value=duration_ms
        )

    def duplicate(self) -> None:
        """Count a delivery skipped because the object version was already published."""
        self.count("DuplicatesSkipped")

    def ignored(self) -> None:
        """Count a record that asks for nothing (not an ObjectCreated event)."""
        self.count("RecordsIgnored")

    def failure(self, reason: str) -> None:
        """Count one failure with its reason as a dimension (its own EMF blob, flushed at once)."""
        with single_metric(
            name="Failures",
            unit=MetricUnit.Count,
            value=1,
            namespace=self.namespace,
            default_dimensions={"service": self.service},
        ) as metric:
            metric.add_dimension(name="reason", value=str(reason))
