"""The canary's wiring checks against resources built in moto, expectations from the outputs."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest
from stack_fixtures import (
    API_LOG_GROUP,
    BUCKET,
    PROCESSOR,
    TLS_ONLY_POLICY,
    deployment,
    put_alarm,
)

from tooling.canary import report, wiring
from tooling.stack.deployment import AsyncConfig, Deployment, ErrorRateAlarm


@pytest.fixture
def wired(aws: dict[str, Any], stack: Deployment) -> Deployment:
    aws["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(TLS_ONLY_POLICY))
    return stack


def test_every_wiring_check_passes_on_the_designed_stack(
    aws: dict[str, Any], wired: Deployment
) -> None:
    # GIVEN the stack wired as the outputs describe it
    # WHEN the wiring checks run
    checks = wiring.wiring_checks(aws, wired)
    # THEN all pass, each naming what it saw
    assert [(c.name, c.detail) for c in checks if not c.passed] == []
    assert len(checks) == 9
    details = {c.name: c.detail for c in checks}
    assert "retries 2, max age 3600 s" in details["processor async config = processor_async_config"]
    assert "retention 7 days (expected 7)" in details["api log group: retention + KMS key"]
    assert details["failed events kept: failures topic → queue (raw)"] == (
        "raw delivery True, retention 14 days"
    )
    assert details["every alarm of alarm_names exists → alerts topic"] == "3 alarms"


def test_async_expectations_come_from_the_outputs_not_from_terraform_defaults(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN an env whose outputs say 1 retry and 300 s (a tfvars change), deployed with 2 / 3600
    changed = dataclasses.replace(
        stack,
        processor_async_config=AsyncConfig(1, 300, stack.failure_topic_arn),
    )
    # WHEN checked THEN the check fails naming both values
    check = wiring.check_event_invoke_config(aws["lambda"], changed)
    assert not check.passed
    assert "retries 2, expected 1" in check.detail
    assert "max age 3600, expected 300" in check.detail
    # AND the deployment as it is passes
    assert wiring.check_event_invoke_config(aws["lambda"], stack).passed


def test_missing_event_invoke_config_fails(aws: dict[str, Any], stack: Deployment) -> None:
    aws["lambda"].delete_function_event_invoke_config(FunctionName=PROCESSOR)
    check = wiring.check_event_invoke_config(aws["lambda"], stack)
    assert not check.passed
    assert "no event invoke config" in check.detail


def test_aes256_encryption_fails_the_encryption_check(
    aws: dict[str, Any], stack: Deployment
) -> None:
    aws["s3"].put_bucket_encryption(
        Bucket=BUCKET,
        ServerSideEncryptionConfiguration={
            "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}]
        },
    )
    check = wiring.check_bucket_encryption(aws["s3"], stack)
    assert not check.passed
    assert check.detail.startswith("AES256")


def test_a_bucket_policy_without_the_tls_deny_fails(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN the TLS statement only covers the objects, not the bucket
    statement = {**TLS_ONLY_POLICY["Statement"][0], "Resource": f"arn:aws:s3:::{BUCKET}/*"}
    aws["s3"].put_bucket_policy(
        Bucket=BUCKET, Policy=json.dumps({**TLS_ONLY_POLICY, "Statement": [statement]})
    )
    # WHEN checked THEN it fails; with the full statement it passes
    assert not wiring.check_bucket_tls_only(aws["s3"], stack).passed
    aws["s3"].put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(TLS_ONLY_POLICY))
    assert (
        wiring.check_bucket_tls_only(aws["s3"], stack).detail == "statement DenyInsecureTransport"
    )


def test_notification_to_another_target_fails(aws: dict[str, Any], stack: Deployment) -> None:
    queue_url = aws["sqs"].create_queue(QueueName="elsewhere")["QueueUrl"]
    queue_arn = aws["sqs"].get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    aws["s3"].put_bucket_notification_configuration(
        Bucket=BUCKET,
        NotificationConfiguration={
            "QueueConfigurations": [{"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"]}]
        },
    )
    check = wiring.check_bucket_notification(aws["s3"], aws["lambda"], stack)
    assert not check.passed
    assert "QueueConfigurations" in check.detail


def test_a_notification_prefix_other_than_uploads_prefix_fails(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN the outputs say uploads land under incoming/, the notification listens on every key
    expecting = dataclasses.replace(stack, uploads_prefix="incoming/")
    # WHEN checked THEN the mismatch is named
    check = wiring.check_bucket_notification(aws["s3"], aws["lambda"], expecting)
    assert not check.passed
    assert "prefix '', uploads_prefix says 'incoming/'" in check.detail


def test_log_group_retention_is_the_outputs(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN the env's outputs say 30 days, the api group keeps 7
    expecting = dataclasses.replace(stack, log_retention_in_days=30)
    check = wiring.check_log_group(aws["logs"], expecting, "api")
    assert not check.passed
    assert "retention 7 days (expected 30)" in check.detail
    # AND a group that is not there fails too
    aws["logs"].delete_log_group(logGroupName=API_LOG_GROUP)
    assert "not found" in wiring.check_log_group(aws["logs"], stack, "api").detail


@pytest.mark.parametrize(
    ("changes", "problem"),
    [
        ({"Threshold": 10.0}, "threshold 10.0"),
        ({"EvaluationPeriods": 1, "DatapointsToAlarm": 1}, "evaluation periods 1"),
        ({"expression": "100 * errors / invocations"}, "no guard against zero invocations"),
        ({"expression": "errors"}, "does not use invocations"),
        ({"period": 60}, "Errors period 60"),
        ({"TreatMissingData": "breaching"}, "missing data breaching"),
    ],
)
def test_error_rate_alarm_deviations_fail(
    aws: dict[str, Any], stack: Deployment, changes: dict[str, Any], problem: str
) -> None:
    put_alarm(aws["cloudwatch"], stack.alerts_topic_arn, **changes)
    check = wiring.check_error_rate_alarm(aws["cloudwatch"], stack)
    assert not check.passed
    assert problem in check.detail


def test_error_rate_expectations_come_from_the_outputs(
    aws: dict[str, Any], stack: Deployment
) -> None:
    # GIVEN an env whose outputs promise a 10 % threshold over 3 periods of 60 s
    expecting = dataclasses.replace(
        stack, error_rate_alarm=ErrorRateAlarm(stack.error_rate_alarm.name, 10.0, 60, 3)
    )
    # WHEN the deployed (5 %, 2 x 300 s) alarm is checked THEN each difference is named
    detail = wiring.check_error_rate_alarm(aws["cloudwatch"], expecting).detail
    for problem in ("threshold 5.0", "evaluation periods 2", "Errors period 300"):
        assert problem in detail


def test_failed_events_not_kept_fails(aws: dict[str, Any], stack: Deployment) -> None:
    # GIVEN the queue's subscription was removed by hand
    for item in aws["sns"].list_subscriptions_by_topic(TopicArn=stack.failure_topic_arn)[
        "Subscriptions"
    ]:
        aws["sns"].unsubscribe(SubscriptionArn=item["SubscriptionArn"])
    # THEN the check says the queue is not subscribed
    check = wiring.check_failures_kept(aws["sns"], aws["sqs"], stack)
    assert not check.passed
    assert "is not subscribed" in check.detail


def test_an_alarm_missing_from_cloudwatch_is_named(aws: dict[str, Any], stack: Deployment) -> None:
    aws["cloudwatch"].delete_alarms(AlarmNames=[stack.alarm_names["throttles"]])
    check = wiring.check_alarms_exist(aws["cloudwatch"], stack)
    assert not check.passed
    assert "missing ['throttles']" in check.detail


def test_a_crashing_check_is_reported_not_raised(aws: dict[str, Any]) -> None:
    # GIVEN outputs of a stack that does not exist at all
    nothing = deployment()
    # WHEN the wiring checks run THEN every one fails, none raises
    checks = wiring.wiring_checks(aws, nothing)
    assert len(checks) == 9
    assert not any(check.passed for check in checks)


def test_table_lists_every_check_and_counts_failures() -> None:
    table = report.render_table(
        [report.Check("a", True, "fine"), report.Check("longer name", False, "broken")]
    )
    lines = table.splitlines()
    assert lines[2].split() == ["a", "PASS", "fine"]
    assert lines[3].split() == ["longer", "name", "FAIL", "broken"]
    assert lines[-1] == "1/2 checks passed"
