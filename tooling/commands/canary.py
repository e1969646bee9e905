"""`invoke smoke`: the post-deploy canary."""

from __future__ import annotations

from invoke import Context, Exit, task

from tooling.canary import report, runner
from tooling.commands.common import EMULATED_HELP, ENV_HELP, mirror, user_errors


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP})
def smoke(c: Context, env: str, emulated: bool = False) -> None:
    """Black-box canary: probes through the stack, least privilege, wiring; exit 1 on a failure."""
    with user_errors():
        checks = runner.run_smoke(env, emulated=emulated, mirror_config=mirror(c))
        print(report.render_table(checks))
        if any(report.iter_failures(checks)):
            raise Exit(code=1)


TASKS = (smoke,)
