"""``POST /process``: process a named object of the configured bucket on demand.

Every answer is a valid API Gateway proxy response with a JSON body. Client input never yields
a 500 or a stack trace: problems classified in :mod:`file_processor.errors` map to 4xx, transient
AWS trouble to 503 (the caller may retry), and anything unexpected to a bare 500 with the request
id (the details go to the log, not to the caller).

The API is the REST API's proxy integration (payload format 1.0). Other HTTP front doors that
can invoke a function — an HTTP API or a function URL (payload format 2.0), an Application Load
Balancer, VPC Lattice — get a 400 JSON answer in their own response format saying so
(:func:`reject_other_http`), never the API's routes by accident.
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
from file_processor.shapes import EventKind, describe

if TYPE_CHECKING:
    from aws_lambda_powertools import Logger
    from aws_lambda_powertools.utilities.typing import LambdaContext

    from file_processor.service import FileService
    from file_processor.telemetry import Telemetry

PROCESS_PATH = "/process"
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


def error_body(code: str, message: str) -> dict[str, str]:
    """The body of every error answer: ``{"error": <code>, "message": <text>}``."""
    return {"error": code, "message": message}


def proxy_error(status: int, code: str, message: str) -> dict[str, Any]:
    """A raw proxy response, for events the resolver cannot even be given.

    The same keys are a valid response for payload format 2.0, function URLs, ALB and VPC
    Lattice too (:func:`reject_other_http` adds what ALB wants).
    """
    return {
        "statusCode": status,
        "headers": {"Content-Type": content_types.APPLICATION_JSON},
        "body": json.dumps(error_body(code, message)),
        "isBase64Encoded": False,
    }


_EXPECTED_API = (
    "this function serves the API Gateway REST API's proxy integration (payload format 1.0): "
    f"send POST {PROCESS_PATH} through the REST API"
)


def reject_other_http(kind: EventKind, event: dict[str, Any]) -> dict[str, Any]:
    """A 400 JSON answer, in ``event``'s own response format, to an HTTP front door not served.

    ALB wants ``statusDescription``, and ``multiValueHeaders`` instead of ``headers`` when the
    target group has multi-value headers on (the request then carries ``multiValueHeaders``).
    """
    response = proxy_error(
        400, str(Reason.UNSUPPORTED_EVENT), f"{_EXPECTED_API}; this request came as {kind}"
    )
    if kind is EventKind.ALB:
        response["statusDescription"] = "400 Bad Request"
        if isinstance(event.get("multiValueHeaders"), dict):
            headers = response.pop("headers")
            response["multiValueHeaders"] = {name: [value] for name, value in headers.items()}
    return response


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


def proxy_shape_problem(event: dict[str, Any]) -> str | None:
    """What makes ``event`` unusable as a proxy event, or None when the resolver can take it."""
    expected = {
        "httpMethod": (str,),
        "path": (str,),
        "body": (str, type(None)),
        "headers": (dict, type(None)),
        "multiValueHeaders": (dict, type(None)),
        "queryStringParameters": (dict, type(None)),
        "isBase64Encoded": (bool, type(None)),
        "requestContext": (dict, type(None)),
    }
    for name, types in expected.items():
        if name in event and not isinstance(event[name], types):
            return f"the proxy event field {name!r} has the wrong type"
    if "path" not in event:
        return "the proxy event has no 'path'"
    return None


class RestApi:
    """Answers API Gateway REST proxy requests with :func:`build_resolver`'s routes."""

    def __init__(self, service: FileService, logger: Logger, telemetry: Telemetry) -> None:
        self.resolver = build_resolver(service, logger, telemetry)
        self.logger = logger
        self.telemetry = telemetry

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
