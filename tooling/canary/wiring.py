"""Wiring checks: the deployed resources are configured as the design promises."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tooling.canary.report import Check, guarded

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from tooling.stack.deployment import Deployment


# What the canary expects is read from the env's outputs (processor_async_config,
# error_rate_alarm, log_retention_in_days, uploads_prefix, alarm_names): a tfvars change moves the
# expectation with it, and nothing here restates a Terraform default.

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

    Checked here because the emulator does not enforce bucket policies (docs/emulator.md): the
    statement must be present all the same.
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
    prefixes = [_prefix_filter(target) for target in matching]
    ok = len(targets) == 1 and len(matching) == 1 and not other
    found = [(t.get("LambdaFunctionArn"), t.get("Events")) for t in targets]
    detail = f"lambda targets {found}" + (f", also {other}" if other else "")
    if matching and prefixes[0] != deployment.uploads_prefix:
        ok = False
        detail += f"; prefix {prefixes[0]!r}, uploads_prefix says {deployment.uploads_prefix!r}"
    return Check(name, ok, detail)


def _prefix_filter(target: Mapping[str, Any]) -> str:
    """A notification's key prefix filter ("" when it has none)."""
    for rule in target.get("Filter", {}).get("Key", {}).get("FilterRules", []):
        if str(rule.get("Name", "")).lower() == "prefix":
            return str(rule.get("Value", ""))
    return ""


def check_event_invoke_config(lambda_client: Any, deployment: Deployment) -> Check:
    """The processor's async config is the env's ``processor_async_config`` output."""
    wanted = deployment.processor_async_config
    name = "processor async config = processor_async_config"
    try:
        found = lambda_client.get_function_event_invoke_config(
            FunctionName=deployment.processor_function_name
        )
    except Exception as error:
        return Check(name, False, f"no event invoke config: {error}")
    retries = found.get("MaximumRetryAttempts")
    age = found.get("MaximumEventAgeInSeconds")
    destination = found.get("DestinationConfig", {}).get("OnFailure", {}).get("Destination")
    problems = [
        f"{label} {value!r}, expected {expected!r}"
        for label, value, expected in (
            ("retries", retries, wanted.maximum_retry_attempts),
            ("max age", age, wanted.maximum_event_age_in_seconds),
            ("on failure", destination, wanted.on_failure_destination_arn),
        )
        if value != expected
    ]
    if destination != deployment.failure_topic_arn:
        problems.append(f"on failure {destination!r} is not the failures topic")
    detail = f"retries {retries}, max age {age} s, on failure → {destination}"
    return Check(name, not problems, "; ".join(problems) or detail)


def check_log_group(logs: Any, deployment: Deployment, function: str) -> Check:
    """A function's log group keeps ``log_retention_in_days`` and is encrypted with the key."""
    group_name = deployment.log_group_of(function)
    name = f"{function} log group: retention + KMS key"
    groups = logs.describe_log_groups(logGroupNamePrefix=group_name)
    group = next((g for g in groups.get("logGroups", []) if g["logGroupName"] == group_name), None)
    if group is None:
        return Check(name, False, f"log group {group_name} not found")
    retention = group.get("retentionInDays")
    key = group.get("kmsKeyId", "")
    expected = deployment.log_retention_in_days
    retention_ok = retention in ALLOWED_RETENTION_DAYS and retention == expected
    ok = retention_ok and _same_key(key, deployment.kms_key_arn)
    return Check(name, ok, f"retention {retention} days (expected {expected}), key {key or 'none'}")


