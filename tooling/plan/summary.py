"""The one-line summary of a saved plan, as `invoke plan`, `deploy`'s confirmation and the PR
comment show it: Terraform's own counting (a replacement is one to add and one to destroy;
imports and forgets counted; moves listed), from :mod:`tooling.plan.model`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.plan.model import Counts, Plan, parse_plan, read_plan

if TYPE_CHECKING:
    from pathlib import Path


@dataclass(frozen=True)
class PlanSummary:
    """Resource addresses per kind of change in one saved plan, and Terraform's verdict."""

    counts: Counts = field(default_factory=Counts)  # empty: a plan without changes
    add: tuple[str, ...] = ()  # creates (replacements are under `replace`)
    change: tuple[str, ...] = ()
    destroy: tuple[str, ...] = ()  # deletes (replacements are under `replace`)
    replace: tuple[str, ...] = ()
    forget: tuple[str, ...] = ()
    imports: tuple[str, ...] = ()
    moves: tuple[tuple[str, str], ...] = ()  # (old address, new address)
    outputs_changed: tuple[str, ...] = ()
    drifted: tuple[str, ...] = ()
    errored: bool = False
    changes_present: bool = False

    @property
    def has_changes(self) -> bool:
        """What `terraform plan -detailed-exitcode` reports as 2 (applying would change state)."""
        return self.changes_present

    @property
    def is_destructive(self) -> bool:
        """True when something would be destroyed or recreated (data may be lost)."""
        return bool(self.destroy or self.replace)

    def one_line(self) -> str:
        """Terraform's counts (`1 to add, 0 to change, 1 to destroy`), then what they hide.

        e.g. ``1 to import, 2 to add, 1 to change, 1 to destroy (1 replacement); 1 moved;
        outputs: api_url`` · ``0 to add, 0 to change, 0 to destroy; 1 to forget (…)`` ·
        ``no changes`` · ``no changes (drift: 1 resource changed outside Terraform)`` ·
        ``plan errored: …``.
        """
        if self.errored:
            return "plan errored: it is incomplete and cannot be applied"
        drift = (
            f"drift: {len(self.drifted)} resource{_s(self.drifted)} changed outside Terraform"
            if self.drifted
            else ""
        )
        if not self.has_changes:
            return f"no changes ({drift})" if drift else "no changes"
        line = self.counts.terraform_line().removeprefix("Plan: ").removesuffix(".")
        if self.replace:
            line += f" ({len(self.replace)} replacement{_s(self.replace)})"
        extras = []
        if self.forget:
            extras.append(f"{len(self.forget)} to forget (removed from state, not destroyed)")
        if self.moves:
            extras.append(f"{len(self.moves)} moved")
        if self.outputs_changed:
            extras.append("outputs: " + ", ".join(self.outputs_changed))
        if drift:
            extras.append(drift)
        return "; ".join([line, *extras])

    def destructive_lines(self) -> list[str]:
        """One line per resource that would be destroyed or replaced, for confirmations."""
        return [f"  - destroy {address}" for address in self.destroy] + [
            f"  ± replace {address}" for address in self.replace
        ]


def _s(items: tuple[Any, ...]) -> str:
    return "" if len(items) == 1 else "s"


def summarize_model(plan: Plan) -> PlanSummary:
    """The summary of a modelled plan."""
    by_kind: dict[str, list[str]] = {}
    for change in plan.changes:
        by_kind.setdefault(change.kind, []).append(change.address)
    return PlanSummary(
        counts=plan.counts,
        add=tuple(sorted(by_kind.get("create", []))),
        change=tuple(sorted(by_kind.get("update", []))),
        destroy=tuple(sorted(by_kind.get("delete", []))),
        replace=tuple(sorted(by_kind.get("replace", []))),
        forget=tuple(sorted(by_kind.get("forget", []))),
        imports=tuple(sorted(c.address for c in plan.changes if c.importing)),
        moves=tuple(sorted((c.previous_address or "", c.address) for c in plan.changes if c.moved)),
        outputs_changed=tuple(o.name for o in plan.changed_outputs),
        drifted=tuple(drift.address for drift, _ in plan.real_drift),
        errored=plan.errored,
        changes_present=plan.has_changes,
    )


def summarize(plan: dict[str, Any]) -> PlanSummary:
    """Summarise a parsed ``terraform show -json`` plan."""
    return summarize_model(parse_plan(plan))


def load(plan_json_path: Path) -> PlanSummary:
    """Summarise the plan JSON file written by ``invoke plan`` (``.work/<env>/tfplan.json``)."""
    return summarize_model(read_plan(plan_json_path))
