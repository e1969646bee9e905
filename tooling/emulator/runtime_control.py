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
    return _call(endpoint, "GET", LAMBDA_PATH)


def stop_sandboxes(endpoint: str, function: str = "") -> int:
    """Stop the idle sandboxes of ``function`` (a name; "" = every function); how many."""
    path = LAMBDA_PATH + (f"?function={quote(function)}" if function else "")
    return int(_call(endpoint, "DELETE", path).get("stopped", 0))


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


def _call(endpoint: str, method: str, path: str) -> dict[str, Any]:
    request = urllib.request.Request(endpoint.rstrip("/") + path, method=method)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - loopback
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        raise ToolingError(
            f"the emulator answered {error.code} to {method} {path}",
            hint="this emulator has no Lambda runtime: restart it (`invoke emulator.stop`)"
            if error.code == 404
            else "see .emulator/moto.log",
        ) from error
    except (urllib.error.URLError, OSError) as error:
        raise ToolingError(
            f"cannot reach the emulator at {endpoint}: {error}",
            hint="start it with `invoke emulator.start` (or any task that uses it)",
        ) from error
