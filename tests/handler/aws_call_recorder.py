"""Records every AWS API call a set of botocore clients makes, through botocore's event hooks.

One :class:`AwsCall` per API call as the code made it (botocore's own retries are inside one
call), with the parameters it passed and how the call ended: the parsed response, or the error
code and HTTP status. It sees what moto answers exactly as it would see AWS's answer, because
the hooks sit in botocore, below the handler and above the transport.

:func:`failing_sends` makes a client's sends of one operation answer a given HTTP error first
(a transient fault), so the real retry and error paths run.
"""

from __future__ import annotations

import contextlib
import itertools
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSResponse

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

_IDS = itertools.count()
_PARAMS_KEY = "sfp_recorded_params"


@dataclass(frozen=True)
class AwsCall:
    """One API call: ``service`` is botocore's name (``s3``, ``sns``, ``dynamodb``)."""

    service: str
    operation: str
    params: Mapping[str, Any]
    status: int | None  # HTTP status of the answer (None: no answer, e.g. a connection error)
    error_code: str | None
    response: Mapping[str, Any]


class CallRecorder:
    """Collects the calls of the clients it is attached to, in order."""

    def __init__(self) -> None:
        self.calls: list[AwsCall] = []

    @contextlib.contextmanager
    def attached(self, *clients: Any) -> Iterator[CallRecorder]:
        """Record the calls ``clients`` make inside the ``with`` block."""
        handlers = []
        for client in clients:
            unique = f"sfp-recorder-{next(_IDS)}"
            service = client.meta.service_model.service_name
            events = client.meta.events
            registrations = (
                ("provide-client-params", self._remember_params, f"{unique}-params"),
                ("after-call", self._make_after_call(service), f"{unique}-after"),
                ("after-call-error", self._make_after_error(service), f"{unique}-error"),
            )
            for event, handler, handler_id in registrations:
                events.register(event, handler, unique_id=handler_id)
                handlers.append((events, event, handler_id))
        try:
            yield self
        finally:
            for events, event, handler_id in handlers:
                events.unregister(event, unique_id=handler_id)

    @staticmethod
    def _remember_params(
        params: Mapping[str, Any], model: Any, context: dict[str, Any], **_: Any
    ) -> None:
        context[_PARAMS_KEY] = (model.name, dict(params))

    def _make_after_call(self, service: str) -> Any:
        def after_call(
            http_response: Any,
            parsed: Mapping[str, Any],
            model: Any,
            context: dict[str, Any],
            **_: Any,
        ) -> None:
            error = parsed.get("Error") or {}
            self.calls.append(
                AwsCall(
                    service=service,
                    operation=model.name,
                    params=context.get(_PARAMS_KEY, ("", {}))[1],
                    status=getattr(http_response, "status_code", None),
                    error_code=error.get("Code"),
                    response=parsed,
                )
            )

        return after_call

    def _make_after_error(self, service: str) -> Any:
        def after_error(context: dict[str, Any], exception: Exception, **_: Any) -> None:
            operation, params = context.get(_PARAMS_KEY, ("?", {}))
            self.calls.append(
                AwsCall(
                    service=service,
                    operation=operation,
                    params=params,
                    status=None,
                    error_code=type(exception).__name__,
                    response={},
                )
            )

        return after_error


class _Body:
    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._content


@contextlib.contextmanager
def failing_sends(
    client: Any, operation: str, *, times: int, status: int, body: bytes
) -> Iterator[None]:
    """The next ``times`` HTTP sends of ``operation`` by ``client`` answer ``status`` + ``body``
    (registered first, so moto never sees them); later sends go through."""
    remaining = [times]
    service = client.meta.service_model.service_id.hyphenize()
    event = f"before-send.{service}.{operation}"
    handler_id = f"sfp-failing-{next(_IDS)}"

    def fail(request: Any, **_: Any) -> AWSResponse | None:
        if remaining[0] <= 0:
            return None
        remaining[0] -= 1
        return AWSResponse(request.url, status, {}, _Body(body))

    client.meta.events.register_first(event, fail, unique_id=handler_id)
    try:
        yield
    finally:
        client.meta.events.unregister(event, unique_id=handler_id)
