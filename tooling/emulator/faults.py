"""Fault injection: make a service operation of the emulator fail, N times or until cleared.

For tests and demos of the failure paths: "SNS Publish throttled 3 times → the SDK's own
retries give up → the function raises → Lambda retries → exactly one result", or "S3 GetObject
always fails → 3 attempts → a record on the on-failure destination".

A fault is a rule ``(service, operation[, match])`` → error. Every HTTP request to the emulator
that matches consumes one of its ``times`` and gets the error instead of moto's answer (an SDK's
own retries are requests too: boto3's standard mode makes up to 3 per call, legacy mode 5).
``times=None`` fails every matching request until the fault is cleared. The error is a preset —
``throttling``, ``unavailable``, ``internal``, ``access-denied`` — answered with the code and
HTTP status that service uses (SNS throttling = ``Throttled``/429, S3 = ``SlowDown``/503,
DynamoDB = ``ProvisionedThroughputExceededException``/400, …), or any error code with
``status`` (default 400). The body is in the service's protocol, so SDKs parse it as AWS's.

Client API (this module, importable without moto)::

    from tooling.emulator import faults
    fault = faults.inject("sns", "Publish", times=3, error="throttling", match=topic_arn)
    faults.active()          # [Fault(...)]: remaining count and hits
    faults.clear(fault.id)   # or faults.clear() for all
    with faults.injected("s3", "GetObject", times=None, error="internal"):
        ...

Control endpoint (what the client calls; docs/emulator.md has the exact JSON):
``POST/GET/DELETE {endpoint}/moto-api/sfp/faults``. Faults live in the emulator's memory: a
restart clears them, ``/moto-api/reset`` does not.
"""

from __future__ import annotations

import contextlib
import json
import threading
import uuid
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from tooling.core.errors import ToolingError
from tooling.emulator import runtime_control
from tooling.emulator.request_hooks import CONTROL_PREFIX

if TYPE_CHECKING:
    from collections.abc import Iterator

CONTROL_PATH = f"{CONTROL_PREFIX}/faults"
PRESETS: tuple[str, ...] = ("throttling", "unavailable", "internal", "access-denied")
_JSON_TYPES = ("application/json", "application/x-amz-json-1.0", "application/x-amz-json-1.1")


@dataclass(frozen=True)
class Fault:
    """One active fault, as the emulator reports it."""

    id: str
    service: str
    operation: str
    times: int | None  # how many requests it was told to fail (None = until cleared)
    remaining: int | None
    error: str
    status: int | None = None
    message: str | None = None
    match: str | None = None
    hits: int = 0

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> Fault:
        return cls(**{name: document.get(name) for name in cls.__dataclass_fields__})


# --- client ----------------------------------------------------------------------------------


def inject(
    service: str,
    operation: str,
    *,
    times: int | None = 1,
    error: str = "throttling",
    status: int | None = None,
    message: str | None = None,
    match: str | None = None,
    endpoint: str | None = None,
) -> Fault:
    """Make the next ``times`` requests of ``service`` ``operation`` (botocore names, e.g.
    ``"sns"``, ``"Publish"``) fail with ``error``; only requests containing ``match`` (in the
    URL path, a query/form parameter, or a JSON body) when given."""
    body = {
        "service": service,
        "operation": operation,
        "times": times,
        "error": error,
        "status": status,
        "message": message,
        "match": match,
    }
    return Fault.from_json(_call(endpoint, "POST", CONTROL_PATH, body))


def active(endpoint: str | None = None) -> list[Fault]:
    """The faults still in force (a fault whose count is used up is gone)."""
    return [Fault.from_json(item) for item in _call(endpoint, "GET", CONTROL_PATH)["faults"]]


def clear(fault_id: str | None = None, *, endpoint: str | None = None) -> int:
    """Remove one fault (or all); how many were removed."""
    path = CONTROL_PATH + (f"?id={fault_id}" if fault_id else "")
    return int(_call(endpoint, "DELETE", path)["cleared"])


@contextlib.contextmanager
def injected(service: str, operation: str, **options: Any) -> Iterator[Fault]:
    """:func:`inject` for the duration of a ``with`` block (cleared even on errors)."""
    endpoint = options.get("endpoint")
    fault = inject(service, operation, **options)
    try:
        yield fault
    finally:
        with contextlib.suppress(ToolingError):
            clear(fault.id, endpoint=endpoint)


