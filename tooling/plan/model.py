"""A saved plan as the tooling reads it: `terraform show -json`, loaded once into one model.

The one reader for `invoke plan` (its summary line), the plan guard, drift detection and the PR
comment, so that they can never disagree. It follows Terraform's own rules (Terraform 1.11,
`internal/plans` and the human renderer):

* **Counting**, as Terraform's `Plan:` line does: a replacement is one to add AND one to destroy;
  imports and forgets have their own counts; a move is not counted (Terraform lists it, but
  "Plan: 0 to add, 0 to change, 0 to destroy." is what a move-only plan prints).
* **Changes or not** (`-detailed-exitcode` 2 or 0): a plan has changes when Terraform marked it
  `applyable`: any resource action other than no-op/read, a move, an import, or a root output
  change; never when the plan `errored`. Plans from before the `applyable` field (format < 1.2)
  get the same verdict computed from their changes. Drift alone (`resource_drift`) is not a
  change in a normal plan: Terraform exits 0 for it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path

# Actions that change nothing on their own (a data source read, an untouched resource).
INERT_KINDS = frozenset({"no-op", "read"})
# Keys only a plan (not a state or anything else) has; every `show -json` plan has some of them.
PLAN_KEYS = frozenset({"resource_changes", "planned_values", "output_changes", "resource_drift"})


@dataclass(frozen=True)
class ResourceChange:
    """One resource's planned change (or drift), flattened from `resource_changes[]`."""

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
    mode: str = "managed"
    previous_address: str | None = None  # set when a `moved` block (or refactoring) moves it
    importing_id: str | None = None  # set when an `import` block adopts it
    action_reason: str | None = None

    @property
    def kind(self) -> str:
        """create | update | delete | replace | read | no-op | forget, in one word."""
        if "delete" in self.actions and "create" in self.actions:
            return "replace"
        if len(self.actions) == 1:
            return self.actions[0]
        return "+".join(self.actions) or "no-op"

    @property
    def is_destructive(self) -> bool:
        """True when the change removes the existing object: a destroy or a replacement."""
        return self.mode == "managed" and "delete" in self.actions

    @property
    def moved(self) -> bool:
        """True when the object moves to a new address (`moved` block)."""
        return bool(self.previous_address) and self.previous_address != self.address

    @property
    def importing(self) -> bool:
        """True when an `import` block brings the object under management."""
        return self.importing_id is not None

    @property
    def is_change(self) -> bool:
        """True when Terraform counts this entry as a change (`Changes.Empty()`)."""
        if self.mode != "managed":
            return False
        return self.kind not in INERT_KINDS or self.moved or self.importing


@dataclass(frozen=True)
class OutputChange:
    """One root output's planned change, from `output_changes`."""

    name: str
    actions: tuple[str, ...]
    before: Any
    after: Any
    after_unknown: Any
    before_sensitive: Any
    after_sensitive: Any

    @property
    def kind(self) -> str:
        """create | update | delete | no-op."""
        return self.actions[0] if len(self.actions) == 1 else "+".join(self.actions) or "no-op"

    @property
    def is_change(self) -> bool:
        """True unless the output keeps its value."""
        return self.kind != "no-op"

    @property
    def sensitive(self) -> bool:
        """True when either side is marked sensitive (Terraform marks the whole value)."""
        return _any_marked(self.before_sensitive) or _any_marked(self.after_sensitive)


@dataclass(frozen=True)
class Counts:
    """The numbers of Terraform's `Plan:` line, plus what it lists without counting."""

    add: int = 0  # creates + replacements
    change: int = 0
    destroy: int = 0  # deletes + replacements
    replace: int = 0  # of add/destroy: replacements (each is one add and one destroy)
    import_: int = 0
    forget: int = 0
    move: int = 0

    def terraform_line(self) -> str:
        """Exactly the `Plan: …` line `terraform plan`/`show` prints for these counts.

        Terraform 1.11 puts imports first and leaves forgets out of the line (a forget-only
        plan prints "Plan: 0 to add, 0 to change, 0 to destroy."; see the `forget` fixture).
        """
        parts = [f"{self.add} to add", f"{self.change} to change", f"{self.destroy} to destroy"]
        if self.import_:
            parts.insert(0, f"{self.import_} to import")
        return f"Plan: {', '.join(parts)}."

    @property
    def resources_change(self) -> bool:
        """True when any resource is created, updated, destroyed, imported, forgotten or moved."""
        return bool(self.add or self.change or self.destroy or self.import_ or self.forget)


