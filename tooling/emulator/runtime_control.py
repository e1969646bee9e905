"""The Lambda runtime's control route, seen from a client: its status, stopping sandboxes, and
waiting until every asynchronous event has been handled.

``GET /moto-api/sfp/lambda`` answers the runtime's status (sandboxes per function, the async
queue: ``queued``, ``in_flight``); ``DELETE …?function=NAME`` stops that function's idle
sandboxes (served by :func:`tooling.emulator.lambda_runtime.install`). An event leaves the async
queue only after its last attempt and its destination record: a queue with nothing queued and
nothing in flight has delivered everything it was given. Tests and benchmarks wait for that
instead of sleeping "long enough".

Imports no moto: it only speaks HTTP to a running emulator.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import quote

from tooling.core.errors import ToolingError
from tooling.emulator.request_hooks import CONTROL_PREFIX

LAMBDA_PATH = f"{CONTROL_PREFIX}/lambda"
POLL_SECONDS = 0.1


def status(endpoint: str) -> dict[str, Any]:
    """The runtime's status document."""
    return dict(control_call(endpoint, "GET", LAMBDA_PATH))


def stop_sandboxes(endpoint: str, function: str = "") -> int:
    """Stop the idle sandboxes of ``function`` (a name; "" = every function); how many."""
    path = LAMBDA_PATH + (f"?function={quote(function)}" if function else "")
    return int(control_call(endpoint, "DELETE", path).get("stopped", 0))


def wait_until_idle(endpoint: str, timeout: float) -> None:
    """Return once the async queue holds nothing queued, waiting for a retry or in flight."""
    deadline = time.monotonic() + timeout
    while True:
        queue = status(endpoint).get("async") or {}
        if not queue.get("queued") and not queue.get("in_flight"):
            return
        if time.monotonic() >= deadline:
            raise ToolingError(
                f"the emulator's async queue is still busy after {timeout:g} s: "
                f"{queue.get('queued')} queued, {queue.get('in_flight')} in flight",
                hint="a function may be stuck; see `invoke logs` or .emulator/moto.log",
            )
        time.sleep(POLL_SECONDS)


def control_call(
    endpoint: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    refused: str = "see .emulator/moto.log",
    missing: str = "this emulator has no Lambda runtime: restart it (`invoke emulator.stop`)",
) -> Any:
    """One JSON request to a control route of the emulator (``path`` under ``/moto-api/sfp``).

    An error answer becomes a ToolingError with the route's ``error`` text and the hint
    ``missing`` (404: an emulator started before the route existed) or ``refused``.
    """
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 - the emulator's http URL on loopback
        endpoint.rstrip("/") + path,
        data=data,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        detail = error.read().decode(errors="replace")
        with contextlib.suppress(ValueError, AttributeError):
            detail = json.loads(detail).get("error", detail)
        raise ToolingError(
            f"the emulator refused {method} {path} ({error.code}): {detail}",
            hint=missing if error.code == 404 else refused,
        ) from error
    except (urllib.error.URLError, OSError) as error:
        raise ToolingError(
            f"cannot reach the emulator at {endpoint}: {error}",
            hint="start it (`invoke emulator.start`) or set SFP_EMULATOR_PORT to its port",
        ) from error
