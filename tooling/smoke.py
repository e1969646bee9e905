"""The post-deploy canary: real objects through the deployed stack, plus the promised wiring.

Behaviour: probe objects with awkward keys (space, '+', '%', non-ASCII) and several content
types are uploaded to the deployed bucket; their results are read back from the results topic
through a temporary SQS subscription, validated against the handler's JSON Schema and compared
with the uploaded bytes (size, sha256); a duplicate delivery must publish nothing new; and
``POST /process`` must answer with the same facts.

* On the emulator (moto cannot run Lambda code without Docker) the handler runs in-process
  (:mod:`tooling.local_invoke`) with the S3 events S3 would send and with an API Gateway proxy
  event.
* On real AWS the real notification drives the deployed function; the duplicate is an async
  ``lambda:Invoke`` of the same event (what a redelivery looks like), and ``/process`` is called
  over HTTPS with a SigV4-signed request (the API uses AWS_IAM).

Wiring, through boto3 on the deployed resources: bucket encryption (SSE-KMS with the stack's key)
and notification target, the processor's event-invoke config (2 retries, 180 s, on-failure
destination), the log group's retention and KMS key, the error-rate alarm's metric math and
threshold.

Each check yields a :class:`Check`; :func:`render_table` prints them and the task exits non-zero
when any failed. The check functions take boto3 clients, so tests drive them against moto.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import quote_plus

from tooling import config
from tooling.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence
    from pathlib import Path

SCHEMA_PATH: Path = config.HANDLER_DIR / "schemas" / "file-result.v1.schema.json"

# What the design promises (terraform/modules: compute event-invoke config, monitoring alarm).
EXPECTED_RETRIES = 2
EXPECTED_EVENT_AGE_SECONDS = 180
EXPECTED_ALARM_THRESHOLD = 5.0
EXPECTED_ALARM_PERIOD_SECONDS = 300
EXPECTED_ALARM_EVALUATION_PERIODS = 2
# CloudWatch Logs' allowed retention values (a log group with none keeps logs forever).
ALLOWED_RETENTION_DAYS = frozenset(
    {1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
     2922, 3288, 3653}
)  # fmt: skip

RESULT_WAIT_SECONDS = 60.0
DUPLICATE_QUIET_SECONDS = 5.0


@dataclass(frozen=True)
class Check:
    """One line of the canary's table."""

    name: str
    passed: bool
    detail: str = ""


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


@dataclass(frozen=True)
class Probe:
    """One object the canary uploads, and what its result must say."""

    name: str
    body: bytes
    content_type: str
    kind: str

    @property
    def sha256(self) -> str:
        """Hex sha256 of the body: what the result must report."""
        return hashlib.sha256(self.body).hexdigest()


# Awkward names on purpose: S3 URL-encodes keys in notifications ('+' for a space, %xx for '+',
# '%' and UTF-8), the classic cause of NoSuchKey in handlers (field notes, pain point 7).
PROBES: tuple[Probe, ...] = (
    Probe("hello world.txt", b"first line\nsecond line\nthird line\n", "text/plain", "text"),
    Probe("a+b=c (1).csv", b"id,name,score\n1,alpha,3\n2,beta,5\n", "text/csv", "csv"),
    Probe("100% naïve 日本語.json", b'{"ok": true, "items": [1, 2]}', "application/json", "json"),
    Probe("rows%20plus+.ndjson", b'{"a": 1}\n{"a": 2}\n', "application/x-ndjson", "ndjson"),
    Probe("bytes.bin", bytes(range(256)) * 16, "application/octet-stream", "binary"),
)  # fmt: skip


@dataclass
class Uploaded:
    """A probe as it landed in the bucket."""

    probe: Probe
    key: str
    version_id: str | None
    etag: str
    sequencer: str = field(default_factory=lambda: f"{time.time_ns():016X}")


# --- S3 and API events -------------------------------------------------------------------------


