"""``invoke logs``: a function's CloudWatch Logs, read as structure, optionally followed.

Each line is shown as time, level, message, and the object key and correlation id the handler
logged with it (:mod:`tooling.stack.logs`); EMF metric documents are left out (they are metrics).
``--follow`` keeps polling ``FilterLogEvents`` for new events, like ``aws logs tail --follow``,
until Ctrl-C.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError
from tooling.ops.durations import utc_now
from tooling.stack.logs import LogLine, parse_line

if TYPE_CHECKING:
    import datetime
    from collections.abc import Callable, Iterator

    from tooling.run.target import DeployedEnv

FUNCTIONS = ("processor", "api")
POLL_SECONDS = 2.0
# Events already shown, remembered to skip them on the next poll (FilterLogEvents is inclusive
# of startTime and may return late-arriving events with older timestamps).
SEEN_LIMIT = 10_000


def check_function(function: str) -> str:
    if function not in FUNCTIONS:
        raise ToolingError(
            f"unknown function {function!r}", hint="pass --function=processor or --function=api"
        )
    return function


def read_logs(
    deployed: DeployedEnv,
    function: str,
    since: datetime.timedelta,
    *,
    follow: bool = False,
    say: Callable[[str], None],
    poll_seconds: float = POLL_SECONDS,
    keep_going: Callable[[], bool] | None = None,
) -> Iterator[LogLine]:
    """The function's log lines since ``since`` ago, oldest first; then new ones if ``follow``.

    ``keep_going`` (tests) ends a follow; otherwise it ends with Ctrl-C in the command.
    """
    group = deployed.deployment.log_group_of(check_function(function))
    start = utc_now() - since
    say(
        f"{function} logs of {deployed.label} ({group}) since "
        f"{start.strftime('%Y-%m-%d %H:%M:%S')} UTC"
        + (", following (Ctrl-C ends)" if follow else "")
    )
    seen: dict[str, None] = {}
    start_ms = int(start.timestamp() * 1000)
    shown = 0
    while True:
        for event in _events(deployed.clients["logs"], group, start_ms):
            if event["eventId"] in seen:
                continue
            seen[event["eventId"]] = None
            if len(seen) > SEEN_LIMIT:
                seen.pop(next(iter(seen)))
            start_ms = max(start_ms, int(event["timestamp"]))
            line = parse_line(event["message"], int(event["timestamp"]))
            if line.kind != "metrics":
                shown += 1
                yield line
        if not follow or (keep_going is not None and not keep_going()):
            break
        time.sleep(poll_seconds)
    if not shown and not follow:
        say(f"(no log lines in {group} since then)")


def _events(logs: Any, group: str, start_ms: int) -> Iterator[dict[str, Any]]:
    """Every event of the group from ``start_ms`` on, page by page (FilterLogEvents interleaves
    the streams, so pages come in time order; each page is sorted to be sure)."""
    from botocore.exceptions import ClientError

    token: str | None = None
    while True:
        request: dict[str, Any] = {"logGroupName": group, "startTime": start_ms}
        if token:
            request["nextToken"] = token
        try:
            page = logs.filter_log_events(**request)
        except ClientError as error:
            raise _read_error(error, group) from error
        yield from sorted(
            page.get("events", []), key=lambda event: (event["timestamp"], event.get("eventId", ""))
        )
        token = page.get("nextToken")
        if not token:
            return


def _read_error(error: Any, group: str) -> ToolingError:
    code = error.response.get("Error", {}).get("Code", "")
    if code == "ResourceNotFoundException":
        return ToolingError(
            f"the log group {group} does not exist",
            hint="deploy the env (`invoke deploy --env=…`): the compute module creates it",
        )
    return ToolingError(
        f"cannot read {group}: {error}",
        hint="your credentials need logs:FilterLogEvents on the function's log group",
    )
