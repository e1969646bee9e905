"""Plan guard: refuse plans that delete or replace protected resources in protected envs.

Terraform's `prevent_destroy` cannot depend on a variable (hashicorp/terraform#22544), and
deleting the resource block removes the protection with it. So the guard reads the saved plan's
`terraform show -json` instead: every `resource_changes[].change.actions` that contains `delete`
(a destroy, or a replacement: `["delete", "create"]` / `["create", "delete"]`) on a protected
resource type fails the check in `staging` and `prod`, unless an explicit override reason is
given — then it is logged loudly with who and why. In `dev` and `local` the guard only warns.

The pure functions here (`load_plan`, `resource_changes`, `destructive_changes`) are shared with
the plan-comment renderer (`tooling.plan_report`).
"""

from __future__ import annotations

import json
import logging
import os
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.config import PROTECTED_ENVS, resolve_env, work_dir
from tooling.errors import ToolingError

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
class ResourceChange:
    """One managed resource's planned change, flattened from `resource_changes[]`."""

    address: str
    module: str  # "" for the root module, else e.g. "module.storage"
    type: str
    name: str
    actions: tuple[str, ...]
    before: Any
    after: Any
    after_unknown: Any
    before_sensitive: Any
    after_sensitive: Any
    replace_paths: tuple[tuple[str | int, ...], ...]

    @property
    def kind(self) -> str:
        """create | update | delete | replace | read | no-op (| forget, …) in one word."""
        if "delete" in self.actions and "create" in self.actions:
            return "replace"
        if len(self.actions) == 1:
            return self.actions[0]
        return "+".join(self.actions)

    @property
    def is_destructive(self) -> bool:
        """True when the change removes the existing object: a destroy or a replacement."""
        return "delete" in self.actions


@dataclass(frozen=True)
class GuardFinding:
    """A destructive change on a protected type, in the words the guard reports it."""

    address: str
    type: str
    kind: str  # "delete" or "replace"

    def describe(self) -> str:
        """`module.x.aws_s3_bucket.y (replace)`."""
        return f"{self.address} ({self.kind})"


def load_plan(path: Path) -> dict[str, Any]:
    """Read a `terraform show -json` document, failing with a hint when it is missing/invalid."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise ToolingError(
            f"no plan JSON at {path}",
            hint="run `invoke plan --env=<env>` first; it writes .work/<env>/tfplan.json",
        ) from error
    try:
        plan = json.loads(text)
    except json.JSONDecodeError as error:
        raise ToolingError(
            f"{path} is not valid JSON ({error.msg} at line {error.lineno})",
            hint="regenerate it with `terraform show -json tfplan` (re-run `invoke plan`)",
        ) from error
    if not isinstance(plan, dict) or "format_version" not in plan:
        raise ToolingError(
            f"{path} does not look like `terraform show -json` output (no format_version)",
            hint="pass the JSON of a saved plan, not a state file or plan text",
        )
    return plan


def resource_changes(plan: dict[str, Any]) -> list[ResourceChange]:
    """The plan's managed-resource changes (data sources are reads and never destructive)."""
    changes: list[ResourceChange] = []
    for entry in plan.get("resource_changes") or []:
        if entry.get("mode", "managed") != "managed":
            continue
        change = entry.get("change") or {}
        changes.append(
            ResourceChange(
                address=entry["address"],
                module=entry.get("module_address", ""),
                type=entry["type"],
                name=entry.get("name", ""),
                actions=tuple(change.get("actions") or ()),
                before=change.get("before"),
                after=change.get("after"),
                after_unknown=change.get("after_unknown"),
                before_sensitive=change.get("before_sensitive"),
                after_sensitive=change.get("after_sensitive"),
                replace_paths=tuple(tuple(p) for p in change.get("replace_paths") or ()),
            )
        )
    return changes


def destructive_changes(plan: dict[str, Any]) -> list[ResourceChange]:
    """Every destroy or replacement in the plan, whatever its type."""
    return [change for change in resource_changes(plan) if change.is_destructive]


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
    env = resolve_env(env)
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
    if env not in PROTECTED_ENVS:
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
    enforce(work_dir(env) / "tfplan.json", env, override_reason)