def s3_event(bucket: str, uploaded: Uploaded, region: str) -> dict[str, Any]:
    """The ``ObjectCreated:Put`` notification S3 sends for ``uploaded`` (key URL-encoded)."""
    s3_object: dict[str, Any] = {
        # S3 encodes keys like quote_plus, keeping '/': a space arrives as '+', '+' as '%2B'.
        "key": quote_plus(uploaded.key, safe="/"),
        "size": len(uploaded.probe.body),
        "eTag": uploaded.etag,
        "sequencer": uploaded.sequencer,
    }
    if uploaded.version_id:
        s3_object["versionId"] = uploaded.version_id
    return {
        "Records": [
            {
                "eventVersion": "2.1",
                "eventSource": "aws:s3",
                "awsRegion": region,
                "eventTime": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "eventName": "ObjectCreated:Put",
                "userIdentity": {"principalId": "AWS:SMOKE"},
                "requestParameters": {"sourceIPAddress": "127.0.0.1"},
                "responseElements": {
                    "x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                    "x-amz-id-2": uuid.uuid4().hex,
                },
                "s3": {
                    "s3SchemaVersion": "1.0",
                    "configurationId": "process-new-objects",
                    "bucket": {
                        "name": bucket,
                        "ownerIdentity": {"principalId": "SMOKE"},
                        "arn": f"arn:aws:s3:::{bucket}",
                    },
                    "object": s3_object,
                },
            }
        ]
    }


def api_event(key: str, *, stage: str = "smoke") -> dict[str, Any]:
    """An API Gateway REST proxy (payload v1) event for ``POST /process`` with ``{"key": key}``."""
    request_id = str(uuid.uuid4())
    return {
        "resource": "/process",
        "path": "/process",
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "multiValueHeaders": {"Content-Type": ["application/json"]},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/process",
            "httpMethod": "POST",
            "path": f"/{stage}/process",
            "stage": stage,
            "requestId": request_id,
            "identity": {"sourceIp": "127.0.0.1"},
        },
        "body": json.dumps({"key": key}),
        "isBase64Encoded": False,
    }


# --- results through a temporary SQS subscription ------------------------------------------


class ResultsQueue:
    """An SQS queue subscribed to a topic for the duration of a ``with`` block."""

    def __init__(self, sns: Any, sqs: Any, topic_arn: str, name: str) -> None:
        self.sns = sns
        self.sqs = sqs
        self.topic_arn = topic_arn
        self.name = name
        self.queue_url = ""
        self.subscription_arn = ""

    def __enter__(self) -> ResultsQueue:
        self.queue_url = self.sqs.create_queue(QueueName=self.name)["QueueUrl"]
        queue_arn = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url, AttributeNames=["QueueArn"]
        )["Attributes"]["QueueArn"]
        # SNS may deliver only from this topic (the policy real SQS needs; moto ignores it).
        policy = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "sns.amazonaws.com"},
                    "Action": "sqs:SendMessage",
                    "Resource": queue_arn,
                    "Condition": {"ArnEquals": {"aws:SourceArn": self.topic_arn}},
                }
            ],
        }
        self.sqs.set_queue_attributes(
            QueueUrl=self.queue_url, Attributes={"Policy": json.dumps(policy)}
        )
        self.subscription_arn = self.sns.subscribe(
            TopicArn=self.topic_arn, Protocol="sqs", Endpoint=queue_arn, ReturnSubscriptionArn=True
        )["SubscriptionArn"]
        return self

    def __exit__(self, *_: object) -> None:
        with contextlib.suppress(Exception):
            self.sns.unsubscribe(SubscriptionArn=self.subscription_arn)
        with contextlib.suppress(Exception):
            self.sqs.delete_queue(QueueUrl=self.queue_url)

    def receive(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """Up to ``count`` SNS envelopes (``Message`` parsed as ``document``) within ``timeout``."""
        received: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while len(received) < count and time.monotonic() < deadline:
            wait = max(0, min(5, int(deadline - time.monotonic())))
            response = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=wait
            )
            for message in response.get("Messages", []):
                envelope = json.loads(message["Body"])
                envelope["document"] = json.loads(envelope["Message"])
                received.append(envelope)
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return received


# --- wiring checks (boto3 clients in, Check out) -------------------------------------------


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
    """The processor's async config: 2 retries, 180 s max age, on-failure → the failures topic."""
    name = "processor async config: 2 retries, 180 s, on-failure topic"
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
    return [_guarded(name, run) for name, run in runs]


