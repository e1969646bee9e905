"""The environments: their names, which are protected, and where each one's files live."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

ENVS: tuple[str, ...] = ("local", "dev", "staging", "prod")
# Protected envs ask before applying, refuse `destroy`, and get the plan guard's strict rules.
PROTECTED_ENVS: frozenset[str] = frozenset({"staging", "prod"})
# The env that deploys to the embedded AWS emulator instead of a real account.
LOCAL_ENV = "local"


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
    return paths.WORK_DIR / resolve_env(env)


def env_root(env: str) -> Path:
    """The Terraform root module of a real env (``terraform/envs/<env>``)."""
    return paths.ENVS_DIR / resolve_env(env)
