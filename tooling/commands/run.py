"""`invoke local`: run the handler on one event against a deployed env on the emulator."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, task

from tooling.commands.common import EMULATED_HELP, export_emulator_port, user_errors
from tooling.run import local as local_run


@task(
    help={
        "event": "JSON event file, e.g. handler/events/s3-put-awkward-key.json",
        "env": "env whose deployed outputs configure the handler (default local)",
        "emulated": EMULATED_HELP,
    }
)
def local(c: Context, event: str, env: str = "local", emulated: bool = False) -> None:
    """Run the handler in-process on EVENT against the deployed env on the emulator."""
    with user_errors():
        export_emulator_port(c)
        print(local_run.run_local(env, Path(event), emulated=emulated).describe())


TASKS = (local,)
