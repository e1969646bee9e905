"""Lambda entry point (``app.lambda_handler`` at the zip root).

One code base serves two functions: ``processor`` (S3 ``ObjectCreated`` notifications, async;
also through SNS, SQS or EventBridge) and ``api`` (API Gateway REST proxy, ``POST /process``).
The configuration is read from the environment and validated here, once per container, at
import (cold start): a bad deployment fails at init with a message naming the variable. The
wiring itself is :func:`file_processor.application.build_application`, which a test or a local
runner calls with its own configuration and clients.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools import Logger, Metrics, Tracer

from file_processor.application import build_application
from file_processor.config import load_config

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

CONFIG = load_config()
logger = Logger(service=CONFIG.service_name)
metrics = Metrics(namespace=CONFIG.metrics_namespace, service=CONFIG.service_name)
# Only botocore is worth patching: the handler makes no other traced calls, and patch_all()
# would also import requests/sqlite3/psycopg patchers at cold start. Built before the clients.
tracer = Tracer(service=CONFIG.service_name, patch_modules=["botocore"])
APPLICATION = build_application(CONFIG, logger=logger, metrics=metrics, tracer=tracer)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler(capture_response=False)  # responses carry object facts
@metrics.log_metrics
def lambda_handler(event: Any, context: LambdaContext) -> Any:
    """Answer S3 notifications (direct or wrapped), SQS batches and API Gateway requests."""
    return APPLICATION.handle(event, context)
