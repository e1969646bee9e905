"""The application: everything the handler needs, built from a :class:`Config` by one function.

``app.py`` (the Lambda entry point) builds one application at cold start and delegates to it::

    CONFIG = load_config()
    logger, metrics, tracer = Logger(...), Metrics(...), Tracer(...)
    APPLICATION = build_application(CONFIG, logger=logger, metrics=metrics, tracer=tracer)

    @logger.inject_lambda_context(clear_state=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @metrics.log_metrics
    def lambda_handler(event, context):
        return APPLICATION.handle(event, context)

A test or a local runner builds its own, from its own values and clients, in-process and
without touching ``os.environ`` or ``sys.modules``::

    config = load_config({"AWS_REGION": ..., "BUCKET_NAME": ..., ...})
    application = build_application(config, clients=build_clients(config.region, session=...))
    application.handle(event, context)
    application.metrics.flush_metrics()  # what @metrics.log_metrics does after each invocation

:meth:`Application.handle` dispatches on the event's shape (:mod:`file_processor.shapes`):

| event | answer |
|---|---|
| API Gateway REST proxy (payload 1.0) | the API's routes (:mod:`file_processor.api`) |
| HTTP API / function URL (2.0), ALB, VPC Lattice | 400 JSON in that front door's format |
| S3 notification, S3 test event, EventBridge ``aws.s3`` | the S3 record loop; a summary |
| SNS notification | each message unwrapped, then the loop; a summary |
| SQS batch | each message unwrapped, then the loop; ``batchItemFailures`` |
| anything else | logged, counted, :class:`~file_processor.errors.UnsupportedEventError` raised |
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

from file_processor.aws import build_clients
from file_processor.batches import QueueBatchHandler
from file_processor.envelopes import records_in_message, s3_records
from file_processor.errors import UnsupportedEventError, failure_reason
from file_processor.events import s3_request_id
from file_processor.rest import RestApi
from file_processor.service import IDEMPOTENCY_KEY_JMESPATH, FileService, IdempotentPublisher
from file_processor.shapes import OTHER_HTTP_KINDS, EventKind, classify, describe
from file_processor.telemetry import Telemetry
from file_processor.uploads import Summary, UploadProcessor

if TYPE_CHECKING:
    from aws_lambda_powertools import Tracer
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from file_processor.aws import Clients
    from file_processor.config import Config


@dataclass(frozen=True, slots=True)
class Application:
    """The wired handler: configuration, clients, telemetry and the per-source handlers."""

    config: Config
    clients: Clients
    logger: Logger
    metrics: Metrics
    tracer: Tracer | None
    telemetry: Telemetry
    idempotency_config: IdempotencyConfig
    service: FileService
    publisher: IdempotentPublisher
    uploads: UploadProcessor
    api: RestApi
    queue: QueueBatchHandler

    def handle(self, event: Any, context: LambdaContext) -> Any:
        """Answer one invocation; see the module docstring for what each event gets."""
        kind = classify(event)
        if kind is EventKind.REST_API:
            return self.api.handle(event, context)
        if kind in OTHER_HTTP_KINDS:
            return self.api.reject(kind, event)
        if kind is EventKind.UNSUPPORTED:
            self._unsupported(UnsupportedEventError(describe(event)))
        # Every remaining path may process objects: the in-progress idempotency record expires
        # with this invocation's remaining time, so a crashed attempt does not block a retry.
        self.idempotency_config.register_lambda_context(context)
        if kind is EventKind.SQS:
            return self.queue.handle(event)
        if kind is EventKind.SNS:
            return self._sns(event).as_dict()
        self.logger.set_correlation_id(_correlation_id(kind, event))
        return self.uploads.process(s3_records(event)).as_dict()

    def _sns(self, event: dict[str, Any]) -> Summary:
        """Process the S3 notifications of every SNS message, then raise for any that had none.

        SNS invokes asynchronously: the raise lets Lambda's retries and the on-failure
        destination keep the event, after the usable messages were processed (idempotently).
        """
        summary = Summary()
        unusable: list[UnsupportedEventError] = []
        for record in event["Records"]:
            sns = record["Sns"]
            message_id = sns.get("MessageId")
            self.logger.set_correlation_id(message_id if isinstance(message_id, str) else None)
            what = f"an SNS message from {sns.get('TopicArn')}"
            try:
                records = records_in_message(sns.get("Message"), what=what)
            except UnsupportedEventError as error:
                unusable.append(error)
                continue
            summary.add(self.uploads.process(records))
        if unusable:
            self._unsupported(unusable[0])
        return summary

    def _unsupported(self, error: UnsupportedEventError) -> NoReturn:
        """Log, count and raise: the event is kept by the retry / failure path, never dropped."""
        self.logger.error("unsupported event", extra={"event_shape": error.description})
        self.telemetry.count("UnsupportedEvents")
        self.telemetry.failure(failure_reason(error))
        raise error


def _correlation_id(kind: EventKind, event: dict[str, Any]) -> str | None:
    """S3's request id, from a notification or an EventBridge event's detail."""
    if kind is EventKind.EVENTBRIDGE_S3:
        detail = event.get("detail")
        value = detail.get("request-id") if isinstance(detail, dict) else None
        return value if isinstance(value, str) else None
    return s3_request_id(event)


def build_application(
    config: Config,
    *,
    clients: Clients | None = None,
    logger: Logger | None = None,
    metrics: Metrics | None = None,
    tracer: Tracer | None = None,
) -> Application:
    """Wire the handler for ``config``.

    ``clients`` defaults to :func:`~file_processor.aws.build_clients` for ``config.region``;
    ``logger`` and ``metrics`` default to Powertools' own, named after ``config``'s service and
    namespace; without ``tracer`` nothing is traced. Building touches no AWS endpoint.
    """
    clients = clients or build_clients(config.region)
    logger = logger or Logger(service=config.service_name)
    metrics = metrics or Metrics(namespace=config.metrics_namespace, service=config.service_name)
    telemetry = Telemetry(metrics, namespace=config.metrics_namespace, service=config.service_name)
    idempotency_config = IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_JMESPATH,
        raise_on_no_idempotency_key=True,
        expires_after_seconds=config.idempotency_expiry_seconds,
    )
    service = FileService(config, clients)
    publisher = IdempotentPublisher(service, idempotency_config)
    uploads = UploadProcessor(publisher, telemetry, logger, tracer)
    return Application(
        config=config,
        clients=clients,
        logger=logger,
        metrics=metrics,
        tracer=tracer,
        telemetry=telemetry,
        idempotency_config=idempotency_config,
        service=service,
        publisher=publisher,
        uploads=uploads,
        api=RestApi(service, logger, telemetry),
        queue=QueueBatchHandler(uploads, telemetry, logger),
    )
