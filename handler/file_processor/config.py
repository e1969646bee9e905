"""Configuration from environment variables only, validated once per container (cold start).

A bad deployment must fail loudly at init with a message naming the variable, not later with a
``KeyError`` in the middle of an invocation. :func:`load_config` takes any mapping, so a test or
a local runner builds a :class:`Config` from its own values without touching ``os.environ``.

The metrics namespace and the service name have no default here on purpose: the compute
Terraform module is their one source (it sets ``POWERTOOLS_METRICS_NAMESPACE`` and
``POWERTOOLS_SERVICE_NAME`` on every function and exports ``metrics_namespace`` for alarms and
dashboards), so a second default in the handler could only ever disagree with it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping

# S3 bucket naming rules (the general-purpose subset): 3-63 chars, lower case, digits, dots, dashes.
_BUCKET_RE = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
# arn:<partition>:sns:<region>:<account>:<topic>; moto and real AWS both use 12-digit accounts.
# Standard topics only: FIFO topics need a MessageGroupId on every publish; results carry none.
_TOPIC_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")
_REGION_RE = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_TABLE_RE = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
# CloudWatch namespaces: 1-255 of [A-Za-z0-9 ._/#:-], at least one non-space, never "AWS/...".
_NAMESPACE_RE = re.compile(r"^(?!AWS/)(?=.*[^ ])[A-Za-z0-9 ._/#:-]{1,255}$")
# The service name is a metric dimension value: printable ASCII, no leading space (<= 255 chars).
_SERVICE_RE = re.compile(r"^[!-~][ -~]{0,254}$")

DEFAULT_MAX_OBJECT_BYTES = 2 * 1024**3
# The API answers inside API Gateway's 29 s integration timeout: 64 MiB streams in a few seconds
# even at pessimistic S3 throughput, with room for a cold start.
DEFAULT_MAX_SYNC_OBJECT_BYTES = 64 * 1024**2
# Longer than Lambda's maximum async event age (6 h), so a late retry of an already published
# event still finds its COMPLETED record and does not publish twice.
DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS = 24 * 3600


class ConfigError(Exception):
    """A missing or malformed environment variable; raised at cold start."""


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the handler reads from its environment."""

    region: str
    bucket_name: str
    topic_arn: str
    idempotency_table: str
    max_object_bytes: int
    max_sync_object_bytes: int
    idempotency_expiry_seconds: int
    service_name: str
    metrics_namespace: str


def _required(environ: Mapping[str, str], name: str, pattern: re.Pattern[str], what: str) -> str:
    """Return the stripped value of ``name`` or raise a ConfigError saying what was expected."""
    value = environ.get(name, "").strip()
    if not value:
        raise ConfigError(f"environment variable {name} is missing or empty: set it to {what}")
    if not pattern.match(value):
        raise ConfigError(f"environment variable {name}={value!r} is not {what}")
    return value


def _positive_int(environ: Mapping[str, str], name: str, default: int) -> int:
    """Parse an optional positive integer variable (plain digits, bytes or seconds)."""
    raw = environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(
            f"environment variable {name}={raw!r} is not an integer (expected e.g. {default})"
        ) from None
    if value <= 0:
        raise ConfigError(f"environment variable {name}={raw!r} must be a positive integer")
    return value


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """Read and validate the handler's configuration (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    max_object = _positive_int(env, "MAX_OBJECT_BYTES", DEFAULT_MAX_OBJECT_BYTES)
    max_sync = _positive_int(
        env, "MAX_SYNC_OBJECT_BYTES", min(DEFAULT_MAX_SYNC_OBJECT_BYTES, max_object)
    )
    if max_sync > max_object:
        raise ConfigError(
            f"environment variable MAX_SYNC_OBJECT_BYTES={max_sync} is larger than "
            f"MAX_OBJECT_BYTES={max_object}: the synchronous limit must not exceed the overall one"
        )
    # Lambda sets both; botocore itself only reads AWS_DEFAULT_REGION.
    region = env.get("AWS_REGION", "").strip() or env.get("AWS_DEFAULT_REGION", "").strip()
    if not _REGION_RE.match(region):
        raise ConfigError(
            f"environment variable AWS_REGION={region!r} (or AWS_DEFAULT_REGION) is missing or "
            "not a region name such as eu-west-1"
        )
    return Config(
        region=region,
        bucket_name=_required(env, "BUCKET_NAME", _BUCKET_RE, "an S3 bucket name"),
        topic_arn=_required(env, "TOPIC_ARN", _TOPIC_ARN_RE, "an SNS topic ARN"),
        idempotency_table=_required(env, "IDEMPOTENCY_TABLE", _TABLE_RE, "a DynamoDB table name"),
        max_object_bytes=max_object,
        max_sync_object_bytes=max_sync,
        idempotency_expiry_seconds=_positive_int(
            env, "IDEMPOTENCY_EXPIRY_SECONDS", DEFAULT_IDEMPOTENCY_EXPIRY_SECONDS
        ),
        service_name=_required(
            env,
            "POWERTOOLS_SERVICE_NAME",
            _SERVICE_RE,
            "the service name of the handler's logs and metrics (printable ASCII, e.g. "
            "file-processor; the compute module sets it)",
        ),
        metrics_namespace=_required(
            env,
            "POWERTOOLS_METRICS_NAMESPACE",
            _NAMESPACE_RE,
            "a CloudWatch metrics namespace (letters, digits, spaces and . _ / # : -, not "
            "starting with AWS/; the compute module sets it from its metrics_namespace)",
        ),
    )
