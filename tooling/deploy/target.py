"""Where and how Terraform runs for one env: its root, work dir, variables and environment.

``local`` (or ``emulated=True``) runs against the embedded emulator via
:func:`tooling.emulator.override.prepare_emulated_root`; every other env runs in
``terraform/envs/<env>`` with real AWS credentials.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.core import envs, paths, tfvars, tools
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
# What an S3 backend needs before `terraform init` can reach the state; region may also come
# from the environment, as the backend reads AWS_REGION / AWS_DEFAULT_REGION itself.
S3_BACKEND_REQUIRED = ("bucket", "key", "region")
REGION_ENV_VARS = ("AWS_REGION", "AWS_DEFAULT_REGION")
# Account ids that cannot be a real account: one digit twelve times (the repo's placeholders
# 111111111111 …) and the documentation example 123456789012 (also moto's default account).
PLACEHOLDER_ACCOUNT = re.compile(r"(\d)\1{11}|123456789012")
CREDENTIALS_FIX = (
    "`aws sso login --profile NAME` then `export AWS_PROFILE=NAME` (or AWS_ACCESS_KEY_ID + "
    "AWS_SECRET_ACCESS_KEY; in CI an OIDC-assumed role, docs/gitops.md)"
)


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
        return envs.label_of_work_dir(envs.work_dir(self.env, emulated=self.emulated))

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
    if envs.runs_on_emulator(name, emulated=emulated):
        prepared = prepare_emulated_root(name)
        return Target(
            env=name,
            root_dir=prepared.root_dir,
            work_dir=prepared.work_dir or envs.work_dir(name, emulated=True),
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


@dataclass(frozen=True)
class AccessProblem:
    """One thing missing before Terraform can reach a real env: what, and how to provide it."""

    kind: str  # "credentials", "backend config" or "account"
    problem: str
    fix: str


def require_real_env_access(target: Target, *, need_account: bool = True) -> None:
    """Fail early, and clearly, when a real env cannot be reached from this machine.

    Checks, without any network call, the three things ``terraform init/plan`` needs and fails
    on with a raw backend error otherwise: AWS credentials (boto3's chain), the S3 backend's
    settings (bucket, key, region), and, for plan/apply (``need_account``), an account id in
    ``allowed_account_ids`` that is not a placeholder. Every problem found is reported at once,
    each with how to provide what is missing. Emulated targets need none of this.
    """
    if target.emulated:
        return
    problems = [
        *credentials_problems(target.env),
        *backend_problems(target),
        *(account_problems(target.env) if need_account else []),
    ]
    if not problems:
        return
    kinds = [problem.kind for problem in problems]
    listed = kinds[0] if len(kinds) == 1 else f"{', '.join(kinds[:-1])} and {kinds[-1]}"
    details = "\n".join(f"  - {problem.kind}: {problem.problem}" for problem in problems)
    fixes = "\n    ".join(f"{problem.kind}: {problem.fix}" for problem in problems)
    raise ToolingError(
        f"the {target.env} env cannot be reached from this machine ({listed} missing):\n{details}",
        hint=(
            f"{fixes}\n    or try the {target.env} root on the local emulator, no AWS needed: "
            f"invoke deploy --env={target.env} --emulated"
        ),
    )


def credentials_problems(env: str) -> list[AccessProblem]:
    """No AWS credentials in boto3's chain, or a profile that does not exist."""
    import boto3  # slow import: only real envs need it
    import botocore.exceptions

    try:
        credentials = boto3.Session().get_credentials()
    except botocore.exceptions.ProfileNotFound as error:
        return [
            AccessProblem(
                "credentials",
                f"{error} (AWS_PROFILE={os.environ.get('AWS_PROFILE', '')!r})",
                "configure that profile (`aws configure sso --profile NAME`) or set "
                "AWS_PROFILE to one that exists in ~/.aws/config",
            )
        ]
    except botocore.exceptions.BotoCoreError as error:
        return [
            AccessProblem("credentials", f"boto3 could not load them: {error}", CREDENTIALS_FIX)
        ]
    if credentials is None:
        return [
            AccessProblem(
                "credentials",
                f"no AWS credentials found for the {env} env (looked at AWS_PROFILE, "
                "AWS_ACCESS_KEY_ID, ~/.aws, SSO, container and instance roles)",
                CREDENTIALS_FIX,
            )
        ]
    return []


def backend_problems(target: Target) -> list[AccessProblem]:
    """An S3 backend whose bucket, key or region is set nowhere (root, backend file, env)."""
    declared = declared_backend(target.root_dir)
    if declared is None or declared[0] != "s3":
        return []
    settings: dict[str, Any] = dict(declared[1])
    for item in target.backend_config:
        path = Path(item)
        if path.is_file():
            settings.update(tfvars.read_tfvars(path))
        elif "=" in item:  # a key=value -backend-config
            key, _, value = item.partition("=")
            settings[key.strip()] = value.strip()
    if any(os.environ.get(name, "").strip() for name in REGION_ENV_VARS):
        settings.setdefault("region", os.environ.get("AWS_REGION") or "from the environment")
    missing = [key for key in S3_BACKEND_REQUIRED if not str(settings.get(key) or "").strip()]
    if not missing:
        return []
    backend_file = target.root_dir / BACKEND_FILE
    if target.backend_config:
        files = ", ".join(_display(Path(item)) for item in target.backend_config)
        where = f"not set in {files}"
    else:
        where = f"{_display(backend_file)} does not exist and {BACKEND_ENV_VAR} is not set"
    return [
        AccessProblem(
            "backend config",
            f"the S3 state backend has no {', '.join(missing)}: {where}",
            f"create {_display(backend_file)} with "
            + ", ".join(f'{key} = "…"' for key in S3_BACKEND_REQUIRED)
            + f' (the state bucket; key e.g. "{envs.STATE_KEY.format(env=target.env)}"), '
            f"or export {BACKEND_ENV_VAR}=/path/to/backend.hcl; "
            "docs/tooling.md#deploying-to-a-real-aws-account",
        )
    ]


def account_problems(env: str) -> list[AccessProblem]:
    """``allowed_account_ids`` of a real env still holding a placeholder account id."""
    declared = envs.allowed_account_ids(env)
    placeholders = [item for item in declared if PLACEHOLDER_ACCOUNT.fullmatch(item)]
    if not placeholders:
        return []
    tfvars_file = _display(envs.env_root(env) / tfvars.TFVARS_NAME)
    return [
        AccessProblem(
            "account",
            f"allowed_account_ids in {tfvars_file} is {declared}, a placeholder, not the {env} "
            "account",
            f'set allowed_account_ids = ["<the {env} account id>"] in {tfvars_file} (the provider '
            "refuses any other account)",
        )
    ]


def declared_backend(root: Path) -> tuple[str, dict[str, Any]] | None:
    """The backend type and the settings a root's ``*.tf`` files give it (None: no backend)."""
    for block in tfvars.read_blocks(root, "terraform"):
        for backend in block.get("backend", []):
            for kind, body in backend.items():
                settings = {
                    key: tfvars.attribute_value(value)
                    for key, value in (body or {}).items()
                    if not key.startswith("__")
                }
                return tfvars.unquote(kind), settings
    return None


def _display(path: Path) -> str:
    """A path relative to the repo when inside it (what a person types), else absolute."""
    try:
        return path.resolve().relative_to(paths.REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


def runner_for(target: Target, mirror_config: str | None = None) -> TerraformRunner:
    """The Terraform runner of a target: its root, its data dir, the mirror, its env vars."""
    return TerraformRunner(
        target.root_dir,
        target.work_dir / DATA_DIR,
        provider_mirror=tools.provider_mirror(mirror_config),
        extra_env=target.environment,
    )
