"""The ``AWS/Lambda`` metrics Lambda publishes, published by the emulator's runtime.

On AWS, Lambda itself writes ``Invocations``, ``Errors``, ``Throttles`` and ``Duration`` per
function (dimension ``FunctionName``) for every invocation, and ``DestinationDeliveryFailures``
when an async record cannot be delivered ("Using CloudWatch metrics with Lambda", Lambda
developer guide). Without them on the emulator the stack's alarms (error rate, throttles,
duration, delivery failures) had nothing to evaluate and ``invoke status`` showed zeros, however
much the functions ran. They are written into moto's CloudWatch backend in-process, so
GetMetricData/GetMetricStatistics and the alarms read them like any other metric.

Counting follows Lambda's: a throttled request is a ``Throttles`` datum and not an invocation;
every attempt that ran (synchronous, or one try of an async event) is one ``Invocations``, plus
one ``Errors`` when it ended in a function error (exception, timeout, crash).

Installed by :mod:`tooling.emulator.server`; moto is imported only when a metric is written.
"""

from __future__ import annotations

import logging
from typing import Any

NAMESPACE = "AWS/Lambda"
LOG = logging.getLogger(__name__)


def invocation_metrics(status: str, duration_ms: float) -> list[tuple[str, float, str]]:
    """(metric name, value, unit) that one invocation outcome adds, as Lambda counts them."""
    if status == "throttled":
        return [("Throttles", 1.0, "Count")]
    metrics = [("Invocations", 1.0, "Count"), ("Duration", float(duration_ms), "Milliseconds")]
    metrics.append(("Errors", 1.0 if status == "function_error" else 0.0, "Count"))
    return metrics


def record_invocation(
    account_id: str, region: str, function_name: str, status: str, duration_ms: float
) -> None:
    """Publish the metrics of one invocation of ``function_name``."""
    _put(account_id, region, function_name, invocation_metrics(status, duration_ms))


def record_destination_failure(account_id: str, region: str, function_name: str) -> None:
    """Publish one ``DestinationDeliveryFailures`` datum for ``function_name``."""
    _put(account_id, region, function_name, [("DestinationDeliveryFailures", 1.0, "Count")])


def _put(
    account_id: str, region: str, function_name: str, metrics: list[tuple[str, float, str]]
) -> None:
    from moto.cloudwatch.models import cloudwatch_backends

    # No Timestamp: moto stamps the datum with its own (naive UTC) clock, as PutMetricData does.
    data: list[dict[str, Any]] = [
        {
            "MetricName": name,
            "Value": value,
            "Unit": unit,
            "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
        }
        for name, value, unit in metrics
    ]
    try:
        cloudwatch_backends[account_id][region].put_metric_data(NAMESPACE, data)
    except Exception:  # a metric must never break an invocation
        LOG.exception("sfp-emulator: could not record AWS/Lambda metrics of %s", function_name)
