"""The runtime inside one emulator sandbox: what Lambda's Python runtime interface client does.

Started by :mod:`tooling.emulator.lambda_sandbox` as
``python -I -S -u -X pycache_prefix=DIR lambda_bootstrap.py REQ_FD RESP_FD CODE_DIR SDK_DIR
HANDLER TOKEN``: isolated (no site-packages, no PYTHON* variables, the script's own directory
not on ``sys.path``), so the function sees only its code dir and the AWS SDK dir, like
``/var/task`` and ``/var/runtime`` on Lambda. This file imports nothing but the standard
library and never the tooling.

Protocol (both ways: a 4-byte big-endian length, then that many bytes of UTF-8 JSON):

* the bootstrap imports the handler module and sends ``{"type": "ready"}`` or
  ``{"type": "init_error", "error": {...}}``;
* then, per request ``{"request_id", "payload", "deadline_ms", "function_arn", "trace_id",
  "credentials"?}`` it calls the handler and answers ``{"type": "result", "payload"}`` or
  ``{"type": "error", "error": {...}}``, after writing ``TOKEN REQUEST_ID`` and a newline to
  stdout so the emulator knows where this invocation's output ends;
* end of file on the request pipe (the emulator stopped or dropped the sandbox) ends it.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import sys
import time
import traceback
from decimal import Decimal
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve()


def read_frame(fd: int) -> dict[str, Any] | None:
    """The next message, or None at end of file."""
    header = _read_exactly(fd, 4)
    if header is None:
        return None
    body = _read_exactly(fd, int.from_bytes(header, "big"))
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


def write_frame(fd: int, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode("utf-8")
    view = memoryview(len(data).to_bytes(4, "big") + data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def _read_exactly(fd: int, size: int) -> bytes | None:
    chunks = bytearray()
    while len(chunks) < size:
        chunk = os.read(fd, size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return bytes(chunks)


class FaultError(Exception):
    """An error of the runtime itself (bad handler, import failure), with Lambda's error type."""

    def __init__(self, error_type: str, message: str, stack: list[str] | None = None) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.stack = stack or []


def error_document(error: BaseException, request_id: str) -> dict[str, Any]:
    """Lambda's error payload for an exception: errorMessage, errorType, requestId, stackTrace."""
    if isinstance(error, FaultError):
        return {
            "errorMessage": str(error),
            "errorType": error.error_type,
            "requestId": request_id,
            "stackTrace": error.stack,
        }
    frames = [
        frame
        for frame in traceback.extract_tb(error.__traceback__)
        if Path(frame.filename).resolve() != _HERE
    ]
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


def log_error(document: dict[str, Any]) -> None:
    """What the Python runtime logs for an error: one event (newlines become carriage returns,
    which CloudWatch Logs shows as line breaks of the same event)."""
    text = f"[ERROR] {document['errorType']}: {document['errorMessage']}"
    if document.get("stackTrace"):
        text += "\nTraceback (most recent call last):\n" + "".join(document["stackTrace"])
    sys.stdout.write(text.rstrip("\n").replace("\n", "\r") + "\n")
    sys.stdout.flush()


class LambdaLogHandler(logging.Handler):
    """The runtime's root logging handler: ``[LEVEL]\\ttimestamp\\trequest id\\tmessage``."""

    request_id = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            millis = int(record.msecs)
            message = self.format(record)
            line = f"[{record.levelname}]\t{stamp}.{millis:03d}Z\t{self.request_id}\t{message}"
            sys.stdout.write(line.replace("\n", "\r") + "\n")
        except Exception:
            self.handleError(record)


class LambdaContext:
    """The context object Lambda's Python runtime passes to the handler."""

    def __init__(self, request: dict[str, Any]) -> None:
        self.aws_request_id: str = request["request_id"]
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn: str = request.get("function_arn", "")
        self.client_context = None
        self.identity = None
        self._deadline_ms: int = int(request["deadline_ms"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self._deadline_ms - int(time.time() * 1000))

    def log(self, message: str) -> None:
        sys.stdout.write(str(message))
        sys.stdout.flush()


def load_handler(spec: str) -> Any:
    """``module.function`` from the code dir, with the runtime's error types."""
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise FaultError("Runtime.MalformedHandlerName", f"Bad handler '{spec}': not enough values")
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise FaultError(
            "Runtime.BuiltInModuleConflict",
            f"Cannot use built-in module {module_name} as a handler module",
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as error:
        raise FaultError(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {error}"
        ) from error
    except SyntaxError as error:
        trace = [f'  File "{error.filename}" Line {error.lineno}\n    {error.text}']
        raise FaultError(
            "Runtime.UserCodeSyntaxError",
            f"Syntax error in module '{module_name}': {error}",
            trace,
        ) from error
    handler = getattr(module, function_name, None)
    if handler is None:
        message = f"Handler '{function_name}' missing on module '{module_name}'"
        raise FaultError("Runtime.HandlerNotFound", message)
    return handler


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def handle(handler: Any, request: dict[str, Any], log_handler: LambdaLogHandler) -> dict[str, Any]:
    """Run one invocation; never raises."""
    request_id = request["request_id"]
    log_handler.request_id = request_id
    os.environ["_X_AMZN_TRACE_ID"] = request.get("trace_id") or ""
    for name, value in (request.get("credentials") or {}).items():
        os.environ[name] = value
    try:
        event = json.loads(request["payload"]) if request["payload"] else {}
        result = handler(event, LambdaContext(request))
    except Exception as error:
        document = error_document(error, request_id)
        log_error(document)
        return {"type": "error", "error": document}
    try:
        payload = json.dumps(result, default=_json_default)
    except (TypeError, ValueError) as error:
        document = {
            "errorMessage": f"Unable to marshal response: {error}",
            "errorType": "Runtime.MarshalError",
            "requestId": request_id,
            "stackTrace": [],
        }
        log_error(document)
        return {"type": "error", "error": document}
    return {"type": "result", "payload": payload}


# The marker line that ends the output of the handler's import (before the first request).
INIT_REQUEST_ID = "init"


def end_of_output(marker: bytes, request_id: str) -> None:
    """Flush, then write ``TOKEN REQUEST_ID``: everything before it belongs to that request."""
    sys.stdout.flush()
    sys.stderr.flush()
    os.write(1, marker + b" " + request_id.encode("ascii") + b"\n")


def main(argv: list[str]) -> int:
    request_fd, response_fd = int(argv[0]), int(argv[1])
    code_dir, sdk_dir, handler_spec, token = argv[2], argv[3], argv[4], argv[5]
    # /var/task first, then the runtime's SDK (/var/runtime), then the standard library.
    sys.path[:0] = [code_dir, sdk_dir]
    log_handler = LambdaLogHandler()
    logging.getLogger().addHandler(log_handler)
    marker = token.encode("ascii")
    try:
        handler = load_handler(handler_spec)
    except Exception as error:
        document = error_document(error, "")
        log_error(document)
        end_of_output(marker, INIT_REQUEST_ID)
        write_frame(response_fd, {"type": "init_error", "error": document})
        return 1
    # The init's output is all written before the emulator reads "ready" (its log lines).
    end_of_output(marker, INIT_REQUEST_ID)
    write_frame(response_fd, {"type": "ready"})
    while True:
        request = read_frame(request_fd)
        if request is None:
            return 0
        answer = handle(handler, request, log_handler)
        end_of_output(marker, request["request_id"])
        write_frame(response_fd, answer)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
