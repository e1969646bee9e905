"""`invoke build`: the Lambda zip."""

from __future__ import annotations

from invoke import Context, task

from tooling.build import package
from tooling.commands.common import build_settings, user_errors


@task(
    help={
        "arch": "Lambda architecture: arm64 (default) or x86_64",
        "python_version": "Lambda Python runtime version to vendor wheels for (default 3.12)",
        "force": "rebuild even when the inputs' content hash is unchanged",
    }
)
def build(c: Context, arch: str = "", python_version: str = "", force: bool = False) -> None:
    """Build dist/handler.zip: vendored runtime deps + handler, byte-reproducible."""
    with user_errors():
        print(package.build(build_settings(c, arch, python_version), force=force).describe())


TASKS = (build,)
