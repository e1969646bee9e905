"""The external tools the tooling runs, found in one place: terraform, the provider mirror,
and the console scripts of the tooling's own virtual environment."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tooling.core.errors import ToolingError

# Environment variable and invoke config key (`terraform.provider_mirror`) naming a Terraform
# provider filesystem mirror; the env var wins so CI can override a checked-in invoke.yaml.
MIRROR_ENV_VAR = "TERRAFORM_PROVIDER_MIRROR"
TERRAFORM_BIN_ENV_VAR = "TERRAFORM_BIN"
TERRAFORM_INSTALL_HINT = (
    "install Terraform >= 1.11 and put it on PATH: "
    "https://developer.hashicorp.com/terraform/install (or set TERRAFORM_BIN to its path)"
)


def provider_mirror(configured: str | None = None) -> Path | None:
    """The provider filesystem mirror to install from, or None to use the registry.

    ``TERRAFORM_PROVIDER_MIRROR`` wins over ``configured`` (the invoke config value
    ``terraform.provider_mirror``). A named path that does not exist is an error rather than a
    silent fall-back to the registry, which on an offline machine would fail much later and less
    clearly.
    """
    from_env = os.environ.get(MIRROR_ENV_VAR, "").strip()
    raw, source = (from_env, MIRROR_ENV_VAR) if from_env else (configured or "", "invoke config")
    if not raw.strip():
        return None
    path = Path(raw.strip()).expanduser()
    if not path.is_dir():
        raise ToolingError(
            f"provider mirror {str(path)!r} (from {source}) does not exist or is not a directory",
            hint=(
                f"point {MIRROR_ENV_VAR} (or terraform.provider_mirror in invoke.yaml) at a dir "
                "laid out as registry.terraform.io/hashicorp/aws/<version>/<os_arch>/, "
                f"or unset it to download providers from the registry"
            ),
        )
    return path.resolve()


def terraform_binary() -> str:
    """Absolute path of the terraform executable, or a clear error saying how to install it."""
    configured = os.environ.get(TERRAFORM_BIN_ENV_VAR, "").strip()
    found = shutil.which(configured or "terraform")
    if not found:
        what = f"{TERRAFORM_BIN_ENV_VAR}={configured!r}" if configured else "terraform"
        raise ToolingError(f"{what} was not found on PATH", hint=TERRAFORM_INSTALL_HINT)
    return found


def optional_terraform_binary() -> str | None:
    """The terraform executable when there is one (for best-effort steps such as `fmt`)."""
    return shutil.which(os.environ.get(TERRAFORM_BIN_ENV_VAR, "").strip() or "terraform")


def venv_tool(name: str) -> str:
    """A console script of the running interpreter's environment (.venv/bin), else PATH's."""
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.is_file() else name
