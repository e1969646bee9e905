"""Two hooks into moto server's request handling, shared by the emulator's patches.

* **Interceptors** run before moto handles a service request and may answer it themselves
  (fault injection does). They hook ``moto.core.utils.convert_to_flask_response.__call__``:
  every request routed to a service backend passes through it, S3's included (S3 does not go
  through ``BaseResponse.call_action``). While a request is handled, :func:`current` tells who
  sent it (used for the ``userIdentity``/``sourceIPAddress`` of S3 events).
* **Control routes** under ``/moto-api/sfp/…``: JSON endpoints of the emulator itself (faults,
  runtime status), added to moto's own ``/moto-api`` app, which only answers on the port the
  emulator listens on.

Loaded only by :mod:`tooling.emulator.server` (it imports moto and flask when installed).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Callable

CONTROL_PREFIX = "/moto-api/sfp"
# A response as moto's handlers return it: status, headers, body.
Answer = tuple[int, dict[str, str], "str | bytes"]
Interceptor = "Callable[[str, Request], Answer | None]"

_CREDENTIAL = re.compile(r"Credential=([A-Za-z0-9]+)/")
_local = threading.local()
_interceptors: list[Any] = []
_installed = False


@dataclass(frozen=True)
class RequestInfo:
    """Who sent the request being handled in this thread."""

    service: str
    source_ip: str
    access_key: str


def current() -> RequestInfo | None:
    """The service request this thread is handling, if any."""
    return getattr(_local, "request", None)


def add_interceptor(interceptor: Any) -> None:
    """Run ``interceptor(service, request)`` before moto handles each service request; a
    non-None answer is sent instead of moto's."""
    install()
    _interceptors.append(interceptor)


def add_route(path: str, handler: Callable[[Any, str, Any], Answer]) -> None:
    """Serve ``handler(request, full_url, headers)`` at ``CONTROL_PREFIX + path`` (a regex, as
    moto's own url_paths). Must run before the first ``/moto-api`` request."""
    from moto.moto_api._internal import urls

    urls.url_paths["{0}" + CONTROL_PREFIX + path] = handler


def json_answer(status: int, document: Any) -> Answer:
    return status, {"Content-Type": "application/json"}, json.dumps(document)


def access_key_of(request: Any) -> str:
    """The access key id a request was signed with ("" when unsigned)."""
    match = _CREDENTIAL.search(request.headers.get("Authorization", ""))
    if match:
        return match.group(1)
    credential = request.args.get("X-Amz-Credential", "")
    return credential.split("/", 1)[0]


def install() -> None:
    """Wrap moto's view function once."""
    global _installed
    if _installed:
        return
    from flask import Response, current_app
    from flask import request as flask_request
    from moto.core.request import normalize_request
    from moto.core.utils import convert_to_flask_response

    original = convert_to_flask_response.__call__

    def __call__(self: Any, args: Any = None, **kwargs: Any) -> Any:  # noqa: N807 - the dunder we wrap
        service = str(getattr(current_app, "service", "") or "")
        if service == "moto_api":
            return original(self, args, **kwargs)
        request = normalize_request(flask_request)
        _local.request = RequestInfo(service, request.remote_addr or "", access_key_of(request))
        try:
            for interceptor in list(_interceptors):
                answer = interceptor(service, request)
                if answer is not None:
                    status, headers, body = answer
                    return Response(response=body, status=status, headers=headers)
            return original(self, args, **kwargs)
        finally:
            _local.request = None

    convert_to_flask_response.__call__ = __call__  # type: ignore[method-assign]
    _installed = True
