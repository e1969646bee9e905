"""``POST /process``: process a named object of the configured bucket on demand.

Every answer is a valid API Gateway proxy response with a JSON body. Client input never yields
a 500 or a stack trace: problems classified in :mod:`file_processor.errors` map to 4xx, transient
AWS trouble to 503 (the caller may retry), and anything unexpected to a bare 500 with the request
id (the details go to the log, not to the caller).

Imported on the first API request only (:mod:`file_processor.rest` says why).
"""

from __future__ import annotations

import binascii
import json
import time
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.event_handler import APIGatewayRestResolver, Response, content_types

from file_processor.errors import (
    INTERNAL_ERROR,
    TRANSIENT,
    ClientProblem,
    Reason,
    TransientError,
)
from file_processor.events import parse_process_request
from file_processor.responses import PROCESS_PATH, error_body

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger

    from file_processor.service import FileService
    from file_processor.telemetry import Telemetry

_OTHER_METHODS = ["GET", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]


def json_response(
    status: int, body: dict[str, Any], headers: dict[str, str] | None = None
) -> Response:
    """A JSON response (the resolver turns it into a proxy response)."""
    return Response(
        status_code=status,
        content_type=content_types.APPLICATION_JSON,
        body=json.dumps(body, ensure_ascii=False),
        headers=headers,
    )


def build_resolver(
    service: FileService, logger: Logger, telemetry: Telemetry
) -> APIGatewayRestResolver:
    """The API's routes, bound to ``service``."""
    api = APIGatewayRestResolver()

    @api.post(PROCESS_PATH)
    def process() -> Response:
        try:
            body = api.current_event.decoded_body
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise ClientProblem(
                Reason.INVALID_JSON, "the request body is not valid base64-encoded UTF-8"
            ) from None
        request = parse_process_request(body)
        logger.append_keys(object_key=request.key)
        started = time.perf_counter()
        document = service.process_requested(request)
        telemetry.processed(document, (time.perf_counter() - started) * 1000)
        return json_response(200, document)

    @api.route(PROCESS_PATH, method=_OTHER_METHODS)
    def method_not_allowed() -> Response:
        return json_response(
            405,
            error_body("method_not_allowed", f"{PROCESS_PATH} accepts POST only"),
            headers={"Allow": "POST"},
        )

    @api.not_found
    def not_found(_: Exception) -> Response:
        return json_response(
            404, error_body("not_found", f"no such route: use POST {PROCESS_PATH}")
        )

    @api.exception_handler(ClientProblem)
    def client_problem(problem: ClientProblem) -> Response:
        logger.info("client problem", extra={"reason": str(problem.reason)})
        telemetry.failure(problem.reason)
        return json_response(problem.http_status, error_body(str(problem.reason), problem.message))

    @api.exception_handler(TransientError)
    def transient(error: TransientError) -> Response:
        logger.warning("transient AWS error", extra={"error": str(error)})
        telemetry.failure(TRANSIENT)
        return json_response(
            503,
            error_body("unavailable", "a dependency is temporarily unavailable: retry later"),
            headers={"Retry-After": "1"},
        )

    @api.exception_handler(Exception)
    def unexpected(error: Exception) -> Response:
        logger.exception("unexpected error on the API path")
        telemetry.failure(INTERNAL_ERROR)
        request_id = api.lambda_context.aws_request_id if api.lambda_context else "unknown"
        return json_response(
            500, error_body("internal_error", f"internal error (request id {request_id})")
        )

    return api
