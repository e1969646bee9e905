"""The external tools the tooling runs, found in one place: terraform, the provider mirror,
and the console scripts of the tooling's own virtual environment."""

from __future__ import annotations

import functools
import os
import shutil
import sys
from pathlib import Path

from tooling.core.console import say
from tooling.core.errors import ToolingError

# Environment variable and invoke config key (`terraform.provider_mirror`) naming a Terraform
# provider filesystem mirror; the env var wins so CI can override a checked-in invoke.yaml.
MIRROR_ENV_VAR = "TERRAFORM_PROVIDER_MIRROR"
# The value that turns the search off: install providers from the registry.
NO_MIRROR = "none"
# Where a mirror is looked for when none is named: Terraform's own implied local mirror dirs on
# Linux/macOS, then /opt, where machine images (this repo's CI kind) put theirs. A mirror is a
# dir holding registry.terraform.io/hashicorp/…, at most two levels below one of these.
MIRROR_SEARCH_DIRS: tuple[Path, ...] = (
    Path("~/.terraform.d/plugins"),
    Path("/usr/local/share/terraform/plugins"),
    Path("/usr/share/terraform/plugins"),
    Path("/opt"),
)
MIRROR_SEARCH_DEPTH = 2
MIRRORED_REGISTRY = "registry.terraform.io"
TERRAFORM_BIN_ENV_VAR = "TERRAFORM_BIN"
TERRAFORM_INSTALL_HINT = (
    "install Terraform >= 1.11 and put it on PATH: "
    "https://developer.hashicorp.com/terraform/install (or set TERRAFORM_BIN to its path)"
)


def provider_mirror(configured: str | None = None) -> Path | None:
    """The provider filesystem mirror to install from, or None to use the registry.

    In order: ``TERRAFORM_PROVIDER_MIRROR``, then ``configured`` (the invoke config value
    ``terraform.provider_mirror``), then a mirror found in :data:`MIRROR_SEARCH_DIRS` (said once
    per process). ``none`` as either setting means the registry. A named path that does not
    exist is an error rather than a silent fall-back to the registry, which on an offline
    machine would fail much later and less clearly.

    This is the only place a mirror is looked for, so ``.venv/bin/invoke`` finds the same one as
    ``.ci/invoke`` (which only bootstraps the venv).
    """
    from_env = os.environ.get(MIRROR_ENV_VAR, "").strip()
    raw, source = (from_env, MIRROR_ENV_VAR) if from_env else ((configured or "").strip(), "")
    source = source or "invoke config"
    if raw.lower() == NO_MIRROR:
        return None
    if not raw:
        found = find_provider_mirror(MIRROR_SEARCH_DIRS)
        if found is not None:
            _announce_found_mirror(found)
        return found
    path = Path(raw).expanduser()
    if not path.is_dir():
        raise ToolingError(
            f"provider mirror {str(path)!r} (from {source}) does not exist or is not a directory",
            hint=(
                f"point {MIRROR_ENV_VAR} (or terraform.provider_mirror in invoke.yaml) at a dir "
                "laid out as registry.terraform.io/hashicorp/aws/<version>/<os_arch>/, "
                f"or unset it to search the usual places ({MIRROR_ENV_VAR}={NO_MIRROR}: "
                "download providers from the registry)"
            ),
        )
    return path.resolve()


@functools.cache
def find_provider_mirror(search_dirs: tuple[Path, ...]) -> Path | None:
    """The first dir (in ``search_dirs`` order, then by name) that holds
    ``registry.terraform.io/hashicorp/``, at most :data:`MIRROR_SEARCH_DEPTH` levels down."""
    for base in search_dirs:
        expanded = base.expanduser()
        level = [expanded] if expanded.is_dir() else []
        for _ in range(MIRROR_SEARCH_DEPTH + 1):
            for candidate in level:
                if (candidate / MIRRORED_REGISTRY / "hashicorp").is_dir():
                    return candidate.resolve()
            level = [child for parent in level for child in _subdirs(parent)]
    return None


def _subdirs(path: Path) -> list[Path]:
    try:
        return sorted(child for child in path.iterdir() if child.is_dir())
    except OSError:  # unreadable dirs (other users' homes under /opt) are simply skipped
        return []


@functools.cache
def _announce_found_mirror(path: Path) -> None:
    say(
        f"» using the Terraform provider mirror found at {path} (set {MIRROR_ENV_VAR} to choose "
        f"another, or {MIRROR_ENV_VAR}={NO_MIRROR} for the registry)"
    )


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