# --- behaviour ------------------------------------------------------------------------------


class Driver:
    """How events reach the handler: in-process on the emulator, the real thing on AWS."""

    def deliver(self, event: dict[str, Any]) -> None:
        """Deliver an S3 event the first time (on AWS, S3 already did)."""

    def redeliver(self, event: dict[str, Any]) -> None:
        """Deliver the same S3 event again (a duplicate delivery)."""
        raise NotImplementedError

    def process(self, key: str) -> tuple[int, dict[str, Any]]:
        """``POST /process {"key": key}`` → (status code, JSON body)."""
        raise NotImplementedError


def validate_result(
    document: Mapping[str, Any], uploaded: Uploaded, bucket: str, schema: Mapping[str, Any]
) -> list[str]:
    """Problems with one result document (empty when it is right)."""
    import jsonschema  # the tooling's dev dependency; only the canary needs it

    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    problems = [f"schema: {error.message}" for error in validator.iter_errors(document)]
    expected = {
        "status": "processed",
        "bucket": bucket,
        "key": uploaded.key,
        "size_bytes": len(uploaded.probe.body),
        "sha256": uploaded.probe.sha256,
        "kind": uploaded.probe.kind,
    }
    if uploaded.version_id:
        expected["version_id"] = uploaded.version_id
    problems += [
        f"{name} {document.get(name)!r} != {value!r}"
        for name, value in expected.items()
        if document.get(name) != value
    ]
    return problems


def behaviour_checks(
    clients: Mapping[str, Any],
    deployment: Deployment,
    driver: Driver,
    *,
    run_id: str | None = None,
    result_wait: float = RESULT_WAIT_SECONDS,
    quiet_wait: float = DUPLICATE_QUIET_SECONDS,
) -> list[Check]:
    """Upload the probes, drive the handler, and check results, duplicates and /process."""
    run = run_id or time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    schema = json.loads(SCHEMA_PATH.read_text())
    prefix = _notification_prefix(clients["s3"], deployment.uploads_bucket_name)
    checks: list[Check] = []
    queue_name = f"sfp-smoke-{run}".replace("T", "t")[:80]
    # Probes are removed whatever happens: on a real env they would otherwise stay in the bucket.
    uploaded: list[Uploaded] = []
    try:
        with ResultsQueue(
            clients["sns"], clients["sqs"], deployment.results_topic_arn, queue_name
        ) as q:
            for probe in PROBES:
                uploaded.append(
                    _upload(
                        clients["s3"],
                        deployment.uploads_bucket_name,
                        f"{prefix}smoke/{run}/",
                        probe,
                    )
                )
            events = {
                u.key: s3_event(deployment.uploads_bucket_name, u, deployment.region)
                for u in uploaded
            }
            for item in uploaded:
                driver.deliver(events[item.key])
            envelopes = q.receive(len(uploaded), result_wait)
            by_key = {envelope["document"].get("key"): envelope for envelope in envelopes}
            for item in uploaded:
                envelope = by_key.get(item.key)
                label = f"result: {item.probe.kind} {item.key.rsplit('/', 1)[-1]!r}"
                if envelope is None:
                    checks.append(Check(label, False, f"no result within {result_wait:.0f} s"))
                    continue
                problems = validate_result(
                    envelope["document"], item, deployment.uploads_bucket_name, schema
                )
                attributes = envelope.get("MessageAttributes", {})
                status = attributes.get("status", {}).get("Value")
                if status != "processed":
                    problems.append(f"message attribute status {status!r}")
                checks.append(
                    Check(
                        label,
                        not problems,
                        "; ".join(problems) or f"{item.probe.sha256[:12]}…, schema ok",
                    )
                )
            checks.append(_duplicate_check(driver, events[uploaded[0].key], q, quiet_wait))
            checks.append(
                _process_check(driver, uploaded[1], deployment.uploads_bucket_name, schema)
            )
            # Extras arriving later are caught by the duplicate check's quiet period.
            doubles = len(envelopes) - len(by_key)
            checks.append(
                Check("exactly one result per object", doubles == 0, f"{doubles} extra message(s)")
            )
    finally:
        _cleanup(clients["s3"], deployment.uploads_bucket_name, uploaded)
    return checks


