"""Proxy responses that need no routing: error bodies, and the 400 answer to HTTP front doors
this function does not serve (HTTP API / function URL payload 2.0, ALB, VPC Lattice).

Kept apart from :mod:`file_processor.api` (the routes) on purpose: importing Powertools' event
handler costs ~70 ms, and the processor function, which never gets an API request, must not pay
it at every cold start (see :mod:`file_processor.rest`).
"""

from __future__ import annotations

import json
from typing import Any

from file_processor.errors import Reason
from file_processor.shapes import EventKind

PROCESS_PATH = "/process"
APPLICATION_JSON = "application/json"


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
        "headers": {"Content-Type": APPLICATION_JSON},
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
