"""`invoke check / test / docs / checkov-sarif`: the static checks, the whole suite, and the
generated module READMEs."""

from __future__ import annotations

from pathlib import Path

from invoke import Context, task

from tooling.checks import checkov, module_docs, steps, suite
from tooling.commands.common import mirror, user_errors
from tooling.core.console import say

JOBS_HELP = (
    "how many checks (and pytest workers) run at once; default: the CPUs available, or "
    "SFP_TEST_JOBS; 1 = one at a time with live output"
)


@task(help={"jobs": JOBS_HELP})
def check(c: Context, jobs: str = "") -> None:
    """Static checks: ruff, terraform fmt/validate/test, module READMEs, checkov, workflow lint."""
    with user_errors():
        count = suite.parse_jobs(jobs) if jobs else suite.default_jobs()
        steps.run_checks(steps.default_steps(mirror(c)), jobs=count)


@task(
    help={
        "pytest_args": "extra arguments passed to pytest, e.g. '-k handler -x'",
        "fast": "skip `check` and the emulator-deploying integration tests",
        "jobs": JOBS_HELP,
    }
)
def test(c: Context, pytest_args: str = "", fast: bool = False, jobs: str = "") -> None:
    """The whole suite (what CI runs): `check`, then pytest over tests/; fails if either fails."""
    with user_errors():
        count = suite.parse_jobs(jobs) if jobs else None
        suite.run_suite(pytest_args, fast=fast, mirror_config=mirror(c), jobs=count)


@task
def docs(c: Context) -> None:
    """Regenerate the module READMEs' inputs/outputs/resources from the HCL (between markers)."""
    with user_errors():
        changed = module_docs.write_all()
        for readme in changed:
            say(f"updated {readme}")
        print(f"module READMEs: {len(changed)} updated" if changed else "module READMEs: current")


@task(help={"output_dir": "directory for results_sarif.sarif (default .work/checkov)"})
def checkov_sarif(c: Context, output_dir: str = ".work/checkov") -> None:
    """checkov over terraform/ with SARIF output, for GitHub code scanning."""
    with user_errors():
        print(checkov.checkov_sarif(Path(output_dir)))


TASKS = (check, test, docs, checkov_sarif)
