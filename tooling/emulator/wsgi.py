"""The emulator's front door: every request passes ``DomainDispatcherApplication.__call__``.

Two concerns live here, before moto routes a request to a service:

* **Loopback-only Host header** (DNS rebinding). The emulator listens on 127.0.0.1 and runs
  code from any zip deployed to it, as the developer. A web page on ``evil.example`` whose
  name re-resolves to 127.0.0.1 could otherwise drive it from a browser. Requests whose
  ``Host`` is not a loopback name — ``127.0.0.0/8``, ``[::1]``, ``localhost`` or any
  ``*.localhost`` (RFC 6761; botocore's virtual-hosted S3 names such as
  ``bucket.localhost``) — are refused with 403 before any service sees them. A request
  without ``Host`` (HTTP/1.0) is not a browser's and passes.
* **API Gateway stages**: ``/_aws/execute-api/{api_id}/{stage}/…`` goes to
  :mod:`tooling.emulator.apigateway` instead of moto (which would hand it to S3).
"""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any

from tooling.emulator import apigateway

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable


def is_loopback_host(host: str) -> bool:
    """Is a Host header value (name or address, optional port) a loopback name?"""
    name = host.strip().lower()
    if name.startswith("["):  # [::1]:4566
        name = name[1 : name.find("]")] if "]" in name else name
    elif name.count(":") == 1:
        name = name.rsplit(":", 1)[0]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def refuse_host(host: str, start_response: Callable[..., Any]) -> Iterable[bytes]:
    """403 for a request addressed to a name that is not loopback."""
    body = (
        f"Host {host!r} is not a loopback name: the emulator answers only requests addressed to "
        "127.0.0.1, localhost or [::1] (DNS rebinding protection). Use "
        "http://127.0.0.1:<port> as the endpoint.\n"
    ).encode()
    start_response(
        "403 Forbidden",
        [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))],
    )
    return [body]


def install() -> None:
    """Put the Host check and the execute-api route in front of moto's dispatcher."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    original = DomainDispatcherApplication.__call__

    def dispatch(self: Any, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        host = environ.get("HTTP_HOST")
        if host is not None and not is_loopback_host(str(host)):
            return refuse_host(str(host), start_response)
        if apigateway.is_execute_api_path(str(environ.get("PATH_INFO", ""))):
            return apigateway.wsgi_app(environ, start_response)
        return original(self, environ, start_response)

    DomainDispatcherApplication.__call__ = dispatch  # type: ignore[method-assign]
