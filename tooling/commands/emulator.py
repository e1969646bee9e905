"""`invoke emulator.start / .stop / .status / .fault`: the embedded AWS emulator."""

from __future__ import annotations

from invoke import Context, Exit, task

from tooling.commands.common import export_emulator_port, user_errors
from tooling.core.errors import ToolingError
from tooling.emulator import faults, lifecycle


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


@task(
    help={
        "service": "botocore service name: sns, s3, dynamodb, sqs, lambda, kms, logs…",
        "operation": "API operation: Publish, GetObject, PutItem…",
        "times": "how many requests fail (SDK retries count); 0 = every request until cleared",
        "error": f"{', '.join(faults.PRESETS)}, or any error code (with --status)",
        "status": "HTTP status for a custom error code (default 400)",
        "message": "error message (default: says the emulator injected it)",
        "match": "only requests containing this text (e.g. a topic ARN or an object key)",
        "list": "list the active faults instead",
        "clear": "remove every active fault instead (or only --id)",
        "id": "with --clear: the fault to remove",
    }
)
def fault(
    c: Context,
    service: str = "",
    operation: str = "",
    times: int = 1,
    error: str = "throttling",
    status: int = 0,
    message: str = "",
    match: str = "",
    list: bool = False,
    clear: bool = False,
    id: str = "",
) -> None:
    """Make an emulator operation fail (e.g. --service sns --operation Publish --times 2)."""
    with user_errors():
        export_emulator_port(c)
        if list:
            active = faults.active()
            for item in active:
                print(describe(item))
            if not active:
                print("no active faults")
            return
        if clear:
            print(f"cleared {faults.clear(id or None)} fault(s)")
            return
        if not service or not operation:
            raise ToolingError(
                "which operation should fail?",
                hint="e.g. invoke emulator.fault --service sns --operation Publish --times 2",
            )
        added = faults.inject(
            service,
            operation,
            times=times if times > 0 else None,
            error=error,
            status=status or None,
            message=message or None,
            match=match or None,
        )
        print(describe(added))


def describe(item: faults.Fault) -> str:
    """One line per fault: what fails, how, how many more times."""
    left = "until cleared" if item.remaining is None else f"{item.remaining} more request(s)"
    scope = f" matching {item.match!r}" if item.match else ""
    return (
        f"fault {item.id}: {item.service} {item.operation}{scope} → {item.error}"
        f"{f' ({item.status})' if item.status else ''}, {left}, {item.hits} hit(s) so far"
    )


TASKS = (start, stop, status, fault)
