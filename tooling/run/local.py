"""Run the real handler in-process against a deployed env on the emulator (no Docker needed).

moto cannot execute Lambda code without Docker, so ``invoke local --event FILE`` plays the
Lambda runtime itself: it puts ``handler/`` first on ``sys.path`` (as ``/var/task`` is on
Lambda), sets the environment the compute module gives the function (bucket, topic, table,
Powertools settings) plus the emulator endpoint and fake credentials, imports ``app`` and calls
``app.lambda_handler(event, FakeContext())``. What the handler published is read back through an
SQS queue subscribed to the results topic for the duration of the run.

Sample events name the placeholder bucket ``sfp-uploads-example``; records are re-pointed at the
deployed bucket, and the objects they name are uploaded from ``handler/events/objects/`` first
(when a body exists there), with the event's ``versionId`` replaced by the uploaded version.
"""

from __future__ import annotations

import base64
import importlib
import json
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote_plus

from tooling.core import envs, paths
from tooling.core.errors import ToolingError
from tooling.core.local_aws import FAKE_CREDENTIALS
from tooling.deploy import flows
from tooling.emulator import lifecycle
from tooling.run.drivers import Driver
from tooling.stack.deployment import Deployment, aws_clients
from tooling.stack.events import api_event
from tooling.stack.results import ResultsQueue

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from types import ModuleType

SAMPLE_BUCKET = "sfp-uploads-example"
OBJECTS_DIR: Path = paths.HANDLER_DIR / "events" / "objects"
SERVICE_NAME = "file-processor"
METRICS_NAMESPACE = "ServerlessFileProcessor"
# After an in-process call the publish already happened; SQS just needs a moment to show it.
MESSAGE_WAIT_SECONDS = 3.0


@dataclass
class FakeContext:
    """The parts of Lambda's context object the handler and Powertools read."""

    function_name: str = "sfp-processor-local"
    function_version: str = "$LATEST"
    memory_limit_in_mb: int = 512
    timeout_seconds: int = 300
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    invoked_function_arn: str = ""
    log_group_name: str = ""
    log_stream_name: str = "local/[$LATEST]in-process"
    _started: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if not self.invoked_function_arn:
            self.invoked_function_arn = (
                f"arn:aws:lambda:us-east-1:123456789012:function:{self.function_name}"
            )
        if not self.log_group_name:
            self.log_group_name = f"/aws/lambda/{self.function_name}"

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left of the configured timeout, like the real context."""
        elapsed = time.monotonic() - self._started
        return max(0, int((self.timeout_seconds - elapsed) * 1000))


def deployed_variables(lambda_client: Any, function_name: str) -> dict[str, str]:
    """The function's own environment variables as deployed (size limits, Powertools settings)."""
    configuration = lambda_client.get_function_configuration(FunctionName=function_name)
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def handler_environment(
    deployment: Deployment, endpoint: str, deployed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The function's environment (``deployed``, read from the emulator), pointed at the emulator.

    The deployed variables carry what tfvars set (size limits, service name, namespace); the
    emulator's endpoint, fake credentials and region are laid over them, and tracing is off (no
    X-Ray daemon here). The log level stays WARNING unless the shell sets one, so a DEBUG env
    does not bury the printed response.
    """
    return {
        "POWERTOOLS_SERVICE_NAME": SERVICE_NAME,
        "POWERTOOLS_METRICS_NAMESPACE": METRICS_NAMESPACE,
        **(deployed or {}),
        **FAKE_CREDENTIALS,
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_REGION": deployment.region,
        "AWS_DEFAULT_REGION": deployment.region,
        "BUCKET_NAME": deployment.uploads_bucket_name,
        "TOPIC_ARN": deployment.results_topic_arn,
        "IDEMPOTENCY_TABLE": deployment.idempotency_table_name,
        # No X-Ray daemon on a laptop: the tracer would only log connection errors.
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING"),
    }


def load_handler(environment: Mapping[str, str], handler_dir: Path | None = None) -> ModuleType:
    """Import ``app`` fresh with ``environment`` set, ``handler/`` first on sys.path.

    The handler reads its config and builds its clients at import (cold start), so an ``app``
    imported earlier with another environment is dropped and imported again.
    """
    os.environ.update(environment)
    directory = str(handler_dir or paths.HANDLER_DIR)
    if sys.path[:1] != [directory]:
        sys.path.insert(0, directory)
    for name in list(sys.modules):
        if name == "app" or name == "file_processor" or name.startswith("file_processor."):
            del sys.modules[name]
    return importlib.import_module("app")


class InProcessDriver(Driver):
    """Deliver events by calling the imported handler, as Lambda would."""

    def __init__(self, handler: ModuleType, deployment: Deployment) -> None:
        self.handler = handler
        self.deployment = deployment
        self.responses: list[Any] = []

    def deliver(self, event: dict[str, Any]) -> None:
        """Call the processor function's handler with an S3 event."""
        context = FakeContext(function_name=self.deployment.processor_function_name)
        self.responses.append(self.handler.lambda_handler(event, context))

    def redeliver(self, event: dict[str, Any]) -> None:
        """A duplicate delivery is just the same call again."""
        self.deliver(event)

    def process(self, key: str) -> tuple[int, dict[str, Any]]:
        """Call the API function's handler with a proxy event for ``POST /process``."""
        context = FakeContext(function_name=self.deployment.api_function_name, timeout_seconds=20)
        response = self.handler.lambda_handler(api_event(key), context)
        return int(response["statusCode"]), json.loads(response.get("body") or "{}")


