"""The environments: their names, which are protected, where each one's files live, and the
settings the tooling reads from an env's own ``terraform.tfvars`` (region, account)."""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING

from tooling.core import paths, tfvars
from tooling.core.errors import ToolingError
from tooling.core.local_aws import MOTO_ACCOUNT_ID

if TYPE_CHECKING:
    from pathlib import Path

ENVS: tuple[str, ...] = ("local", "dev", "staging", "prod")
# Protected envs ask before applying, refuse `destroy`, and get the plan guard's strict rules.
PROTECTED_ENVS: frozenset[str] = frozenset({"staging", "prod"})
# The env that deploys to the embedded AWS emulator instead of a real account.
LOCAL_ENV = "local"
# A real env run against the emulator (`--emulated`) works in `.work/<env>-emulated/`, so its
# state and plans never mix with the real env's in `.work/<env>/`.
EMULATED_WORK_SUFFIX = "-emulated"
# Region when an env's terraform.tfvars names none (the AWS CLI's and moto's default too).
DEFAULT_REGION = "us-east-1"
# The S3 backend's state object of a real env (what `invoke backend-config` writes).
STATE_KEY = "serverless-file-processor/{env}/terraform.tfstate"
ACCOUNT_ID_PATTERN = re.compile(r"\d{12}")


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


def runs_on_emulator(env: str, *, emulated: bool = False) -> bool:
    """True when ``env`` (with ``--emulated`` or not) deploys to the embedded emulator."""
    return emulated or resolve_env(env) == LOCAL_ENV


def work_dir(env: str, *, emulated: bool = False, work_root: Path | None = None) -> Path:
    """The git-ignored work dir holding the saved plan, its JSON/text, TF_DATA_DIR (and, on the
    emulator, the local state): ``.work/<env>``, or ``.work/<env>-emulated`` for ``--emulated``."""
    name = resolve_env(env)
    base = work_root or paths.WORK_DIR
    suffix = EMULATED_WORK_SUFFIX if emulated and name != LOCAL_ENV else ""
    return base / f"{name}{suffix}"


def label_of_work_dir(path: Path) -> str:
    """How messages name the env a work dir belongs to: ``local``, ``prod (emulated)``."""
    name = path.name
    if name.endswith(EMULATED_WORK_SUFFIX):
        return f"{name.removesuffix(EMULATED_WORK_SUFFIX)} (emulated)"
    return name


def env_root(env: str) -> Path:
    """The Terraform root module of an env (``terraform/envs/<env>``)."""
    return paths.ENVS_DIR / resolve_env(env)


def region(env: str, envs_dir: Path | None = None) -> str:
    """The env's ``region`` from its terraform.tfvars, else :data:`DEFAULT_REGION`."""
    value = tfvars.env_tfvars(resolve_env(env), envs_dir).get("region")
    return value if isinstance(value, str) and value.strip() else DEFAULT_REGION


def allowed_account_ids(env: str, envs_dir: Path | None = None) -> list[str]:
    """The env's ``allowed_account_ids`` from its terraform.tfvars (``[]`` when not set)."""
    value = tfvars.env_tfvars(resolve_env(env), envs_dir).get("allowed_account_ids")
    if isinstance(value, str):
        value = [value]
    return [str(item) for item in value] if isinstance(value, list) else []


def emulated_account_id(env: str, envs_dir: Path | None = None) -> str:
    """The moto account ``env`` lives in on the emulator.

    Each env gets its own account, as on AWS, so account-wide settings (API Gateway's CloudWatch
    role, ``aws_api_gateway_account``) of one env never show up as a change in another's plan:

    * ``local`` is moto's default account, the one the tooling's plain fake credentials reach;
    * a real env run with ``--emulated`` is the account its terraform.tfvars allows (the first of
      ``allowed_account_ids``), so its ARNs and account-based names look as they will on AWS;
    * when that is missing, not an account id, or moto's default account, a fixed id derived
      from the env's name keeps it apart all the same.
    """
    name = resolve_env(env)
    if name == LOCAL_ENV:
        return MOTO_ACCOUNT_ID
    declared = next(iter(allowed_account_ids(name, envs_dir)), "")
    if ACCOUNT_ID_PATTERN.fullmatch(declared) and declared != MOTO_ACCOUNT_ID:
        return declared
    digest = int.from_bytes(hashlib.sha256(f"sfp-emulated-{name}".encode()).digest()[:8], "big")
    return f"{digest % 10**12:012d}"
