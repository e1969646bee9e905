"""`invoke failures`, `redrive`, `logs`, `status`: operating a deployed env (docs/runbook.md)."""

from __future__ import annotations

from invoke import Context, Exit, task

from tooling.commands.common import EMULATED_HELP, ENV_HELP, mirror, user_errors
from tooling.core.console import say
from tooling.ops import failures as failures_ops
from tooling.ops import logs as logs_ops
from tooling.ops import redrive as redrive_ops
from tooling.ops import status as status_ops
from tooling.ops.durations import parse_duration
from tooling.run.target import connect


@task(
    help={
        "env": ENV_HELP,
        "json": "print one JSON array (every record whole) instead of the table",
        "emulated": EMULATED_HELP,
    }
)
def failures(c: Context, env: str, json: bool = False, emulated: bool = False) -> None:
    """List the failed events waiting in the failures queue (the queue is left as it was)."""
    with user_errors():
        deployed = connect(env, emulated=emulated, mirror_config=mirror(c))
        events = failures_ops.read_failures(deployed)
        if json:
            print(failures_ops.render_json(events, deployed))
        else:
            print(failures_ops.render_table(events, deployed))


@task(
    help={
        "env": ENV_HELP,
        "dry-run": "show what would be redriven; invoke and remove nothing",
        "key-prefix": "only events whose object key (decoded) starts with this",
        "since": "only events that failed within this long, e.g. 30m, 2h, 1d",
        "yes": "do not ask for confirmation on staging/prod (pipelines)",
        "emulated": EMULATED_HELP,
    }
)
def redrive(
    c: Context,
    env: str,
    dry_run: bool = False,
    key_prefix: str = "",
    since: str = "",
    yes: bool = False,
    emulated: bool = False,
) -> None:
    """Invoke the processor again with each failed event; remove it once Lambda accepted it."""
    with user_errors():
        selection = redrive_ops.Selection(
            key_prefix=key_prefix, since=parse_duration(since) if since else None
        )
        deployed = connect(env, emulated=emulated, mirror_config=mirror(c))
        outcome = redrive_ops.redrive(deployed, selection, dry_run=dry_run, yes=yes, say=print)
        if not outcome.ok:
            raise Exit(code=1)


@task(
    help={
        "env": ENV_HELP,
        "function": "processor or api",
        "since": "how far back to start, e.g. 10m (default), 2h, 1d",
        "follow": "keep printing new lines until Ctrl-C",
        "emulated": EMULATED_HELP,
    }
)
def logs(
    c: Context,
    env: str,
    function: str,
    since: str = "10m",
    follow: bool = False,
    emulated: bool = False,
) -> None:
    """Print a function's log lines: time, level, message, object key, correlation id."""
    with user_errors():
        logs_ops.check_function(function)
        start = parse_duration(since)
        deployed = connect(env, emulated=emulated, mirror_config=mirror(c))
        try:
            for line in logs_ops.read_logs(deployed, function, start, follow=follow, say=say):
                print(line.render(), flush=follow)
        except KeyboardInterrupt:
            say("(stopped)")


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP})
def status(c: Context, env: str, emulated: bool = False) -> None:
    """One screen: alarm states, last hour's traffic, failed events waiting, deployed artifact."""
    with user_errors():
        deployed = connect(env, emulated=emulated, mirror_config=mirror(c))
        print(status_ops.read_status(deployed).render())


TASKS = (failures, redrive, logs, status)
