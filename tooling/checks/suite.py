"""Runs the project's test suite: the one command the README and CI name (`invoke test`)."""

from __future__ import annotations

import shlex
import subprocess
import sys

from tooling.checks import steps
from tooling.core.errors import ToolingError

# pytest exits 5 when it collected nothing: for this repo that is a broken suite, not a pass.
PYTEST_NO_TESTS_COLLECTED = 5


def run_suite(
    pytest_args: str = "", *, fast: bool = False, mirror_config: str | None = None
) -> None:
    """`check` (unless ``fast``), then pytest; both always run, and it fails if either fails.

    ``fast`` also leaves out the integration tests (the ones that deploy to the emulator).
    """
    failures: list[str] = []
    if not fast:
        try:
            steps.run_checks(steps.default_steps(mirror_config))
        except ToolingError as error:
            failures.append(str(error))
    extra = ["-m", "not integration"] if fast else []
    try:
        run_pytest([*extra, *shlex.split(pytest_args)])
    except ToolingError as error:
        failures.append(str(error))
    if failures:
        raise ToolingError("\n".join(failures))


def run_pytest(extra_args: list[str] | None = None) -> None:
    """Run pytest over ``tests/`` in a child process and raise when it does not pass."""
    command = [sys.executable, "-m", "pytest", *(extra_args or [])]
    returncode = subprocess.run(command, check=False).returncode
    if returncode == PYTEST_NO_TESTS_COLLECTED:
        raise ToolingError("pytest collected no tests", hint="check testpaths in pyproject.toml")
    if returncode != 0:
        raise ToolingError(f"pytest failed (exit {returncode})", hint="see the failures above")