def _duplicate_check(
    driver: Driver, event: dict[str, Any], queue: ResultsQueue, quiet: float
) -> Check:
    name = "duplicate delivery publishes nothing new"
    driver.redeliver(event)
    extra = queue.receive(1, quiet)
    keys = [envelope["document"].get("key") for envelope in extra]
    return Check(
        name,
        not extra,
        f"{len(extra)} new message(s) {keys}" if extra else f"quiet for {quiet:.0f} s",
    )


def _process_check(
    driver: Driver, uploaded: Uploaded, bucket: str, schema: Mapping[str, Any]
) -> Check:
    name = "POST /process answers the same facts"
    status, body = driver.process(uploaded.key)
    if status != 200:
        return Check(name, False, f"HTTP {status}: {json.dumps(body)[:200]}")
    # The API reports the current version of the key; it is the one we uploaded.
    problems = validate_result(body, uploaded, bucket, schema)
    if body.get("source") != "api":
        problems.append(f"source {body.get('source')!r}")
    return Check(
        name, not problems, "; ".join(problems) or f"HTTP 200, sha256 {uploaded.probe.sha256[:12]}…"
    )


def _upload(s3: Any, bucket: str, prefix: str, probe: Probe) -> Uploaded:
    key = prefix + probe.name
    response = s3.put_object(
        Bucket=bucket, Key=key, Body=probe.body, ContentType=probe.content_type
    )
    return Uploaded(probe, key, response.get("VersionId"), response.get("ETag", "").strip('"'))


def _cleanup(s3: Any, bucket: str, uploaded: Sequence[Uploaded]) -> None:
    """Delete the probe versions we wrote (best effort: a canary must not fail on cleanup)."""
    for item in uploaded:
        with contextlib.suppress(Exception):
            if item.version_id:
                s3.delete_object(Bucket=bucket, Key=item.key, VersionId=item.version_id)
            else:
                s3.delete_object(Bucket=bucket, Key=item.key)


def _notification_prefix(s3: Any, bucket: str) -> str:
    """The notification's key prefix filter, so probes land where the processor listens."""
    with contextlib.suppress(Exception):
        targets = s3.get_bucket_notification_configuration(Bucket=bucket).get(
            "LambdaFunctionConfigurations", []
        )
        for target in targets:
            for rule in target.get("Filter", {}).get("Key", {}).get("FilterRules", []):
                if rule.get("Name", "").lower() == "prefix":
                    return str(rule.get("Value", ""))
    return ""


# --- helpers -------------------------------------------------------------------------------


def _same_key(found: str, expected_arn: str) -> bool:
    """A KMS key reference (ARN, id or alias ARN) matches the stack's key ARN."""
    if not found:
        return False
    return found == expected_arn or found == expected_arn.rsplit("/", 1)[-1]


def _unqualified(function_arn: str) -> str:
    """``arn:…:function:name:alias`` → ``arn:…:function:name``."""
    parts = function_arn.split(":")
    return ":".join(parts[:7]) if len(parts) > 7 else function_arn


def _guarded(name: str, run: Callable[[], Check]) -> Check:
    try:
        return run()
    except Exception as error:
        return Check(name, False, f"{type(error).__name__}: {error}")