@dataclass
class LocalRun:
    """What ``invoke local`` prints."""

    response: Any
    messages: list[dict[str, Any]]
    uploaded: list[str]

    def describe(self) -> str:
        """Response and published messages, as readable JSON."""
        lines = []
        if self.uploaded:
            lines.append("uploaded: " + ", ".join(self.uploaded))
        lines += ["response:", json.dumps(self.response, indent=2, ensure_ascii=False)]
        lines.append(f"published to the results topic: {len(self.messages)} message(s)")
        for envelope in self.messages:
            attributes = {
                name: value.get("Value")
                for name, value in envelope.get("MessageAttributes", {}).items()
            }
            lines.append("attributes: " + json.dumps(attributes, sort_keys=True))
            lines.append(json.dumps(envelope["document"], indent=2, ensure_ascii=False))
        return "\n".join(lines)


def retarget_event(
    event: dict[str, Any], s3: Any, bucket: str, objects_dir: Path = OBJECTS_DIR
) -> list[str]:
    """Point an S3 sample event at ``bucket``; upload the bodies it names. Returns keys uploaded.

    A body for key ``K`` is read from ``objects_dir/K`` (the decoded key); a record whose body
    is missing is left as is (e.g. the sample for a missing object).
    """
    uploaded: list[str] = []
    versions: dict[str, str | None] = {}
    api_key = _api_request_key(event)
    if api_key and (objects_dir / api_key).is_file():
        # API samples name objects too; the caller never names a bucket (BUCKET_NAME is used).
        s3.put_object(Bucket=bucket, Key=api_key, Body=(objects_dir / api_key).read_bytes())
        uploaded.append(api_key)
    for record in event.get("Records", []):
        target = record.get("s3") if isinstance(record, dict) else None
        if not isinstance(target, dict):
            continue
        target.setdefault("bucket", {})
        target["bucket"]["name"] = bucket
        target["bucket"]["arn"] = f"arn:aws:s3:::{bucket}"
        s3_object = target.get("object", {})
        key = unquote_plus(str(s3_object.get("key", "")))
        body_path = objects_dir / key
        if not key or not body_path.is_file():
            continue
        if key not in versions:
            response = s3.put_object(Bucket=bucket, Key=key, Body=body_path.read_bytes())
            versions[key] = response.get("VersionId")
            uploaded.append(key)
        s3_object["size"] = body_path.stat().st_size
        if versions[key]:
            s3_object["versionId"] = versions[key]
        else:
            s3_object.pop("versionId", None)
    return uploaded


def _api_request_key(event: Mapping[str, Any]) -> str | None:
    """The ``key`` of an API Gateway proxy event's JSON body (base64 or not), if any."""
    body = event.get("body") if "httpMethod" in event else None
    if not isinstance(body, str):
        return None
    try:
        text = base64.b64decode(body).decode() if event.get("isBase64Encoded") else body
        key = json.loads(text).get("key")
    except (ValueError, AttributeError):
        return None  # the malformed-body samples: nothing to upload
    return key if isinstance(key, str) and key else None


def run_event(
    event: dict[str, Any],
    deployment: Deployment,
    endpoint: str,
    clients: Mapping[str, Any],
    *,
    objects_dir: Path = OBJECTS_DIR,
) -> LocalRun:
    """Run one event through the handler in-process; collect what it published."""
    uploaded = retarget_event(event, clients["s3"], deployment.uploads_bucket_name, objects_dir)
    function = (
        deployment.api_function_name
        if "httpMethod" in event
        else deployment.processor_function_name
    )
    deployed = deployed_variables(clients["lambda"], function)
    handler = load_handler(handler_environment(deployment, endpoint, deployed))
    queue_name = f"sfp-local-{uuid.uuid4().hex[:8]}"
    with ResultsQueue(
        clients["sns"], clients["sqs"], deployment.results_topic_arn, queue_name
    ) as queue:
        response = handler.lambda_handler(event, FakeContext(function_name=function))
        messages = queue.receive(len(event.get("Records", [])) or 1, MESSAGE_WAIT_SECONDS)
    return LocalRun(response, messages, uploaded)


def run_local(env: str, event_file: Path, *, emulated: bool = False) -> LocalRun:
    """``invoke local``: read the env's outputs, run ``event_file`` through the handler.

    Only on the emulator: ``local``, or a real env's root with ``emulated=True``. A real env's
    outputs would point the in-process handler at real resources with fake credentials.
    """
    if envs.resolve_env(env) != envs.LOCAL_ENV and not emulated:
        raise ToolingError(
            f"`invoke local` runs the handler against the emulator, not the real {env} account",
            hint=f"use --env=local, or --env={env} --emulated after `invoke deploy --env={env} "
            "--emulated`; on AWS the deployed function runs itself (`invoke smoke`)",
        )
    try:
        event = json.loads(event_file.read_text())
    except (OSError, ValueError) as error:
        raise ToolingError(
            f"cannot read the event {event_file}: {error}",
            hint="pass a JSON event file, e.g. --event handler/events/<name>.json",
        ) from error
    outputs = flows.output(env, emulated=emulated)
    deployment = Deployment.from_outputs(outputs)
    endpoint = lifecycle.ensure_running(lifecycle.default_emulator())
    clients = aws_clients(deployment.region, endpoint=endpoint)
    return run_event(event, deployment, endpoint, clients)
