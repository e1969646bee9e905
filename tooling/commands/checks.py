"""`invoke check / test / checkov-sarif`: the static checks and the whole suite."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, task

from tooling.checks import checkov, steps, suite
from tooling.commands.common import mirror, user_errors


@task
def check(c: Context) -> None:
    """Static checks: ruff, terraform fmt/validate/test, checkov (+ workflow linters); summary."""
    with user_errors():
        steps.run_checks(steps.default_steps(mirror(c)))


@task(
    help={
        "pytest_args": "extra arguments passed to pytest, e.g. '-k handler -x'",
        "fast": "skip `check` and the emulator-deploying integration tests",
    }
)
def test(c: Context, pytest_args: str = "", fast: bool = False) -> None:
    """The whole suite (what CI runs): `check`, then pytest over tests/; fails if either fails."""
    with user_errors():
        suite.run_suite(pytest_args, fast=fast, mirror_config=mirror(c))


@task(help={"output_dir": "directory for results_sarif.sarif (default .work/checkov)"})
def checkov_sarif(c: Context, output_dir: str = ".work/checkov") -> None:
    """checkov over terraform/ with SARIF output, for GitHub code scanning."""
    with user_errors():
        print(checkov.checkov_sarif(Path(output_dir)))


TASKS = (check, test, checkov_sarif)