def render_table(checks: Sequence[Check]) -> str:
    """The pass/fail table the task prints."""
    width = max((len(check.name) for check in checks), default=10)
    lines = [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  ------"]
    lines += [
        f"{check.name:<{width}}  {'PASS' if check.passed else 'FAIL':<6}  {check.detail}"
        for check in checks
    ]
    failed = sum(not check.passed for check in checks)
    lines.append(f"{len(checks) - failed}/{len(checks)} checks passed")
    return "\n".join(lines)


def aws_clients(region: str, *, endpoint: str | None = None) -> dict[str, Any]:
    """boto3 clients (s3, sns, sqs, lambda, logs, cloudwatch); fake creds when ``endpoint``."""
    import boto3  # slow import: only when the canary or local invoke runs

    from tooling import emulator

    if endpoint:
        session = boto3.Session(
            aws_access_key_id=emulator.FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=emulator.FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
            region_name=region,
        )
    else:
        session = boto3.Session(region_name=region)
    names = ("s3", "sns", "sqs", "lambda", "logs", "cloudwatch")
    return {name: session.client(name, endpoint_url=endpoint) for name in names}


class AwsDriver(Driver):
    """Real AWS: S3 already delivered; redeliver = async invoke; /process = signed HTTPS."""

    def __init__(self, lambda_client: Any, deployment: Deployment) -> None:
        self.lambda_client = lambda_client
        self.deployment = deployment

    def redeliver(self, event: dict[str, Any]) -> None:
        """What a duplicate S3 delivery is: the same event, invoked asynchronously again."""
        self.lambda_client.invoke(
            FunctionName=self.deployment.processor_function_name,
            InvocationType="Event",
            Payload=json.dumps(event).encode(),
        )

    def process(self, key: str) -> tuple[int, dict[str, Any]]:
        """``POST api_url`` signed with SigV4 for execute-api (the API uses AWS_IAM auth)."""
        import urllib.error
        import urllib.request

        import boto3
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        body = json.dumps({"key": key}).encode()
        request = AWSRequest(
            method="POST",
            url=self.deployment.api_url,
            data=body,
            headers={"Content-Type": "application/json"},
        )
        credentials = boto3.Session().get_credentials()
        if credentials is None:
            raise ToolingError("no AWS credentials to sign the /process request")
        SigV4Auth(
            credentials.get_frozen_credentials(), "execute-api", self.deployment.region
        ).add_auth(request)
        prepared = urllib.request.Request(  # noqa: S310 - the deployed API's https URL
            self.deployment.api_url, data=body, headers=dict(request.headers), method="POST"
        )
        try:
            with urllib.request.urlopen(prepared, timeout=30) as response:  # noqa: S310
                return int(response.status), json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return int(error.code), json.loads(error.read() or b"{}")


def expected_retention(env: str) -> int | None:
    """``log_retention_in_days`` from the env's terraform.tfvars (None when not set there)."""
    import hcl2

    tfvars = config.env_root(env) / "terraform.tfvars"
    if not tfvars.is_file():
        return None
    with tfvars.open() as handle:
        value: Any = hcl2.load(handle).get("log_retention_in_days")
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return int(value) if isinstance(value, int | float | str) and str(value).isdigit() else None


def run_smoke(env: str, *, emulated: bool = False) -> list[Check]:
    """The canary for ``env``: behaviour + wiring checks on the deployed stack."""
    from tooling import deploy, emulator, local_invoke

    name = config.resolve_env(env)
    on_emulator = emulated or name == config.LOCAL_ENV
    deployment = Deployment.from_outputs(deploy.output(name, emulated=on_emulator))
    driver: Driver
    if on_emulator:
        endpoint = emulator.ensure_running(emulator.default_emulator())
        clients = aws_clients(deployment.region, endpoint=endpoint)
        deployed = local_invoke.deployed_variables(
            clients["lambda"], deployment.processor_function_name
        )
        environment = local_invoke.handler_environment(deployment, endpoint, deployed)
        # The canary prints a table; the EMF metric lines would only bury it.
        environment["POWERTOOLS_METRICS_DISABLED"] = "true"
        handler = local_invoke.load_handler(environment)
        driver = local_invoke.InProcessDriver(handler, deployment)
        # In-process publishing is synchronous: results are in SQS by the time we look.
        waits = {"result_wait": 10.0, "quiet_wait": 2.0}
    else:
        clients = aws_clients(deployment.region)
        driver = AwsDriver(clients["lambda"], deployment)
        waits = {"result_wait": RESULT_WAIT_SECONDS, "quiet_wait": 20.0}
    checks = _guarded_list(
        "behaviour", lambda: behaviour_checks(clients, deployment, driver, **waits)
    )
    return checks + wiring_checks(clients, deployment, expected_retention(name))


def _guarded_list(name: str, run: Callable[[], list[Check]]) -> list[Check]:
    try:
        return run()
    except ToolingError:
        raise
    except Exception as error:
        return [Check(name, False, f"{type(error).__name__}: {error}")]


def iter_failures(checks: Sequence[Check]) -> Iterator[Check]:
    """The failed checks, in order."""
    return (check for check in checks if not check.passed)
