"""A saved plan as the tooling reads it: `terraform show -json` loaded and flattened.

One reader for the plan guard, `invoke plan` and the PR comment.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path


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
