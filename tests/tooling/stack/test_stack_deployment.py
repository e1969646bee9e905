"""The env's outputs become a typed Deployment; a missing or malformed output is named."""

from __future__ import annotations

import pytest
from stack_fixtures import outputs

from tooling.core.errors import ToolingError
from tooling.stack.deployment import AsyncConfig, Deployment, ErrorRateAlarm


def test_terraform_output_json_becomes_a_typed_deployment() -> None:
    # GIVEN `terraform output -json` of a deployed env
    deployed = Deployment.from_outputs(outputs(uploads_prefix="incoming/"))
    # THEN strings, numbers and objects come out typed
    assert deployed.api_url.endswith("/test/process")
    assert deployed.uploads_prefix == "incoming/"
    assert deployed.log_retention_in_days == 7
    assert deployed.processor_async_config == AsyncConfig(
        maximum_retry_attempts=2,
        maximum_event_age_in_seconds=3600,
        on_failure_destination_arn=deployed.failure_topic_arn,
    )
    assert deployed.error_rate_alarm == ErrorRateAlarm(
        name=deployed.error_rate_alarm_name,
        threshold_percent=5.0,
        period_seconds=300,
        evaluation_periods=2,
    )
    assert deployed.alarm_names["error_rate"] == deployed.error_rate_alarm_name
    assert deployed.account_id == "123456789012"
    assert deployed.table_arn().endswith(":table/sfp-idempotency-use1-test")


def test_plain_values_work_too_and_an_empty_prefix_means_every_key() -> None:
    plain = {name: item["value"] for name, item in outputs().items()}
    assert Deployment.from_outputs(plain).uploads_prefix == ""


def test_metrics_namespace_may_be_missing() -> None:
    # GIVEN a state from before the Terraform stream added `metrics_namespace`
    values = outputs()
    del values["metrics_namespace"]
    # THEN it is unknown, not an error
    assert Deployment.from_outputs(values).metrics_namespace is None


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        ("kms_key_arn", None, "kms_key_arn"),
        ("failures_queue_url", "", "failures_queue_url"),
        ("log_retention_in_days", "seven", "log_retention_in_days"),
        ("uploads_prefix", None, "uploads_prefix"),
        ("alarm_names", ["a"], "alarm_names"),
        ("processor_async_config", {"maximum_retry_attempts": 2}, "processor_async_config"),
        (
            "error_rate_alarm",
            {"name": "a", "threshold_percent": "5", "period_seconds": 300, "evaluation_periods": 2},
            "error_rate_alarm.threshold_percent",
        ),
    ],
)
def test_a_missing_or_malformed_output_is_named(name: str, value: object, named: str) -> None:
    # GIVEN one output missing or of the wrong type
    values = outputs(**{name: value})
    if value is None:
        del values[name]
    # WHEN read THEN the error names it and says to deploy again
    with pytest.raises(ToolingError, match=named) as raised:
        Deployment.from_outputs(values)
    assert "deploy the env again" in str(raised.value)