def _call(endpoint: str | None, method: str, path: str, body: Any = None) -> Any:
    if endpoint is None:
        # Imported here: the emulator process loads this module too, and lifecycle brings the
        # env settings (and their HCL parser) it never needs.
        from tooling.emulator import lifecycle

        endpoint = lifecycle.default_emulator().endpoint
    return runtime_control.control_call(
        endpoint,
        method,
        path,
        body,
        refused="see docs/emulator.md (Fault injection) for services, operations and errors",
        missing="this emulator has no fault injection: restart it (`invoke emulator.stop`)",
    )


# --- the emulator side -----------------------------------------------------------------------


@dataclass
class _Rule:
    id: str
    service: str
    operation: str
    times: int | None
    remaining: int | None
    error: str
    status: int | None
    message: str | None
    match: str | None
    hits: int = 0


class FaultRegistry:
    """The active faults of one emulator (thread-safe)."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    def add(self, document: dict[str, Any], known_operations: Any = None) -> dict[str, Any]:
        """Validate and add a fault from its JSON; ValueError says what is wrong."""
        service = str(document.get("service") or "").strip().lower()
        operation = str(document.get("operation") or "").strip()
        if not service or not operation:
            raise ValueError("a fault needs 'service' (e.g. sns) and 'operation' (e.g. Publish)")
        if known_operations is not None:
            operations = known_operations(service)
            if operations is None:
                raise ValueError(f"unknown service {service!r} (use botocore's names: sns, s3…)")
            by_lower = {name.lower(): name for name in operations}
            if operation.lower() not in by_lower:
                raise ValueError(f"{service} has no operation {operation!r}")
            operation = by_lower[operation.lower()]
        times = document.get("times", 1)
        whole = isinstance(times, int) and not isinstance(times, bool)
        if times is not None and (not whole or times < 1):
            raise ValueError("'times' must be a whole number >= 1, or null (until cleared)")
        error = str(document.get("error") or "throttling").strip()
        if not error:
            raise ValueError("'error' must be a preset or an error code")
        status = document.get("status")
        if status is not None and (not isinstance(status, int) or not 400 <= status <= 599):
            raise ValueError("'status' must be an HTTP error status (400-599)")
        match = document.get("match")
        rule = _Rule(
            id=uuid.uuid4().hex[:12],
            service=service,
            operation=operation,
            times=times,
            remaining=times,
            error=error,
            status=status,
            message=str(document["message"]) if document.get("message") else None,
            match=str(match) if match else None,
        )
        with self._lock:
            self._rules.append(rule)
        return asdict(rule)

    def list(self) -> list[dict[str, Any]]:
        with self._lock:
            return [asdict(rule) for rule in self._rules]

    def clear(self, fault_id: str | None = None) -> int:
        with self._lock:
            before = len(self._rules)
            self._rules = [r for r in self._rules if fault_id and r.id != fault_id]
            return before - len(self._rules)

    def services(self) -> set[str]:
        with self._lock:
            return {rule.service for rule in self._rules}

    def take(self, service: str, operation: str, haystack: Any) -> _Rule | None:
        """The first rule matching this request, with one of its uses consumed."""
        with self._lock:
            for rule in self._rules:
                if rule.service != service or rule.operation.lower() != operation.lower():
                    continue
                if rule.match and rule.match not in haystack():
                    continue
                rule.hits += 1
                if rule.remaining is not None:
                    rule.remaining -= 1
                    if rule.remaining <= 0:
                        self._rules.remove(rule)
                return _Rule(**asdict(rule))
        return None


def preset_error(preset: str, service: str, protocol: str) -> tuple[str, int]:
    """(error code, HTTP status) the service answers for a preset; a non-preset is the code."""
    if preset == "throttling":
        special = {
            "sns": ("Throttled", 429),
            "s3": ("SlowDown", 503),
            "dynamodb": ("ProvisionedThroughputExceededException", 400),
            "lambda": ("TooManyRequestsException", 429),
        }
        by_protocol = {
            "query": ("Throttling", 400),
            "rest-json": ("TooManyRequestsException", 429),
            "rest-xml": ("SlowDown", 503),
        }
        return special.get(service) or by_protocol.get(protocol, ("ThrottlingException", 400))
    if preset == "unavailable":
        return ("ServiceUnavailableException" if protocol == "json" else "ServiceUnavailable"), 503
    if preset == "internal":
        special = {"s3": "InternalError", "sns": "InternalError", "dynamodb": "InternalServerError"}
        return special.get(service, "InternalFailure"), 500
    if preset == "access-denied":
        if service == "sns":
            return "AuthorizationError", 403
        if protocol == "json":
            return "AccessDeniedException", 400
        if protocol == "rest-json":
            return "AccessDeniedException", 403
        return "AccessDenied", 403
    return preset, 400


def error_answer(
    code: str, status: int, message: str, protocol: str, request_id: str
) -> tuple[int, dict[str, str], str]:
    """An AWS error response in ``protocol`` (what botocore parses into ClientError)."""
    headers = {"x-amzn-RequestId": request_id, "x-amz-request-id": request_id}
    if protocol in ("json", "rest-json"):
        headers["Content-Type"] = (
            "application/x-amz-json-1.0" if protocol == "json" else "application/json"
        )
        headers["x-amzn-ErrorType"] = code
        headers["x-amzn-query-error"] = f"{code};Sender"
        return status, headers, json.dumps({"__type": code, "message": message})
    headers["Content-Type"] = "text/xml"
    escaped = message.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if protocol == "rest-xml":
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>'
            f"{code}</Code><Message>{escaped}</Message><RequestId>{request_id}</RequestId></Error>"
        )
        return status, headers, body
    kind = "Receiver" if status >= 500 else "Sender"
    body = (
        f"<ErrorResponse><Error><Type>{kind}</Type><Code>{code}</Code><Message>{escaped}</Message>"
        f"</Error><RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, headers, body


REGISTRY = FaultRegistry()


def install() -> None:
    """Intercept matching requests; serve the control endpoint. Emulator process only."""
    from moto.core.request import determine_request_protocol
    from moto.core.responses import boto3_service_name
    from moto.core.routing import get_service_router
    from moto.core.utils import get_service_model

    from tooling.emulator import request_hooks

    def operations(service: str) -> Any:
        try:
            return get_service_model(service).operation_names
        except Exception:
            return None

    def intercept(moto_service: str, request: Any) -> Any:
        if not REGISTRY.services():
            return None
        service = boto3_service_name.get(moto_service, moto_service)
        if service not in REGISTRY.services():
            return None
        try:
            operation = get_service_router(service).match(request)[0].name
        except Exception:
            return None
        rule = REGISTRY.take(service, operation, lambda: _haystack(request))
        if rule is None:
            return None
        model = get_service_model(service)
        try:
            protocol = determine_request_protocol(model, request.content_type)
        except NotImplementedError:
            protocol = str(model.protocol)
        code, status = preset_error(rule.error, service, protocol)
        message = rule.message or f"{code} (fault injected by the emulator, rule {rule.id})"
        return error_answer(code, rule.status or status, message, protocol, uuid.uuid4().hex)

    def control(request: Any, *_: Any) -> Any:
        method = request.method.upper()
        if method == "GET":
            return request_hooks.json_answer(200, {"faults": REGISTRY.list()})
        if method == "DELETE":
            cleared = REGISTRY.clear(request.args.get("id"))
            return request_hooks.json_answer(200, {"cleared": cleared})
        if method == "POST":
            try:
                document = json.loads(request.get_data() or b"{}")
                if not isinstance(document, dict):
                    raise ValueError("the body must be a JSON object")
                return request_hooks.json_answer(201, REGISTRY.add(document, operations))
            except ValueError as problem:
                return request_hooks.json_answer(400, {"error": str(problem)})
        return request_hooks.json_answer(405, {"error": f"{method} is not supported"})

    request_hooks.add_interceptor(intercept)
    request_hooks.add_route("/faults$", control)


def _haystack(request: Any) -> str:
    """What ``match`` is searched in: the decoded path, every query/form parameter, a JSON body."""
    parts = [unquote(request.path)]
    parts += [f"{name}={value}" for name, value in request.values.items(multi=True)]
    if (request.content_type or "").split(";")[0].strip() in _JSON_TYPES:
        parts.append(request.get_data(as_text=True))
    return "\n".join(parts)
