"""The S3 backend settings of a real env in CI, written from the GitHub environment's variables.

Every deploy/plan/drift job needs the same `.work/backend.hcl`; `invoke backend-config` writes it
(the tooling reads it through `SFP_BACKEND_CONFIG`), instead of a `printf` repeated in six jobs.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from tooling.core import envs
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

# S3 bucket naming rules (lowercase, digits, dots, hyphens; 3 to 63) and AWS region names.
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")


def backend_hcl(env: str, bucket: str, region: str) -> str:
    """The HCL the S3 backend reads: one state key per env, S3-native locking, encryption."""
    name = envs.resolve_env(env)
    if name == envs.LOCAL_ENV:
        raise ToolingError(
            "the local env has no S3 backend", hint="backend-config is for dev, staging and prod"
        )
    if not _BUCKET.match(bucket or ""):
        raise ToolingError(
            f"{bucket!r} is not a valid S3 bucket name for the state",
            hint="set the TF_STATE_BUCKET variable of the GitHub environment "
            "(Settings → Environments → <env> → Variables)",
        )
    if not _REGION.match(region or ""):
        raise ToolingError(
            f"{region!r} is not an AWS region",
            hint="set the AWS_REGION variable of the GitHub environment (e.g. us-east-1)",
        )
    return (
        f'bucket       = "{bucket}"\n'
        f'key          = "{envs.STATE_KEY.format(env=name)}"\n'
        f'region       = "{region}"\n'
        "encrypt      = true\n"
        "use_lockfile = true\n"
    )


def write_backend_config(env: str, bucket: str, region: str, output: Path) -> Path:
    """Write the backend settings to `output` (created with its directory)."""
    text = backend_hcl(env, bucket, region)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    return output
