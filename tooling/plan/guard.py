"""Plan guard: refuse plans that delete or replace protected resources in protected envs.

Terraform's `prevent_destroy` cannot depend on a variable (hashicorp/terraform#22544), and
deleting the resource block removes the protection with it. So the guard reads the saved plan's
`terraform show -json` instead: every `resource_changes[].change.actions` that contains `delete`
(a destroy, or a replacement: `["delete", "create"]` / `["create", "delete"]`) on a protected
resource type fails the check in `staging` and `prod`, unless an explicit override reason is
given — then it is logged loudly with who and why. In `dev` and `local` the guard only warns.

The plan itself is read by :mod:`tooling.plan.model`, shared with the plan-comment renderer.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core import envs
from tooling.core.errors import ToolingError
from tooling.plan.model import destructive_changes, load_plan

if TYPE_CHECKING:
    from pathlib import Path


log = logging.getLogger(__name__)


# The stateful or identity-bearing resources whose loss is an outage or data loss: the uploads
# bucket, the idempotency table, the topics, the KMS key (data encrypted under it becomes
# unreadable), the functions and their roles.
PROTECTED_TYPES: frozenset[str] = frozenset(
    {
        "aws_s3_bucket",
        "aws_dynamodb_table",
        "aws_sns_topic",
        "aws_kms_key",
        "aws_lambda_function",
        "aws_iam_role",
    }
)


@dataclass(frozen=True)
class GuardFinding:
    """A destructive change on a protected type, in the words the guard reports it."""

    address: str
    type: str
    kind: str  # "delete" or "replace"

    def describe(self) -> str:
        """`module.x.aws_s3_bucket.y (replace)`."""
        return f"{self.address} ({self.kind})"


def protected_findings(plan: dict[str, Any]) -> list[GuardFinding]:
    """Destroys/replacements of protected resource types, sorted by address."""
    findings = [
        GuardFinding(address=c.address, type=c.type, kind=c.kind)
        for c in destructive_changes(plan)
        if c.type in PROTECTED_TYPES
    ]
    return sorted(findings, key=lambda f: f.address)


def _actor() -> str:
    """Who is overriding: the GitHub actor in Actions, else the local user."""
    return os.environ.get("GITHUB_ACTOR") or os.environ.get("USER") or "unknown"


def _annotate(level: str, title: str, message: str) -> None:
    """Emit a GitHub Actions annotation too, so an override shows on the run page."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        flat = message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        sys.stdout.write(f"::{level} title={title}::{flat}\n")


def enforce(plan_json_path: Path, env: str, override_reason: str | None) -> None:
    """Fail on destroys/replacements of protected types in protected envs, unless overridden.

    In `staging`/`prod`: raises `ToolingError` listing the offending resources when there is no
    override; with a non-empty `override_reason` it logs (and annotates) who overrode and why,
    then returns. In `dev`/`local`: logs a warning and returns.
    """
    env = envs.resolve_env(env)
    if override_reason is not None and not override_reason.strip():
        raise ToolingError(
            "an override needs a reason",
            hint="pass --allow-destroy='why this destroy/replace is intended (ticket, owner)'",
        )
    findings = protected_findings(load_plan(plan_json_path))
    if not findings:
        log.info("plan guard (%s): no destroy/replace of protected resources", env)
        return
    listing = "\n".join(f"  - {finding.describe()}" for finding in findings)
    if env not in envs.PROTECTED_ENVS:
        message = f"plan guard ({env}): the plan destroys/replaces protected resources:\n{listing}"
        log.warning("%s\n(allowed: %s is not a protected env)", message, env)
        _annotate("warning", "plan guard", message)
        return
    if override_reason is None:
        raise ToolingError(
            f"plan guard: the {env} plan would destroy or replace protected resources:\n{listing}",
            hint=(
                "change the code so the resource is kept (e.g. a `moved` block for renames), or, "
                "if it is really intended, re-run with --allow-destroy='<reason>' "
                "(the override is logged with your name)"
            ),
        )
    message = (
        f"PLAN GUARD OVERRIDDEN in {env} by {_actor()}: reason: {override_reason.strip()}\n"
        f"destroying/replacing:\n{listing}"
    )
    # WARNING is shown even when logging is not configured (Python's last-resort handler).
    log.warning("%s", message)
    _annotate("warning", "plan guard overridden", message)


def enforce_env(env: str, override_reason: str | None) -> None:
    """`enforce` on the env's saved plan JSON (`.work/<env>/tfplan.json`, from `invoke plan`)."""
    enforce(envs.work_dir(env) / "tfplan.json", env, override_reason)
