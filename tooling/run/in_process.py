"""Run the real handler in this process, for a debugger: ``invoke local --in-process``.

Plays the Lambda runtime: ``handler/`` first on ``sys.path`` (as ``/var/task`` is on Lambda), the
deployed function's own environment variables with the emulator's endpoint, fake credentials
and the env's bucket/topic/table laid over them, ``import app``, then
``app.lambda_handler(event, FakeContext())``.

This is today's loader (environment + a fresh ``import app``). Once the handler stream's
``file_processor.application.build_application(config, clients=…)`` is on main, this module should
build the application from a config instead of rewriting ``os.environ`` and ``sys.modules``.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core import paths
from tooling.core.local_aws import FAKE_CREDENTIALS

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path
    from types import ModuleType

    from tooling.stack.deployment import Deployment

SERVICE_NAME = "file-processor"
# Only used when neither the deployed function nor the outputs name the EMF namespace.
FALLBACK_METRICS_NAMESPACE = "ServerlessFileProcessor"


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
        "POWERTOOLS_METRICS_NAMESPACE": deployment.metrics_namespace or FALLBACK_METRICS_NAMESPACE,
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


def call_handler(
    event: dict[str, Any],
    deployment: Deployment,
    endpoint: str,
    lambda_client: Any,
    function_name: str,
) -> Any:
    """Run ``event`` through the handler in-process, configured as ``function_name`` is."""
    configuration = deployed_configuration(lambda_client, function_name)
    variables = dict(configuration.get("Environment", {}).get("Variables", {}))
    handler = load_handler(handler_environment(deployment, endpoint, variables))
    context = FakeContext(
        function_name=function_name,
        timeout_seconds=int(configuration.get("Timeout", 300)),
        memory_limit_in_mb=int(configuration.get("MemorySize", 512)),
    )
    return handler.lambda_handler(event, context)
