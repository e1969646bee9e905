"""A function's log lines, read as structure: level, message, object key, correlation id.

A Lambda log group holds several kinds of line, and each is read for what it is:

* the handler's Powertools JSON lines (``level``, ``message``, ``timestamp``, ``object_key``,
  ``correlation_id``, ``function_request_id``, ``exception``…);
* EMF metric documents (a JSON line with an ``_aws`` key): metrics, not log lines;
* the runtime's platform lines, text (``START RequestId: …``, ``END``, ``REPORT``,
  ``INIT_START``) or JSON when the function's log format is JSON (``{"type": "platform.start"}``);
* the Python runtime's report of an unhandled exception (``{"errorMessage", "errorType",
  "requestId", "stackTrace"}``), its text log format (``[ERROR]\\t<time>\\t<request id>\\t…``)
  and timeouts (``<time> <request id> Task timed out after 3.00 seconds``);
* anything else (a ``print``): kept as text.
"""

from __future__ import annotations

import datetime
import json
import re
from dataclasses import dataclass
from typing import Any

PLATFORM_PREFIXES = ("START RequestId:", "END RequestId:", "REPORT RequestId:", "INIT_START")
_RUNTIME_TEXT = re.compile(
    r"^\[(?P<level>[A-Z]+)\]\t(?P<time>\S+)\t(?P<request>[0-9a-f-]{36}|\S+)\t(?P<message>.*)$",
    re.DOTALL,
)
# The Python runtime's report of an unhandled exception: "[ERROR] KeyError: 'x'" + traceback.
_RUNTIME_ERROR = re.compile(r"^\[(?P<level>ERROR|CRITICAL)\]\s+(?P<message>.*)$", re.DOTALL)
_TIMEOUT = re.compile(
    r"^(?P<time>\d{4}-\d\d-\d\dT\S+)\s+(?P<request>[0-9a-f-]{36})\s+(?P<message>Task timed out.*)$",
    re.DOTALL,
)
_REQUEST_ID = re.compile(r"RequestId: (?P<request>[0-9a-f-]+)")


@dataclass(frozen=True)
class LogLine:
    """One log event of a function, read."""

    timestamp: datetime.datetime | None
    kind: str  # "app", "platform", "error", "metrics" or "text"
    level: str
    message: str
    object_key: str | None = None
    correlation_id: str | None = None
    request_id: str | None = None

    def render(self) -> str:
        """``time  LEVEL  message  [object_key=… correlation_id=…]`` (no time when unknown:
        the log tail Lambda returns with an invocation has none)."""
        moment = (
            self.timestamp.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3] + "  "
            if self.timestamp
            else ""
        )
        extras = [
            f"{name}={value}"
            for name, value in (
                ("object_key", self.object_key),
                ("correlation_id", self.correlation_id),
            )
            if value
        ]
        message = " ".join(self.message.split()) if self.kind == "platform" else self.message
        message = message.replace("\n", "\n" + " " * (len(moment) + 9))
        suffix = f"  [{' '.join(extras)}]" if extras else ""
        return f"{moment}{self.level:<8} {message}{suffix}"

    def to_json(self) -> dict[str, Any]:
        return {
            "timestamp": self.timestamp.isoformat() if self.timestamp else None,
            "kind": self.kind,
            "level": self.level,
            "message": self.message,
            "object_key": self.object_key,
            "correlation_id": self.correlation_id,
            "request_id": self.request_id,
        }


def parse_line(text: str, timestamp_ms: int | None = None) -> LogLine:
    """Read one log event's message (``timestamp_ms``: the event's CloudWatch timestamp)."""
    stamp = (
        datetime.datetime.fromtimestamp(timestamp_ms / 1000, tz=datetime.UTC)
        if timestamp_ms is not None
        else None
    )
    # Lambda's runtimes write a multi-line message as one event, its lines separated by "\r".
    stripped = text.rstrip("\r\n").replace("\r\n", "\n").replace("\r", "\n")
    if stripped.startswith("{"):
        try:
            document = json.loads(stripped)
        except ValueError:
            document = None
        if isinstance(document, dict):
            return _json_line(document, stamp, stripped)
    if stripped.startswith(PLATFORM_PREFIXES):
        found = _REQUEST_ID.search(stripped)
        return LogLine(
            stamp,
            "platform",
            "-",
            stripped.replace("\t", "  ").strip(),
            request_id=found.group("request") if found else None,
        )
    matched = _RUNTIME_TEXT.match(stripped)
    if matched:
        level = matched.group("level")
        return LogLine(
            stamp,
            "error" if level in {"ERROR", "CRITICAL"} else "text",
            level,
            matched.group("message").strip(),
            request_id=matched.group("request"),
        )
    matched = _RUNTIME_ERROR.match(stripped)
    if matched:
        return LogLine(stamp, "error", matched.group("level"), matched.group("message").strip())
    matched = _TIMEOUT.match(stripped)
    if matched:
        return LogLine(
            stamp, "error", "ERROR", matched.group("message"), request_id=matched.group("request")
        )
    return LogLine(stamp, "text", "-", stripped)


def _json_line(document: dict[str, Any], stamp: datetime.datetime | None, raw: str) -> LogLine:
    if "_aws" in document:
        return LogLine(stamp, "metrics", "METRICS", raw)
    kind = document.get("type")
    if isinstance(kind, str) and kind.startswith("platform."):
        record = document.get("record")
        request = record.get("requestId") if isinstance(record, dict) else None
        detail = json.dumps(record, sort_keys=True) if record else ""
        return LogLine(stamp, "platform", "-", f"{kind} {detail}".strip(), request_id=request)
    if "errorType" in document or ("errorMessage" in document and "stackTrace" in document):
        message = f"{document.get('errorType', 'Error')}: {document.get('errorMessage', '')}"
        return LogLine(
            stamp, "error", "ERROR", message.strip(), request_id=_text(document.get("requestId"))
        )
    if "level" in document or "message" in document:
        message = document.get("message")
        text = message if isinstance(message, str) else json.dumps(message, sort_keys=True)
        exception = document.get("exception")
        if isinstance(exception, str) and exception:
            # Powertools puts the formatted traceback here; its last line names the error.
            text = f"{text}\n{exception.strip()}"
        return LogLine(
            stamp,
            "app",
            str(document.get("level", "-")).upper(),
            text,
            object_key=_text(document.get("object_key")),
            correlation_id=_text(document.get("correlation_id")),
            request_id=_text(document.get("function_request_id") or document.get("requestId")),
        )
    return LogLine(stamp, "text", "-", raw)


def _text(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
