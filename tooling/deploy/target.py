"""Where and how Terraform runs for one env: its root, work dir, variables and environment.

``local`` (or ``emulated=True``) runs against the embedded emulator via
:func:`tooling.emulator.override.prepare_emulated_root`; every other env runs in
``terraform/envs/<env>`` with real AWS credentials.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tooling.core import envs, tools
from tooling.core.errors import ToolingError
from tooling.emulator.override import prepare_emulated_root
from tooling.tf.runner import TerraformRunner

PLAN_FILE = "tfplan"


PLAN_JSON = "tfplan.json"


PLAN_TEXT = "plan.txt"


PLAN_META = "tfplan.meta.json"


DATA_DIR = ".terraform"


INIT_STAMP = "init.fingerprint"  # what the last `terraform init` was run for


# Optional per-env backend settings (bucket, key, region, …) for `init -backend-config=`;
# SFP_BACKEND_CONFIG names another file (e.g. one CI writes from secrets) and wins.
BACKEND_FILE = "backend.hcl"


BACKEND_ENV_VAR = "SFP_BACKEND_CONFIG"


@dataclass(frozen=True)
class Target:
    """Where and how Terraform runs for one env."""

    env: str
    root_dir: Path
    work_dir: Path
    emulated: bool
    variables: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    backend_config: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``dev`` or ``dev (emulated)``: how messages name the target."""
        return f"{self.env} (emulated)" if self.emulated and self.env != "local" else self.env

    @property
    def plan_file(self) -> Path:
        """The saved plan."""
        return self.work_dir / PLAN_FILE

    @property
    def plan_json(self) -> Path:
        """``terraform show -json`` of the saved plan."""
        return self.work_dir / PLAN_JSON

    @property
    def plan_text(self) -> Path:
        """``terraform show -no-color`` of the saved plan."""
        return self.work_dir / PLAN_TEXT

    @property
    def meta_file(self) -> Path:
        """The fingerprint of the plan's inputs, checked by ``apply``."""
        return self.work_dir / PLAN_META


def resolve_target(env: str, *, emulated: bool = False) -> Target:
    """The root dir, work dir, variables and env vars Terraform needs for ``env``."""
    name = envs.resolve_env(env)
    if name == envs.LOCAL_ENV or emulated:
        prepared = prepare_emulated_root(name)
        return Target(
            env=name,
            root_dir=prepared.root_dir,
            work_dir=prepared.work_dir or envs.work_dir(name),
            emulated=True,
            variables=dict(prepared.variables),
            environment=dict(prepared.environment),
        )
    root = envs.env_root(name)
    if not root.is_dir() or not any(root.glob("*.tf")):
        raise ToolingError(
            f"the {name} env has no Terraform root at {root}",
            hint="the env roots live in terraform/envs/<env>/ (main.tf, backend.tf, …)",
        )
    return Target(
        env=name,
        root_dir=root,
        work_dir=envs.work_dir(name),
        emulated=False,
        backend_config=backend_config(root),
    )


def backend_config(root: Path) -> tuple[str, ...]:
    """``-backend-config`` values for a real env: $SFP_BACKEND_CONFIG, else <root>/backend.hcl."""
    named = os.environ.get(BACKEND_ENV_VAR, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ToolingError(
                f"{BACKEND_ENV_VAR}={named!r} does not exist",
                hint="point it at an HCL file with the S3 backend settings (bucket, key, region)",
            )
        return (str(path.resolve()),)
    default = root / BACKEND_FILE
    return (str(default),) if default.is_file() else ()


def require_aws_credentials(target: Target) -> None:
    """Fail early, and clearly, when a real env is planned without AWS credentials."""
    if target.emulated:
        return
    import boto3  # slow import: only real envs need it

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise ToolingError(
            f"no AWS credentials found for the {target.env} env",
            hint=(
                "set AWS_PROFILE (aws sso login / aws configure), or AWS_ACCESS_KEY_ID + "
                "AWS_SECRET_ACCESS_KEY, or run in CI with an OIDC-assumed role; "
                "for a dry run against the emulator use --emulated"
            ),
        )


def runner_for(target: Target, mirror_config: str | None = None) -> TerraformRunner:
    """The Terraform runner of a target: its root, its data dir, the mirror, its env vars."""
    return TerraformRunner(
        target.root_dir,
        target.work_dir / DATA_DIR,
        provider_mirror=tools.provider_mirror(mirror_config),
        extra_env=target.environment,
    )