@dataclass(frozen=True)
class Plan:
    """A loaded `terraform show -json` plan: every change the tooling reasons about."""

    resource_changes: tuple[ResourceChange, ...]
    output_changes: tuple[OutputChange, ...]
    drift: tuple[ResourceChange, ...]
    errored: bool
    applyable: bool | None  # None: the JSON predates the field (format_version < 1.2)
    terraform_version: str
    raw: dict[str, Any]

    @property
    def changes(self) -> list[ResourceChange]:
        """The resource entries Terraform counts as changes (incl. moves and imports)."""
        return [change for change in self.resource_changes if change.is_change]

    @property
    def changed_outputs(self) -> list[OutputChange]:
        """Root outputs whose value changes."""
        return [output for output in self.output_changes if output.is_change]

    @property
    def counts(self) -> Counts:
        """Counted the way Terraform's `Plan:` line counts."""
        kinds = [c.kind for c in self.changes]
        replace = kinds.count("replace")
        return Counts(
            add=kinds.count("create") + replace,
            change=kinds.count("update"),
            destroy=kinds.count("delete") + replace,
            replace=replace,
            import_=sum(1 for c in self.changes if c.importing),
            forget=kinds.count("forget"),
            move=sum(1 for c in self.changes if c.moved),
        )

    @property
    def has_changes(self) -> bool:
        """`terraform plan -detailed-exitcode` would exit 2 (else 0, or 1 when errored)."""
        if self.errored:
            return False
        if self.applyable is not None:
            return self.applyable
        return bool(self.changes or self.changed_outputs)

    @property
    def detailed_exitcode(self) -> int:
        """0 = no changes, 1 = errored, 2 = changes: what `-detailed-exitcode` reports."""
        if self.errored:
            return 1
        return 2 if self.has_changes else 0

    @property
    def real_drift(self) -> list[tuple[ResourceChange, list[str]]]:
        """(drift entry, changed attributes) per managed object really changed outside Terraform.

        `resource_drift` also lists objects whose refresh only turned null into an empty
        collection (`tags: null → {}`), which providers do routinely: that is not drift. A
        deleted object has no attributes listed.
        """
        return _real_drift(self.drift)

    @property
    def destructive(self) -> list[ResourceChange]:
        """Every destroy or replacement, sorted by address."""
        return sorted((c for c in self.changes if c.is_destructive), key=lambda c: c.address)


def _normalised(value: Any) -> Any:
    """A value with empty collections read as null: providers flip between them on refresh."""
    if isinstance(value, dict):
        items = {k: _normalised(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not None} or None
    if isinstance(value, list):
        items = [_normalised(v) for v in value]
        return items or None
    return value


def drifted_attributes(drift: ResourceChange) -> list[str]:
    """Top-level attributes that really differ after the refresh (null vs empty is not drift)."""
    before = drift.before if isinstance(drift.before, dict) else {}
    after = drift.after if isinstance(drift.after, dict) else {}
    return sorted(
        k
        for k in set(before) | set(after)
        if _normalised(before.get(k)) != _normalised(after.get(k))
    )


def _real_drift(
    drift_entries: tuple[ResourceChange, ...],
) -> list[tuple[ResourceChange, list[str]]]:
    found = []
    for drift in sorted(drift_entries, key=lambda d: d.address):
        if drift.mode != "managed":
            continue
        if drift.kind == "delete":
            found.append((drift, []))
            continue
        names = drifted_attributes(drift)
        if names:
            found.append((drift, names))
    return found


def _any_marked(mask: Any) -> bool:
    """True when a sensitivity mask marks anything (`true`, or `true` somewhere inside)."""
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_any_marked(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_any_marked(v) for v in mask)
    return False


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


def _entry(entry: dict[str, Any]) -> ResourceChange:
    change = entry.get("change") or {}
    importing = change.get("importing")
    importing_id = None
    if isinstance(importing, dict):
        # Terraform 1.5+: {"id": "..."}; config-driven import by identity has no id.
        importing_id = str(importing.get("id") or importing.get("identity") or "")
    return ResourceChange(
        address=entry["address"],
        module=entry.get("module_address", ""),
        type=entry.get("type", ""),
        name=entry.get("name", ""),
        actions=tuple(change.get("actions") or ()),
        before=change.get("before"),
        after=change.get("after"),
        after_unknown=change.get("after_unknown"),
        before_sensitive=change.get("before_sensitive"),
        after_sensitive=change.get("after_sensitive"),
        replace_paths=tuple(tuple(p) for p in change.get("replace_paths") or ()),
        mode=entry.get("mode", "managed"),
        previous_address=entry.get("previous_address"),
        importing_id=importing_id,
        action_reason=entry.get("action_reason"),
    )


def parse_plan(plan: dict[str, Any]) -> Plan:
    """The model of a parsed `terraform show -json` plan."""
    if not isinstance(plan, dict) or not PLAN_KEYS & set(plan):
        raise ToolingError(
            "this JSON is not a Terraform plan (no resource_changes / planned_values)",
            hint="pass the output of `terraform show -json <planfile>`",
        )
    outputs = tuple(
        OutputChange(
            name=name,
            actions=tuple(spec.get("actions") or ()),
            before=spec.get("before"),
            after=spec.get("after"),
            after_unknown=spec.get("after_unknown"),
            before_sensitive=spec.get("before_sensitive"),
            after_sensitive=spec.get("after_sensitive"),
        )
        for name, spec in sorted((plan.get("output_changes") or {}).items())
    )
    applyable = plan.get("applyable")
    return Plan(
        resource_changes=tuple(_entry(e) for e in plan.get("resource_changes") or []),
        output_changes=outputs,
        drift=tuple(_entry(e) for e in plan.get("resource_drift") or []),
        errored=bool(plan.get("errored", False)),
        applyable=applyable if isinstance(applyable, bool) else None,
        terraform_version=str(plan.get("terraform_version", "?")),
        raw=plan,
    )


def read_plan(path: Path) -> Plan:
    """Load and model the plan JSON file written by `invoke plan` (`.work/<env>/tfplan.json`)."""
    return parse_plan(load_plan(path))


def resource_changes(plan: dict[str, Any]) -> list[ResourceChange]:
    """The plan's managed-resource entries (data sources are reads and never destructive)."""
    return [c for c in parse_plan(plan).resource_changes if c.mode == "managed"]


def destructive_changes(plan: dict[str, Any]) -> list[ResourceChange]:
    """Every destroy or replacement in the plan, whatever its type."""
    return parse_plan(plan).destructive
