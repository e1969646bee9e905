"""Invoke tasks: the project's one front door (`invoke --list`). Logic lives in `tooling/`."""

from __future__ import annotations

from contextlib import contextmanager
from typing import TYPE_CHECKING

from invoke import Collection, Context, Exit, task

from tooling import packaging, testing
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


@task(help={"pytest_args": "extra arguments passed to pytest, e.g. '-k handler -x'"})
def test(c: Context, pytest_args: str = "") -> None:
    """Run the whole test suite (what CI runs)."""
    with _user_errors():
        testing.run_pytest(pytest_args.split())


namespace = Collection(build, test)
namespace.configure(
    {
        # Defaults; override in invoke.yaml / env vars (INVOKE_BUILD_ARCHITECTURE=x86_64, …).
        "build": {"architecture": "arm64", "python_version": "3.12"},
        # Provider filesystem mirror; the TERRAFORM_PROVIDER_MIRROR env var wins over this.
        "terraform": {"provider_mirror": ""},
    }
)
