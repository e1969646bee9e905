"""`invoke smoke`: the post-deploy canary."""

from __future__ import annotations

from invoke import Context, Exit, task

from tooling.canary import report, runner
from tooling.commands.common import EMULATED_HELP, ENV_HELP, export_emulator_port, user_errors


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP})
def smoke(c: Context, env: str, emulated: bool = False) -> None:
    """Canary: probe objects end to end + wiring checks; pass/fail table, exit 1 on a failure."""
    with user_errors():
        export_emulator_port(c)
        checks = runner.run_smoke(env, emulated=emulated)
        print(report.render_table(checks))
        if any(report.iter_failures(checks)):
            raise Exit(code=1)


TASKS = (smoke,)
