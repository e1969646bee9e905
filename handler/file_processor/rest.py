"""API Gateway REST proxy requests, and the answer to the HTTP front doors not served.

The routes (:mod:`file_processor.api`) are built on the first API request, not at cold start:
importing Powertools' event handler costs ~70 ms that the processor function, which serves no
API request, would otherwise pay at every cold start. The api function pays it once, on its
first request, instead of during its init: the same total for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from file_processor.errors import Reason
from file_processor.responses import proxy_error, proxy_shape_problem, reject_other_http
from file_processor.shapes import EventKind, describe

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from file_processor.service import FileService
    from file_processor.telemetry import Telemetry


class RestApi:
    """Answers API Gateway REST proxy requests with :func:`file_processor.api.build_resolver`."""

    def __init__(self, service: FileService, logger: Logger, telemetry: Telemetry) -> None:
        self.service = service
        self.logger = logger
        self.telemetry = telemetry
        self._resolver: APIGatewayRestResolver | None = None

    @property
    def resolver(self) -> APIGatewayRestResolver:
        """The routes, built on first use (see the module docstring for why)."""
        if self._resolver is None:
            from file_processor.api import build_resolver  # deferred: ~70 ms of imports

            self._resolver = build_resolver(self.service, self.logger, self.telemetry)
        return self._resolver

    def handle(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        """Answer a REST proxy request; always a valid proxy response."""
        self.telemetry.count("ApiRequests")
        request_context = event.get("requestContext")
        if isinstance(request_context, dict) and isinstance(request_context.get("requestId"), str):
            self.logger.set_correlation_id(request_context["requestId"])
        problem = proxy_shape_problem(event)
        if problem:
            self.logger.warning("malformed proxy event", extra={"problem": problem})
            self.telemetry.failure(Reason.INVALID_REQUEST)
            return proxy_error(400, str(Reason.INVALID_REQUEST), problem)
        return self.resolver.resolve(event, context)

    def reject(self, kind: EventKind, event: dict[str, Any]) -> dict[str, Any]:
        """Answer an HTTP request from a front door this function does not serve (400)."""
        self.logger.warning(
            "HTTP request from a front door that is not served",
            extra={"event_kind": kind.name, "event_shape": describe(event)},
        )
        self.telemetry.count("UnsupportedEvents")
        self.telemetry.failure(Reason.UNSUPPORTED_EVENT)
        return reject_other_http(kind, event)
