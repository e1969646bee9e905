"""`invoke plan / apply / deploy / destroy / output`: one env through a saved, reviewed plan."""

from __future__ import annotations

from invoke import Context, task

from tooling.commands.common import (
    ALLOW_DESTROY_HELP,
    EMULATED_HELP,
    ENV_HELP,
    build_settings,
    mirror,
    user_errors,
)
from tooling.deploy import flows
from tooling.deploy.report import format_outputs


@task(
    help={
        "env": ENV_HELP,
        "emulated": EMULATED_HELP,
        "destroy": "plan the destruction of the env instead",
    }
)
def plan(c: Context, env: str, emulated: bool = False, destroy: bool = False) -> None:
    """terraform init + plan -out=.work/ENV/tfplan (+ tfplan.json, plan.txt); print a summary."""
    with user_errors():
        outcome = flows.plan(env, emulated=emulated, destroy=destroy, mirror_config=mirror(c))
        print(outcome.describe())


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP, "allow_destroy": ALLOW_DESTROY_HELP})
def apply(c: Context, env: str, emulated: bool = False, allow_destroy: str = "") -> None:
    """Apply ONLY the saved plan from `invoke plan` (refused when missing or stale)."""
    with user_errors():
        outputs = flows.apply(
            env, emulated=emulated, allow_destroy=allow_destroy or None, mirror_config=mirror(c)
        )
        print(format_outputs(outputs))


@task(
    help={
        "env": ENV_HELP,
        "yes": "apply to staging/prod without asking (pipelines); without it and without a "
        "terminal the deploy refuses",
        "emulated": EMULATED_HELP,
        "allow_destroy": ALLOW_DESTROY_HELP,
        "arch": "Lambda architecture for the build (default: build.architecture)",
    }
)
def deploy(
    c: Context,
    env: str,
    yes: bool = False,
    emulated: bool = False,
    allow_destroy: str = "",
    arch: str = "",
) -> None:
    """build → plan → (staging/prod: show summary, confirm) → apply → outputs + next steps."""
    with user_errors():
        report = flows.deploy(
            env,
            yes=yes,
            emulated=emulated,
            allow_destroy=allow_destroy or None,
            build_settings=build_settings(c, arch, ""),
            mirror_config=mirror(c),
        )
        print(report.render())


@task(
    help={
        "env": "local or dev (staging and prod are refused)",
        "yes": "destroy a real env without asking",
        "emulated": EMULATED_HELP,
    }
)
def destroy(c: Context, env: str, yes: bool = False, emulated: bool = False) -> None:
    """Destroy an unprotected env through a saved destroy plan; staging/prod are refused."""
    with user_errors():
        flows.destroy(env, yes=yes, emulated=emulated, mirror_config=mirror(c))


@task(help={"env": ENV_HELP, "json": "print one JSON object instead", "emulated": EMULATED_HELP})
def output(c: Context, env: str, json: bool = False, emulated: bool = False) -> None:
    """Print the env's Terraform outputs (name = value, or --json)."""
    with user_errors():
        outputs = flows.output(env, emulated=emulated, mirror_config=mirror(c))
        print(format_outputs(outputs, as_json=json))


TASKS = (plan, apply, deploy, destroy, output)
