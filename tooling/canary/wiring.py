"""Wiring checks: the deployed resources are configured as the design promises."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tooling.canary.report import Check, guarded
from tooling.core import envs

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tooling.stack.deployment import Deployment


# What the design promises (terraform/modules: compute event-invoke config, monitoring alarm).
EXPECTED_RETRIES = 2


EXPECTED_EVENT_AGE_SECONDS = 3600


EXPECTED_ALARM_THRESHOLD = 5.0


EXPECTED_ALARM_PERIOD_SECONDS = 300


EXPECTED_ALARM_EVALUATION_PERIODS = 2


# CloudWatch Logs' allowed retention values (a log group with none keeps logs forever).
ALLOWED_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip


def check_bucket_encryption(s3: Any, deployment: Deployment) -> Check:
    """Default encryption is SSE-KMS with the stack's key (and an S3 bucket key)."""
    name = "bucket encryption: SSE-KMS with the stack key"
    try:
        rules = s3.get_bucket_encryption(Bucket=deployment.uploads_bucket_name)[
            "ServerSideEncryptionConfiguration"
        ]["Rules"]
    except Exception as error:
        return Check(name, False, f"no encryption configuration: {error}")
    default = rules[0].get("ApplyServerSideEncryptionByDefault", {}) if rules else {}
    algorithm = default.get("SSEAlgorithm")
    key = default.get("KMSMasterKeyID", "")
    ok = algorithm == "aws:kms" and _same_key(key, deployment.kms_key_arn)
    bucket_key = bool(rules and rules[0].get("BucketKeyEnabled"))
    return Check(name, ok and bucket_key, f"{algorithm}, key {key}, bucket key {bucket_key}")


def check_bucket_tls_only(s3: Any, deployment: Deployment) -> Check:
    """The bucket policy denies every request that is not over TLS.

    Checked here because the emulator does not enforce bucket policies (see
    ``tooling/emulator_server.py``): the statement must be present all the same.
    """
    name = "bucket policy: TLS only"
    try:
        policy = json.loads(s3.get_bucket_policy(Bucket=deployment.uploads_bucket_name)["Policy"])
    except Exception as error:
        return Check(name, False, f"no bucket policy: {error}")
    statements = policy.get("Statement", [])
    bucket_arn = f"arn:aws:s3:::{deployment.uploads_bucket_name}"
    for statement in statements if isinstance(statements, list) else [statements]:
        condition = statement.get("Condition", {}).get("Bool", {})
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if (
            statement.get("Effect") == "Deny"
            and str(condition.get("aws:SecureTransport", "")).lower() == "false"
            and "s3:*" in actions
            and {bucket_arn, f"{bucket_arn}/*"} <= set(resources)
        ):
            return Check(name, True, f"statement {statement.get('Sid', '(no Sid)')}")
    return Check(name, False, "no Deny s3:* on bucket and objects when aws:SecureTransport=false")


def check_bucket_notification(s3: Any, lambda_client: Any, deployment: Deployment) -> Check:
    """Exactly one ObjectCreated notification, targeting the processor function."""
    name = "bucket notification → processor"
    processor_arn = lambda_client.get_function(FunctionName=deployment.processor_function_name)[
        "Configuration"
    ]["FunctionArn"]
    notification = s3.get_bucket_notification_configuration(Bucket=deployment.uploads_bucket_name)
    targets = notification.get("LambdaFunctionConfigurations", [])
    matching = [
        target
        for target in targets
        if _unqualified(target.get("LambdaFunctionArn", "")) == processor_arn
        and any(event.startswith("s3:ObjectCreated:") for event in target.get("Events", []))
    ]
    other = [key for key in ("TopicConfigurations", "QueueConfigurations") if notification.get(key)]
    ok = len(targets) == 1 and len(matching) == 1 and not other
    found = [(t.get("LambdaFunctionArn"), t.get("Events")) for t in targets]
    return Check(name, ok, f"lambda targets {found}" + (f", also {other}" if other else ""))


def check_event_invoke_config(lambda_client: Any, deployment: Deployment) -> Check:
    """The processor's async config: 2 retries, 3600 s max age, on-failure → the failures topic."""
    name = "processor async config: 2 retries, 3600 s, on-failure topic"
    try:
        found = lambda_client.get_function_event_invoke_config(
            FunctionName=deployment.processor_function_name
        )
    except Exception as error:
        return Check(name, False, f"no event invoke config: {error}")
    retries = found.get("MaximumRetryAttempts")
    age = found.get("MaximumEventAgeInSeconds")
    destination = found.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    ok = (
        retries == EXPECTED_RETRIES
        and age == EXPECTED_EVENT_AGE_SECONDS
        and destination == deployment.failure_topic_arn
    )
    return Check(name, ok, f"retries {retries}, max age {age} s, on failure → {destination}")


