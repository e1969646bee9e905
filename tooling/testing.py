"""Runs the project's test suite: the one command the README and CI name."""

from __future__ import annotations

import subprocess
import sys

from tooling.errors import ToolingError

# pytest exits 5 when it collected nothing: for this repo that is a broken suite, not a pass.
PYTEST_NO_TESTS_COLLECTED = 5


def run_pytest(extra_args: list[str] | None = None) -> None:
    """Run pytest over ``tests/`` in a child process and raise when it does not pass."""
    command = [sys.executable, "-m", "pytest", *(extra_args or [])]
    returncode = subprocess.run(command, check=False).returncode
    if returncode == PYTEST_NO_TESTS_COLLECTED:
        raise ToolingError("pytest collected no tests", hint="check testpaths in pyproject.toml")
    if returncode != 0:
        raise ToolingError(f"pytest failed (exit {returncode})", hint="see the failures above")
