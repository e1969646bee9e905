"""`invoke emulator.start / .stop / .status`: the embedded AWS emulator."""

from __future__ import annotations

from invoke import Context, Exit, task

from tooling.commands.common import export_emulator_port, user_errors
from tooling.emulator import lifecycle


@task
def start(c: Context) -> None:
    """Start the local AWS emulator (moto server) in the background; print its endpoint."""
    with user_errors():
        export_emulator_port(c)
        print(lifecycle.start(lifecycle.default_emulator()).describe())


@task
def stop(c: Context) -> None:
    """Stop the emulator started by `emulator.start` (its in-memory resources are lost)."""
    with user_errors():
        export_emulator_port(c)
        stopped = lifecycle.stop(lifecycle.default_emulator())
        print("emulator: stopped" if stopped else "emulator: was not running")


@task
def status(c: Context) -> None:
    """Say whether the emulator runs, where, and its log file; exit 1 when it does not."""
    with user_errors():
        export_emulator_port(c)
        current = lifecycle.status(lifecycle.default_emulator())
        print(current.describe())
        if not current.running:
            raise Exit(code=1)


TASKS = (start, stop, status)
