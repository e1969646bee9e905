"""Where things live and what the tooling reads: envs, repo paths, provider mirror, terraform.

Everything else in ``tooling/`` asks this module instead of hard-coding a path or an env name, so a
wrong name or a missing tool fails early with one clear message.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from tooling.errors import ToolingError

ENVS: tuple[str, ...] = ("local", "dev", "staging", "prod")
# Protected envs ask before applying, refuse `destroy`, and get the plan guard's strict rules.
PROTECTED_ENVS: frozenset[str] = frozenset({"staging", "prod"})
# The env that deploys to the embedded AWS emulator instead of a real account.
LOCAL_ENV = "local"

REPO_ROOT: Path = Path(__file__).resolve().parents[1]
DIST_DIR: Path = REPO_ROOT / "dist"
ZIP_PATH: Path = DIST_DIR / "handler.zip"
ZIP_SHA_PATH: Path = DIST_DIR / "handler.zip.base64sha256"
HANDLER_DIR: Path = REPO_ROOT / "handler"
TERRAFORM_DIR: Path = REPO_ROOT / "terraform"
ENVS_DIR: Path = TERRAFORM_DIR / "envs"
MODULES_DIR: Path = TERRAFORM_DIR / "modules"
WORK_DIR: Path = REPO_ROOT / ".work"

# Environment variable and invoke config key (`terraform.provider_mirror`) naming a Terraform
# provider filesystem mirror; the env var wins so CI can override a checked-in invoke.yaml.
MIRROR_ENV_VAR = "TERRAFORM_PROVIDER_MIRROR"
TERRAFORM_INSTALL_HINT = (
    "install Terraform >= 1.11 and put it on PATH: "
    "https://developer.hashicorp.com/terraform/install (or set TERRAFORM_BIN to its path)"
)


def resolve_env(name: str) -> str:
    """Return ``name`` when it is one of :data:`ENVS`, otherwise raise listing the valid ones."""
    cleaned = name.strip().lower()
    if cleaned not in ENVS:
        raise ToolingError(
            f"unknown env {name!r}: valid envs are {', '.join(ENVS)}",
            hint="pass one of them, e.g. --env=local",
        )
    return cleaned


def is_protected(env: str) -> bool:
    """True for envs where applying needs confirmation and destroying is refused."""
    return resolve_env(env) in PROTECTED_ENVS


def work_dir(env: str) -> Path:
    """The git-ignored per-env work dir holding the saved plan, its JSON/text and TF_DATA_DIR."""
    return WORK_DIR / resolve_env(env)


def env_root(env: str) -> Path:
    """The Terraform root module of a real env (``terraform/envs/<env>``)."""
    return ENVS_DIR / resolve_env(env)


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
    configured = os.environ.get("TERRAFORM_BIN", "").strip()
    found = shutil.which(configured or "terraform")
    if not found:
        what = f"TERRAFORM_BIN={configured!r}" if configured else "terraform"
        raise ToolingError(f"{what} was not found on PATH", hint=TERRAFORM_INSTALL_HINT)
    return found
