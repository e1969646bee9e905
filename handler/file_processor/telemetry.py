"""EMF metrics: files processed, bytes processed, failures by reason, processing duration."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit, single_metric

if TYPE_CHECKING:
    from aws_lambda_powertools import Metrics


def record_processed(metrics: Metrics, document: dict[str, Any], duration_ms: float) -> None:
    """Count one processed object, its bytes and how long it took."""
    metrics.add_metric(name="FilesProcessed", unit=MetricUnit.Count, value=1)
    metrics.add_metric(name="BytesProcessed", unit=MetricUnit.Bytes, value=document["size_bytes"])
    metrics.add_metric(name="ProcessingDuration", unit=MetricUnit.Milliseconds, value=duration_ms)


def record_failure(namespace: str, service: str, reason: str) -> None:
    """Count one failure with its reason as a dimension (its own EMF blob, flushed at once)."""
    with single_metric(
        name="Failures",
        unit=MetricUnit.Count,
        value=1,
        namespace=namespace,
        default_dimensions={"service": service},
    ) as metric:
        metric.add_dimension(name="reason", value=reason)


def record_duplicate(metrics: Metrics) -> None:
    """Count a delivery skipped because the object version was already published."""
    metrics.add_metric(name="DuplicatesSkipped", unit=MetricUnit.Count, value=1)


def record_received(metrics: Metrics, name: str, count: int) -> None:
    """Count what an invocation received (so every invocation flushes at least one metric)."""
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=count)
