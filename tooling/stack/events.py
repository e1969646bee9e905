"""Events the way AWS services deliver them to the functions."""

from __future__ import annotations

import json
import uuid
from typing import Any


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
