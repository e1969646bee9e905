"""Reads a `terraform show -json` plan into counts and addresses (add / change / destroy / replace).

Unlike Terraform's own "Plan: 1 to add, 0 to change, 1 to destroy" line, a replacement is counted
once, under *replace*, so a reviewer sees at a glance that something is being recreated.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

# resource_changes[].change.actions → our category. Both replacement orders
# (delete-then-create and create_before_destroy) are a replace.
_CATEGORIES: dict[tuple[str, ...], str] = {
    ("create",): "add",
    ("update",): "change",
    ("delete",): "destroy",
    ("delete", "create"): "replace",
    ("create", "delete"): "replace",
    ("forget",): "forget",
}


@dataclass(frozen=True)
class PlanSummary:
    """Resource addresses per kind of change in one saved plan."""

    add: tuple[str, ...] = ()
    change: tuple[str, ...] = ()
    destroy: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()
    outputs_changed: tuple[str, ...] = field(default=())

    @property
    def has_changes(self) -> bool:
        """True when applying would change any resource or output."""
        return bool(
            self.add
            or self.change
            or self.destroy
            or self.replace
            or self.forget
            or self.outputs_changed
        )

    @property
    def is_destructive(self) -> bool:
        """True when something would be destroyed or recreated (data may be lost)."""
        return bool(self.destroy or self.replace)

    def one_line(self) -> str:
        """``2 to add, 1 to change, 1 to destroy, 2 to replace`` (+ forget when present)."""
        parts = [
            f"{len(self.add)} to add",
            f"{len(self.change)} to change",
            f"{len(self.destroy)} to destroy",
            f"{len(self.replace)} to replace",
        ]
        if self.forget:
            parts.append(f"{len(self.forget)} to forget")
        line = ", ".join(parts)
        if not self.has_changes:
            return f"no changes ({line})"
        if not (self.add or self.change or self.destroy or self.replace or self.forget):
            return f"{line}; outputs only: {', '.join(self.outputs_changed)}"
        return line

    def destructive_lines(self) -> list[str]:
        """One line per resource that would be destroyed or replaced, for confirmations."""
        return [f"  - destroy {address}" for address in self.destroy] + [
            f"  ± replace {address}" for address in self.replace
        ]


def summarize(plan: dict[str, Any]) -> PlanSummary:
    """Summarise a parsed ``terraform show -json`` plan."""
    if "resource_changes" not in plan and "planned_values" not in plan:
        raise ToolingError(
            "this JSON is not a Terraform plan (no resource_changes / planned_values)",
            hint="pass the output of `terraform show -json <planfile>`",
        )
    buckets: dict[str, list[str]] = {name: [] for name in set(_CATEGORIES.values())}
    for resource in plan.get("resource_changes") or []:
        actions = tuple(resource.get("change", {}).get("actions", ()))
        category = _CATEGORIES.get(actions)
        if category is not None:  # no-op and read (data sources) are not changes
            buckets[category].append(resource["address"])
    outputs = sorted(
        name
        for name, change in (plan.get("output_changes") or {}).items()
        if tuple(change.get("actions", ())) not in {("no-op",), ()}
    )
    return PlanSummary(
        add=tuple(sorted(buckets["add"])),
        change=tuple(sorted(buckets["change"])),
        destroy=tuple(sorted(buckets["destroy"])),
        replace=tuple(sorted(buckets["replace"])),
        forget=tuple(sorted(buckets["forget"])),
        outputs_changed=tuple(outputs),
    )


def load(plan_json_path: Path) -> PlanSummary:
    """Summarise the plan JSON file written by ``invoke plan`` (``.work/<env>/tfplan.json``)."""
    try:
        plan = json.loads(plan_json_path.read_text())
    except FileNotFoundError:
        raise ToolingError(
            f"no plan JSON at {plan_json_path}", hint="run `invoke plan --env=…` first"
        ) from None
    except ValueError as error:
        raise ToolingError(
            f"{plan_json_path} is not valid JSON: {error}", hint="run `invoke plan` again"
        ) from None
    return summarize(plan)