def check_log_group(
    logs: Any, deployment: Deployment, expected_retention: int | None = None
) -> Check:
    """The processor's log group has a retention (the env's, when known) and the stack's key."""
    name = "processor log group: retention + KMS key"
    groups = logs.describe_log_groups(logGroupNamePrefix=deployment.processor_log_group_name)
    wanted_name = deployment.processor_log_group_name
    group = next((g for g in groups.get("logGroups", []) if g["logGroupName"] == wanted_name), None)
    if group is None:
        return Check(name, False, f"log group {deployment.processor_log_group_name} not found")
    retention = group.get("retentionInDays")
    key = group.get("kmsKeyId", "")
    retention_ok = retention in ALLOWED_RETENTION_DAYS and (
        expected_retention is None or retention == expected_retention
    )
    ok = retention_ok and _same_key(key, deployment.kms_key_arn)
    wanted = f" (expected {expected_retention})" if expected_retention is not None else ""
    return Check(name, ok, f"retention {retention} days{wanted}, key {key or 'none'}")


def check_error_rate_alarm(cloudwatch: Any, deployment: Deployment) -> Check:
    """``100 * errors / invocations`` over 5-minute Lambda sums, > 5 for 2 periods, safe on 0."""
    name = "error-rate alarm: metric math > 5 % over 2 x 5 min"
    alarms = cloudwatch.describe_alarms(AlarmNames=[deployment.error_rate_alarm_name])
    found = alarms.get("MetricAlarms", [])
    if len(found) != 1:
        return Check(name, False, f"alarm {deployment.error_rate_alarm_name} not found")
    alarm = found[0]
    queries = {query["Id"]: query for query in alarm.get("Metrics", [])}
    stats = {
        query["MetricStat"]["Metric"]["MetricName"]: (query["Id"], query["MetricStat"])
        for query in queries.values()
        if "MetricStat" in query
    }
    problems: list[str] = []
    expression = next(
        (q.get("Expression", "") for q in queries.values() if q.get("ReturnData")), ""
    )
    for metric in ("Errors", "Invocations"):
        if metric not in stats:
            problems.append(f"no {metric} metric")
            continue
        query_id, stat = stats[metric]
        dimensions = {d["Name"]: d["Value"] for d in stat["Metric"].get("Dimensions", [])}
        if stat["Metric"].get("Namespace") != "AWS/Lambda" or stat.get("Stat") != "Sum":
            problems.append(f"{metric} is not an AWS/Lambda Sum")
        if dimensions.get("FunctionName") != deployment.processor_function_name:
            problems.append(f"{metric} is not for {deployment.processor_function_name}")
        if stat.get("Period") != EXPECTED_ALARM_PERIOD_SECONDS:
            problems.append(f"{metric} period {stat.get('Period')}")
        if query_id not in expression:
            problems.append(f"expression does not use {query_id}")
    compact = expression.replace(" ", "")
    if "100*" not in compact or "/" not in compact:
        problems.append(f"expression {expression!r} is not 100 * errors / invocations")
    # Division by zero must be impossible: a guard (IF … > 0) or FILL() of the denominator.
    if "IF(" not in compact.upper() and "FILL(" not in compact.upper():
        problems.append("no guard against zero invocations")
    if alarm.get("Threshold") != EXPECTED_ALARM_THRESHOLD:
        problems.append(f"threshold {alarm.get('Threshold')}")
    if alarm.get("ComparisonOperator") != "GreaterThanThreshold":
        problems.append(f"operator {alarm.get('ComparisonOperator')}")
    if alarm.get("EvaluationPeriods") != EXPECTED_ALARM_EVALUATION_PERIODS:
        problems.append(f"evaluation periods {alarm.get('EvaluationPeriods')}")
    if alarm.get("TreatMissingData") != "notBreaching":
        problems.append(f"missing data {alarm.get('TreatMissingData')}")
    if deployment.alerts_topic_arn not in alarm.get("AlarmActions", []):
        problems.append("alarm action is not the alerts topic")
    detail = "; ".join(problems) or f"{expression} > {alarm.get('Threshold')}"
    return Check(name, not problems, detail)


def wiring_checks(
    clients: Mapping[str, Any], deployment: Deployment, expected_retention: int | None = None
) -> list[Check]:
    """All wiring checks, each isolated so one crash does not hide the others."""
    runs: list[tuple[str, Callable[[], Check]]] = [
        ("bucket encryption", lambda: check_bucket_encryption(clients["s3"], deployment)),
        ("bucket policy", lambda: check_bucket_tls_only(clients["s3"], deployment)),
        (
            "bucket notification",
            lambda: check_bucket_notification(clients["s3"], clients["lambda"], deployment),
        ),
        ("async config", lambda: check_event_invoke_config(clients["lambda"], deployment)),
        (
            "log group",
            lambda: check_log_group(clients["logs"], deployment, expected_retention),
        ),
        ("error-rate alarm", lambda: check_error_rate_alarm(clients["cloudwatch"], deployment)),
    ]
    return [guarded(name, run) for name, run in runs]


def _same_key(found: str, expected_arn: str) -> bool:
    """A KMS key reference (ARN, id or alias ARN) matches the stack's key ARN."""
    if not found:
        return False
    return found == expected_arn or found == expected_arn.rsplit("/", 1)[-1]


def _unqualified(function_arn: str) -> str:
    """``arn:…:function:name:alias`` → ``arn:…:function:name``."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else function_arn


def expected_retention(env: str) -> int | None:
    """``log_retention_in_days`` from the env's terraform.tfvars (None when not set there)."""
    import hcl2

    tfvars = envs.env_root(env) / "terraform.tfvars"
    if not tfvars.is_file():
        return None
    with tfvars.open() as handle:
        value: Any = hcl2.load(handle).get("log_retention_in_days")
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None