def check_error_rate_alarm(cloudwatch: Any, deployment: Deployment) -> Check:
    """``100 * errors / invocations`` over Lambda sums, safe on 0, as ``error_rate_alarm`` says."""
    wanted = deployment.error_rate_alarm
    name = "error-rate alarm = error_rate_alarm"
    alarms = cloudwatch.describe_alarms(AlarmNames=[wanted.name])
    found = alarms.get("MetricAlarms", [])
    if len(found) != 1:
        return Check(name, False, f"alarm {wanted.name} not found")
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
        if stat.get("Period") != wanted.period_seconds:
            problems.append(f"{metric} period {stat.get('Period')}")
        if query_id not in expression:
            problems.append(f"expression does not use {query_id}")
    compact = expression.replace(" ", "")
    if "100*" not in compact or "/" not in compact:
        problems.append(f"expression {expression!r} is not 100 * errors / invocations")
    # Division by zero must be impossible: a guard (IF … > 0) or FILL() of the denominator.
    if "IF(" not in compact.upper() and "FILL(" not in compact.upper():
        problems.append("no guard against zero invocations")
    if alarm.get("Threshold") != wanted.threshold_percent:
        problems.append(f"threshold {alarm.get('Threshold')}")
    if alarm.get("ComparisonOperator") != "GreaterThanThreshold":
        problems.append(f"operator {alarm.get('ComparisonOperator')}")
    if alarm.get("EvaluationPeriods") != wanted.evaluation_periods:
        problems.append(f"evaluation periods {alarm.get('EvaluationPeriods')}")
    if alarm.get("TreatMissingData") != "notBreaching":
        problems.append(f"missing data {alarm.get('TreatMissingData')}")
    if deployment.alerts_topic_arn not in alarm.get("AlarmActions", []):
        problems.append("alarm action is not the alerts topic")
    detail = "; ".join(problems) or f"{expression} > {alarm.get('Threshold')}"
    return Check(name, not problems, detail)


def check_failures_kept(sns: Any, sqs: Any, deployment: Deployment) -> Check:
    """The failures topic delivers raw to the failures queue: failed events wait there."""
    name = "failed events kept: failures topic → queue (raw)"
    subscriptions = sns.list_subscriptions_by_topic(TopicArn=deployment.failure_topic_arn)
    matching = [
        item
        for item in subscriptions.get("Subscriptions", [])
        if item.get("Protocol") == "sqs" and item.get("Endpoint") == deployment.failures_queue_arn
    ]
    if not matching:
        return Check(name, False, f"{deployment.failures_queue_arn} is not subscribed")
    attributes = sns.get_subscription_attributes(SubscriptionArn=matching[0]["SubscriptionArn"])
    raw = attributes.get("Attributes", {}).get("RawMessageDelivery", "false").lower() == "true"
    queue = sqs.get_queue_attributes(
        QueueUrl=deployment.failures_queue_url, AttributeNames=["MessageRetentionPeriod"]
    )["Attributes"]
    days = int(queue.get("MessageRetentionPeriod", 0)) // 86400
    return Check(name, raw, f"raw delivery {raw}, retention {days} days")


def check_alarms_exist(cloudwatch: Any, deployment: Deployment) -> Check:
    """Every alarm of ``alarm_names`` exists and notifies the alerts topic."""
    name = "every alarm of alarm_names exists → alerts topic"
    wanted = dict(deployment.alarm_names)
    found: dict[str, Any] = {}
    names = sorted(set(wanted.values()))
    for start in range(0, len(names), 100):  # DescribeAlarms takes at most 100 names
        response = cloudwatch.describe_alarms(AlarmNames=names[start : start + 100])
        for alarm in response.get("MetricAlarms", []) + response.get("CompositeAlarms", []):
            found[alarm["AlarmName"]] = alarm
    missing = [key for key, alarm_name in wanted.items() if alarm_name not in found]
    silent = [
        key
        for key, alarm_name in wanted.items()
        if alarm_name in found
        and deployment.alerts_topic_arn not in found[alarm_name].get("AlarmActions", [])
    ]
    problems = [f"missing {missing}"] * bool(missing) + [f"no alerts action {silent}"] * bool(
        silent
    )
    return Check(name, not problems, "; ".join(problems) or f"{len(wanted)} alarms")


def wiring_checks(clients: Mapping[str, Any], deployment: Deployment) -> list[Check]:
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
            "failures kept",
            lambda: check_failures_kept(clients["sns"], clients["sqs"], deployment),
        ),
        ("processor log group", lambda: check_log_group(clients["logs"], deployment, "processor")),
        ("api log group", lambda: check_log_group(clients["logs"], deployment, "api")),
        ("error-rate alarm", lambda: check_error_rate_alarm(clients["cloudwatch"], deployment)),
        ("alarms", lambda: check_alarms_exist(clients["cloudwatch"], deployment)),
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
