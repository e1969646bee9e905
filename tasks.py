"""Invoke tasks: the project's one front door (`invoke --list`). Logic lives in `tooling/`."""

from __future__ import annotations

from invoke import Collection, Context, Exit, task

from tooling import testing
from tooling.errors import ToolingError


@task(help={"pytest_args": "extra arguments passed to pytest, e.g. '-k handler -x'"})
def test(c: Context, pytest_args: str = "") -> None:
    """Run the whole test suite (what CI runs)."""
    try:
        testing.run_pytest(pytest_args.split())
    except ToolingError as error:
        raise Exit(str(error), code=1) from error


namespace = Collection(test)
