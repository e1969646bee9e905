"""A deployed env seen from outside: its outputs as a typed record, and boto3 clients for it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError
from tooling.core.local_aws import FAKE_CREDENTIALS

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class Deployment:
    """The outputs every env root exports (see the shared brief); what the canary works from."""

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
    kms_key_arn: str
    error_rate_alarm_name: str

    @classmethod
    def from_outputs(cls, outputs: Mapping[str, Any]) -> Deployment:
        """Build from ``terraform output -json`` (``{"name": {"value": …}}``) or plain values."""
        values: dict[str, str] = {}
        missing: list[str] = []
        for item in fields(cls):
            raw = outputs.get(item.name)
            value = raw.get("value") if isinstance(raw, dict) else raw
            if not isinstance(value, str) or not value:
                missing.append(item.name)
            else:
                values[item.name] = value
        if missing:
            raise ToolingError(
                f"the deployed env has no output(s) {', '.join(missing)}",
                hint="deploy the env first (`invoke deploy --env=…`); every env root must "
                "export the outputs the canary reads",
            )
        return cls(**values)


def aws_clients(region: str, *, endpoint: str | None = None) -> dict[str, Any]:
    """boto3 clients (s3, sns, sqs, lambda, logs, cloudwatch); fake creds when ``endpoint``."""
    import boto3  # slow import: only when the canary or local invoke runs

    if endpoint:
        session = boto3.Session(
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=region,
        )
    else:
        session = boto3.Session(region_name=region)
    names = ("s3", "sns", "sqs", "lambda", "logs", "cloudwatch")
    return {name: session.client(name, endpoint_url=endpoint) for name in names}
