"""`invoke local`: one event through a deployed function (or the handler, in-process)."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, task

from tooling.commands.common import EMULATED_HELP, mirror, user_errors
from tooling.run import local as local_run


@task(
    help={
        "event": "JSON file holding one event, e.g. handler/events/s3-put-awkward-key.json",
        "env": "env whose deployed function runs the event (default local; dev too, not "
        "staging/prod)",
        "emulated": EMULATED_HELP,
        "in-process": "call the handler in this process (for a debugger) instead of invoking the "
        "deployed function; emulator envs only",
        "function": "processor or api (default: from the event's shape)",
    }
)
def local(
    c: Context,
    event: str,
    env: str = "local",
    emulated: bool = False,
    in_process: bool = False,
    function: str = "",
) -> None:
    """Invoke the deployed function with EVENT; print its response, results and log lines."""
    with user_errors():
        run = local_run.run_local(
            env,
            Path(event),
            emulated=emulated,
            in_process_call=in_process,
            function=function or None,
            mirror_config=mirror(c),
        )
        print(run.describe())


TASKS = (local,)
