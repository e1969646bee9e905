"""What every command module shares: flag help, the invoke config, and user-facing errors."""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import TYPE_CHECKING

from invoke import Exit

from tooling.build.package import BuildSettings
from tooling.core.errors import ToolingError
from tooling.core.local_aws import DEFAULT_PORT, PORT_ENV_VAR

if TYPE_CHECKING:
    from collections.abc import Iterator

    from invoke import Context

ENV_HELP = "environment: local, dev, staging or prod"
EMULATED_HELP = "run a real env's root against the local emulator instead of AWS (local always is)"
ALLOW_DESTROY_HELP = (
    "REASON: let the plan guard pass a destroy/replace of protected resources in staging/prod"
)

# invoke configuration defaults; override in invoke.yaml or with INVOKE_* env vars
# (INVOKE_BUILD_ARCHITECTURE=x86_64, …).
CONFIG_DEFAULTS: dict[str, dict[str, object]] = {
    "build": {"architecture": "arm64", "python_version": "3.12"},
    # Provider filesystem mirror; the TERRAFORM_PROVIDER_MIRROR env var wins over this.
    "terraform": {"provider_mirror": ""},
    # Port of the local AWS emulator (moto server); the SFP_EMULATOR_PORT env var wins.
    "emulator": {"port": DEFAULT_PORT},
}


@contextmanager
def user_errors() -> Iterator[None]:
    """Show a ToolingError as its message + hint and exit 1, instead of a traceback."""
    try:
        yield
    except ToolingError as error:
        raise Exit(f"error: {error}", code=1) from error


def build_settings(c: Context, arch: str, python_version: str) -> BuildSettings:
    """Build settings from flags, falling back to the invoke config (`build.*`)."""
    return BuildSettings(
        architecture=arch or c.config.build.architecture,
        python_version=python_version or c.config.build.python_version,
    )


def mirror(c: Context) -> str:
    """The invoke config's provider mirror (TERRAFORM_PROVIDER_MIRROR still wins)."""
    export_emulator_port(c)  # every Terraform task may reach the emulator (local, --emulated)
    return c.config.terraform.provider_mirror


def export_emulator_port(c: Context) -> None:
    """Make the invoke config's `emulator.port` visible to tooling/ (SFP_EMULATOR_PORT wins)."""
    if c.config.emulator.port:
        os.environ.setdefault(PORT_ENV_VAR, str(c.config.emulator.port))
