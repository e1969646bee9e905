"""Invoking a deployed function through the Lambda API, the way any AWS client does."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from tooling.core.errors import ToolingError
from tooling.stack.logs import LogLine, parse_line

# Lambda returns at most the last 4 KB of the execution log with LogType=Tail.
LOG_TAIL_BYTES = 4096


@dataclass(frozen=True)
class Invocation:
    """A synchronous invocation's answer."""

    function_name: str
    status_code: int
    payload: Any  # the function's JSON answer (its error document on a function error)
    function_error: str | None = None
    executed_version: str | None = None
    # The log tail Lambda returned (None when the service gave none).
    log_lines: list[LogLine] | None = None
    log_truncated: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def invoke_sync(lambda_client: Any, function_name: str, event: Any) -> Invocation:
    """``Invoke`` (RequestResponse, LogType=Tail) and read the answer; API errors explained."""
    from botocore.exceptions import ClientError

    try:
        response = lambda_client.invoke(
            FunctionName=function_name,
            InvocationType="RequestResponse",
            LogType="Tail",
            Payload=json.dumps(event).encode(),
        )
    except ClientError as error:
        raise invoke_error(error, function_name) from error
    raw = response["Payload"].read()
    tail = response.get("LogResult")
    lines: list[LogLine] | None = None
    truncated = False
    if tail:
        text = base64.b64decode(tail).decode("utf-8", errors="replace")
        truncated = len(text.encode()) >= LOG_TAIL_BYTES
        pieces = text.splitlines()
        if truncated and pieces:
            pieces = pieces[1:]  # the first line was cut in the middle
        lines = [parse_line(piece) for piece in pieces if piece.strip()]
    return Invocation(
        function_name=function_name,
        status_code=int(response.get("StatusCode", 0)),
        payload=_json_or_text(raw),
        function_error=response.get("FunctionError"),
        executed_version=response.get("ExecutedVersion"),
        log_lines=lines,
        log_truncated=truncated,
    )


def invoke_error(error: Any, function_name: str) -> ToolingError:
    """A Lambda API error as what is wrong and how to fix it."""
    code = error.response.get("Error", {}).get("Code", "")
    message = error.response.get("Error", {}).get("Message", str(error))
    hints = {
        "ResourceNotFoundException": "deploy the env first (`invoke deploy --env=…`)",
        "AccessDeniedException": "your credentials need lambda:InvokeFunction on the function",
        "TooManyRequestsException": "the function's concurrency is used up (or set to 0, the kill "
        "switch): try again later or raise its reserved concurrency",
        "RequestTooLargeException": "the event is larger than Lambda accepts (6 MB synchronous, "
        "1 MB asynchronous)",
        "InvalidRequestContentException": "the event must be a JSON document",
    }
    return ToolingError(
        f"Lambda refused to invoke {function_name}: {code or 'error'}: {message}",
        hint=hints.get(code, "see the message above; `invoke status --env=…` shows the function"),
    )


def _json_or_text(raw: bytes) -> Any:
    text = raw.decode("utf-8", errors="replace")
    try:
        return json.loads(text) if text else None
    except ValueError:
        return text
