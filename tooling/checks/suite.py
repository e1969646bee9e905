"""Runs the project's test suite: the one command the README and CI name (`invoke test`).

`check` and pytest over ``tests/``; both always run, and the suite fails if either fails. On a
machine with more than one CPU they run at the same time:

* pytest runs in the foreground on pytest-xdist workers, its progress live. Integration tests
  that share a session fixture (one deployed stack) run on one worker, which builds it once;
  those with fixtures of their own form groups of their own (:mod:`tooling.checks.pytest_plugin`).
  They mostly wait (Terraform's provider waits, the emulator), so pytest gets one worker more
  than there are CPUs and the others keep the CPUs busy with the rest of the suite meanwhile;
* the checks run in the background at a lower CPU priority (``nice``), so they take the CPU time
  pytest leaves idle instead of slowing its critical path (the integration tests); their output,
  captured per check, and their summary follow pytest's.

``jobs=1`` runs the checks, then pytest, one thing at a time with live output, as before.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from typing import TYPE_CHECKING

from tooling.checks import steps
from tooling.core.console import say
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Callable

# pytest exits 5 when it collected nothing: for this repo that is a broken suite, not a pass.
PYTEST_NO_TESTS_COLLECTED = 5
JOBS_ENV_VAR = "SFP_TEST_JOBS"
# How much lower the background checks' CPU priority is than pytest's (nice(1) increments).
CHECK_NICENESS = 10


def default_jobs() -> int:
    """How many checks run at once: ``SFP_TEST_JOBS``, else the CPUs this process may use."""
    configured = os.environ.get(JOBS_ENV_VAR, "").strip()
    if configured:
        return parse_jobs(configured, JOBS_ENV_VAR)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def parse_jobs(value: str | int, source: str = "--jobs") -> int:
    """A positive number of parallel jobs, or a ToolingError saying what is accepted."""
    try:
        jobs = int(value)
    except (TypeError, ValueError):
        jobs = 0
    if jobs < 1:
        raise ToolingError(
            f"{source}={value!r} is not a number of parallel jobs",
            hint="pass a whole number >= 1 (1 runs everything one at a time, as before)",
        )
    return jobs


def run_suite(
    pytest_args: str = "",
    *,
    fast: bool = False,
    mirror_config: str | None = None,
    jobs: int | None = None,
) -> None:
    """`check` (unless ``fast``) and pytest; both always run, and it fails if either fails.

    ``fast`` also leaves out the integration tests (the ones that deploy to the emulator).
    ``jobs`` (default :func:`default_jobs`) = checks at once; pytest gets ``jobs + 1`` workers
    when it runs the integration tests, ``jobs`` otherwise; 1 runs everything serially.
    """
    workers = jobs or default_jobs()
    failures: list[str] = []
    started = time.monotonic()
    extra = [
        *(["-m", "not integration"] if fast else []),
        *xdist_args(workers, integration=not fast),
        *shlex.split(pytest_args),
    ]
    if fast or workers == 1:
        if not fast:
            _collect(failures, lambda: steps.run_checks(steps.default_steps(mirror_config)))
        _collect(failures, lambda: run_pytest(extra))
    else:
        try:
            planned = steps.default_steps(mirror_config)
        except ToolingError as error:  # e.g. a named provider mirror that does not exist
            failures.append(str(error))
            planned = []
        say(
            f"» check: {len(planned)} checks run in the background at low priority, {workers} at "
            "a time; their output and summary follow pytest's"
        )
        with steps.BackgroundChecks(planned, jobs=workers, nice=CHECK_NICENESS) as checks:
            _collect(failures, lambda: run_pytest(extra))
            pytest_done = time.monotonic()
            print("\n» check (ran beside pytest)", flush=True)
            _collect(failures, lambda: steps.report(checks.results()))
        say(f"» check finished {time.monotonic() - pytest_done:.0f} s after pytest")
    say(f"» test: {time.monotonic() - started:.0f} s in all")
    if failures:
        raise ToolingError("\n".join(failures))


def _collect(failures: list[str], run: Callable[[], object]) -> None:
    """Run one part of the suite; remember its failure and go on with the next."""
    try:
        run()
    except ToolingError as error:
        failures.append(str(error))


def xdist_args(jobs: int, *, integration: bool) -> list[str]:
    """pytest-xdist options for ``jobs`` CPUs (none for 1: a plain serial run)."""
    if jobs <= 1:
        return []
    return ["-n", str(jobs + 1 if integration else jobs), "--dist", "loadgroup"]


def run_pytest(extra_args: list[str] | None = None) -> None:
    """Run pytest over ``tests/`` in a child process and raise when it does not pass."""
    command = [sys.executable, "-m", "pytest", *(extra_args or [])]
    say(f"» {shlex.join(['pytest', *command[3:]])}")
    returncode = subprocess.run(command, check=False).returncode
    if returncode == PYTEST_NO_TESTS_COLLECTED:
        raise ToolingError("pytest collected no tests", hint="check testpaths in pyproject.toml")
    if returncode != 0:
        raise ToolingError(f"pytest failed (exit {returncode})", hint="see the failures above")
