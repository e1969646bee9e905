"""Run the real handler in this process, for a debugger: ``invoke local --in-process``.

Plays the Lambda runtime: ``handler/`` on ``sys.path`` (as ``/var/task`` is on Lambda), a config
built from the deployed function's own environment variables with the env's bucket/topic/table
laid over them, clients pointed at the emulator with the fake credentials, then the handler's
``build_application(config, clients=…).handle(event, FakeContext())`` — no ``os.environ`` or
``sys.modules`` surgery: the application is built from its config (docs/handler.md), without
the entry point's Powertools decorators (logs go to this terminal at WARNING unless
``POWERTOOLS_LOG_LEVEL`` says otherwise; metrics are dropped, there is no CloudWatch to read them).
"""

from __future__ import annotations

import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.core.local_aws import FAKE_CREDENTIALS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tooling.stack.deployment import Deployment


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


def deployed_configuration(lambda_client: Any, function_name: str) -> dict[str, Any]:
    """The function's configuration as deployed (variables, timeout, memory)."""
    return dict(lambda_client.get_function_configuration(FunctionName=function_name))


def deployed_variables(lambda_client: Any, function_name: str) -> dict[str, str]:
    """The function's own environment variables as deployed (size limits, Powertools settings)."""
    configuration = deployed_configuration(lambda_client, function_name)
    return dict(configuration.get("Environment", {}).get("Variables", {}))


def handler_settings(
    deployment: Deployment, deployed: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The function's configuration variables: the deployed ones (size limits, service name,
    metrics namespace: the compute module is their one source), with the env's bucket, topic,
    table and region laid over them."""
    return {
        **(deployed or {}),
        "AWS_REGION": deployment.region,
        "BUCKET_NAME": deployment.uploads_bucket_name,
        "TOPIC_ARN": deployment.results_topic_arn,
        "IDEMPOTENCY_TABLE": deployment.idempotency_table_name,
    }


def build_handler(
    settings: Mapping[str, str],
    endpoint: str,
    handler_dir: Path | None = None,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """The handler's application built from ``settings``, its clients on the emulator signing
    with ``credentials`` (those of the env's moto account; by default the fake ones)."""
    directory = str(handler_dir or paths.HANDLER_DIR)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    # The handler's own package (what the zip holds at /var/task), importable once handler/ is
    # on sys.path; imported here because the tooling never imports it otherwise.
    import boto3
    from aws_lambda_powertools import Logger

    from file_processor.application import build_application
    from file_processor.aws import build_clients
    from file_processor.config import ConfigError, load_config

    try:
        config = load_config(settings)
    except ConfigError as error:
        raise ToolingError(
            f"the deployed function's configuration is incomplete: {error}",
            hint="deploy the env again (`invoke deploy --env=…`): the compute module sets every "
            "variable the handler needs",
        ) from error
    chosen = credentials or FAKE_CREDENTIALS
    session = boto3.session.Session(
        aws_access_key_id=chosen["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=chosen["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=chosen.get("AWS_SESSION_TOKEN") if credentials else None,
        region_name=config.region,
    )
    level = os.environ.get("POWERTOOLS_LOG_LEVEL", "WARNING")
    return build_application(
        config,
        clients=build_clients(config.region, session=session, endpoint_url=endpoint),
        logger=Logger(service=config.service_name, level=level),
    )


def call_handler(
    event: dict[str, Any],
    deployment: Deployment,
    endpoint: str,
    lambda_client: Any,
    function_name: str,
    *,
    credentials: Mapping[str, str] | None = None,
) -> Any:
    """Run ``event`` through the handler in-process, configured as ``function_name`` is."""
    configuration = deployed_configuration(lambda_client, function_name)
    variables = dict(configuration.get("Environment", {}).get("Variables", {}))
    application = build_handler(
        handler_settings(deployment, variables), endpoint, credentials=credentials
    )
    context = FakeContext(
        function_name=function_name,
        timeout_seconds=int(configuration.get("Timeout", 300)),
        memory_limit_in_mb=int(configuration.get("MemorySize", 512)),
    )
    try:
        return application.handle(event, context)
    finally:
        # Powertools keeps the metric set across instances: drop it (no CloudWatch to read it).
        application.metrics.clear_metrics()
