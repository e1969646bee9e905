"""A deployed env seen from outside: its outputs as a typed record, and boto3 clients for it.

The outputs are the contract every env root exports (``terraform/envs/_shared/outputs.tf``,
listed in docs/terraform.md). Everything the canary expects and every resource the operator
commands touch is read from them, never copied from Terraform defaults: a tfvars change moves
the expectation too.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError
from tooling.core.local_aws import FAKE_CREDENTIALS

if TYPE_CHECKING:
    from collections.abc import Mapping

CLIENT_NAMES: tuple[str, ...] = (
    "s3",
    "sns",
    "sqs",
    "lambda",
    "logs",
    "cloudwatch",
    "sts",
    "iam",
    "dynamodb",
)


@dataclass(frozen=True)
class AsyncConfig:
    """``processor_async_config``: what Lambda does with an event the processor failed on."""

    maximum_retry_attempts: int
    maximum_event_age_in_seconds: int
    on_failure_destination_arn: str


@dataclass(frozen=True)
class ErrorRateAlarm:
    """``error_rate_alarm``: the processor's error-rate alarm and what it fires on."""

    name: str
    threshold_percent: float
    period_seconds: int
    evaluation_periods: int


@dataclass(frozen=True)
class Deployment:
    """The outputs every env root exports; what the canary and the operator commands work from."""

    region: str
    uploads_bucket_name: str
    results_topic_arn: str
    failure_topic_arn: str
    alerts_topic_arn: str
    idempotency_table_name: str
    processor_function_name: str
    api_function_name: str
    api_url: str
    processor_log_group_name: str
    api_log_group_name: str
    kms_key_arn: str
    error_rate_alarm_name: str
    failures_queue_url: str
    failures_queue_arn: str
    dashboard_name: str
    uploads_prefix: str
    log_retention_in_days: int
    processor_async_config: AsyncConfig
    error_rate_alarm: ErrorRateAlarm
    alarm_names: Mapping[str, str] = field(default_factory=dict)
    # Added by the Terraform stream this round; older states lack it (None = unknown).
    metrics_namespace: str | None = None

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> Deployment:
        """Build from ``terraform output -json`` (``{"name": {"value": …}}``) or plain values.

        Every missing or malformed output is named in one error, so a half-deployed env (or one
        deployed before an output was added) says exactly what to re-deploy.
        """
        values = {name: _unwrap(raw) for name, raw in outputs.items()}
        problems: list[str] = []
        found: dict[str, Any] = {}
        for name in _STRING_OUTPUTS:
            value = values.get(name)
            if isinstance(value, str) and value:
                found[name] = value
            else:
                problems.append(name)
        prefix = values.get("uploads_prefix")
        if isinstance(prefix, str):
            found["uploads_prefix"] = prefix  # "" = the notification listens on every key
        else:
            problems.append("uploads_prefix")
        retention = values.get("log_retention_in_days")
        if _is_number(retention):
            found["log_retention_in_days"] = int(retention)
        else:
            problems.append("log_retention_in_days")
        found["processor_async_config"] = _record(
            AsyncConfig, values.get("processor_async_config"), "processor_async_config", problems
        )
        found["error_rate_alarm"] = _record(
            ErrorRateAlarm, values.get("error_rate_alarm"), "error_rate_alarm", problems
        )
        alarms = values.get("alarm_names")
        if isinstance(alarms, dict) and all(isinstance(v, str) for v in alarms.values()):
            found["alarm_names"] = dict(alarms)
        else:
            problems.append("alarm_names")
        namespace = values.get("metrics_namespace")
        found["metrics_namespace"] = namespace if isinstance(namespace, str) and namespace else None
        if problems:
            raise ToolingError(
                f"the deployed env lacks the output(s) {', '.join(problems)} (or they have the "
                "wrong type)",
                hint="deploy the env again (`invoke deploy --env=…`): every env root exports the "
                "outputs in terraform/envs/_shared/outputs.tf",
            )
        return cls(**found)

    @property
    def uploads_bucket_arn(self) -> str:
        """The uploads bucket's ARN (S3 ARNs carry no region or account)."""
        return f"arn:aws:s3:::{self.uploads_bucket_name}"

    @property
    def account_id(self) -> str:
        """The account the stack lives in (from the results topic's ARN)."""
        return self.results_topic_arn.split(":")[4]

    @property
    def partition(self) -> str:
        """``aws``, ``aws-cn``, ``aws-us-gov``… (from the results topic's ARN)."""
        return self.results_topic_arn.split(":")[1]

    def table_arn(self) -> str:
        """The idempotency table's ARN."""
        return (
            f"arn:{self.partition}:dynamodb:{self.region}:{self.account_id}:"
            f"table/{self.idempotency_table_name}"
        )

    def log_group_of(self, function: str) -> str:
        """The log group of ``processor`` or ``api``."""
        return self.api_log_group_name if function == "api" else self.processor_log_group_name

    def function_name_of(self, function: str) -> str:
        """The deployed name of ``processor`` or ``api``."""
        return self.api_function_name if function == "api" else self.processor_function_name


# Outputs whose value must be a non-empty string: every ``str`` field of Deployment (one list;
# ``uploads_prefix`` may be empty and is read on its own).
_STRING_OUTPUTS: tuple[str, ...] = tuple(
    item.name for item in fields(Deployment) if item.type == "str" and item.name != "uploads_prefix"
)


def _unwrap(raw: Any) -> Any:
    """``{"value": v, "type": …, "sensitive": …}`` (``terraform output -json``) → ``v``."""
    if isinstance(raw, dict) and "value" in raw and set(raw) <= {"value", "type", "sensitive"}:
        return raw["value"]
    return raw


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _record(kind: type, value: Any, name: str, problems: list[str]) -> Any:
    """An output object as ``kind``; its name goes to ``problems`` when it does not fit."""
    wanted = kind.__dataclass_fields__
    if not isinstance(value, dict) or not set(wanted) <= set(value):
        problems.append(name)
        return None
    converted: dict[str, Any] = {}
    for key, spec in wanted.items():
        item = value[key]
        if spec.type == "str" and isinstance(item, str) and item:
            converted[key] = item
        elif spec.type == "int" and _is_number(item):
            converted[key] = int(item)
        elif spec.type == "float" and _is_number(item):
            converted[key] = float(item)
        else:
            problems.append(f"{name}.{key}")
            return None
    return kind(**converted)


def aws_clients(
    region: str, *, endpoint: str | None = None, credentials: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """boto3 clients (:data:`CLIENT_NAMES`). With ``endpoint`` (the emulator) they sign with
    ``credentials`` (``AWS_ACCESS_KEY_ID``/``…SECRET…``/``…SESSION_TOKEN`` as env vars: those of
    the env's own moto account), by default the fake ones of moto's default account."""
    import boto3  # slow import: only when a command talks to a deployed env

    if endpoint:
        chosen = credentials or FAKE_CREDENTIALS
        session = boto3.Session(
            aws_access_key_id=chosen["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=chosen["AWS_SECRET_ACCESS_KEY"],
            aws_session_token=chosen.get("AWS_SESSION_TOKEN") if credentials else None,
            region_name=region,
        )
    else:
        session = boto3.Session(region_name=region)
    return {name: session.client(name, endpoint_url=endpoint) for name in CLIENT_NAMES}
