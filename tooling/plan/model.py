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
    from collections.abc import Callable
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
        """True when any resource is created, updated, destroyed, imported or forgotten (a move
        alone is not counted here: callers check ``move`` on its own)."""
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

        `resource_drift` also lists what is not drift a reviewer should see: refreshes that only
        turned null into an empty collection (`tags: null → {}`), and attributes the resource
        does not set itself but another resource manages or the provider computes (a bucket's
        `policy` or `versioning` set by `aws_s3_bucket_policy`/`…_versioning`, a role's
        `inline_policy`, a value read back as 0 for null). So an attribute counts when the
        resource's own configuration sets it (`configuration` in the plan JSON; `tags_all` with
        `tags`), when this plan changes it, or when Terraform lists it among the
        `relevant_attributes` other changes depend on. A deleted object has no attributes listed.
        Without a `configuration` section (a hand-made JSON) every attribute counts.
        """
        return _real_drift(self.drift, self._drift_attribute_filter())

    def _drift_attribute_filter(self) -> Callable[[ResourceChange], set[str] | None]:
        """For a drift entry: the attributes that may count as drift (None: any)."""
        configured = configured_attributes(self.raw.get("configuration"))
        if configured is None:
            return lambda _drift: None
        planned = {change.address: change for change in self.resource_changes}
        relevant = _relevant_attributes(self.raw.get("relevant_attributes"))

        def allowed(drift: ResourceChange) -> set[str] | None:
            names = set(configured.get(config_address(drift.address), ()))
            if "tags" in names:
                names.add("tags_all")  # the provider merges default tags into it
            follow = planned.get(drift.address)
            if follow is not None and follow.kind not in INERT_KINDS:
                names |= set(changed_attribute_names(follow))
            for resource, attribute in relevant:
                # (a reference to the whole object, path [], adds no attribute: it does not make
                # attributes that other resources manage a reviewer's business)
                if attribute and resource in {drift.address, _without_instance_key(drift.address)}:
                    names.add(attribute)
            return names

        return allowed

    @property
    def destructive(self) -> list[ResourceChange]:
        """Every destroy or replacement, sorted by address."""
        return sorted((c for c in self.changes if c.is_destructive), key=lambda c: c.address)


def _normalised(value: Any) -> Any:
    """A value with empty collections and zero values read as null.

    Providers built on the plugin SDK cannot tell an unset attribute from its zero value (`""`,
    `0`, `false`, empty collections): refreshes flip between them (`period: null → 0`) without
    anything having changed.
    """
    if isinstance(value, dict):
        items = {k: _normalised(v) for k, v in value.items()}
        return {k: v for k, v in items.items() if v is not None} or None
    if isinstance(value, list):
        items = [_normalised(v) for v in value]
        return None if all(item is None for item in items) else items
    if value is False or value == "" or (isinstance(value, int | float) and value == 0):
        return None
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
    allowed: Callable[[ResourceChange], set[str] | None],
) -> list[tuple[ResourceChange, list[str]]]:
    found = []
    for drift in sorted(drift_entries, key=lambda d: d.address):
        if drift.mode != "managed":
            continue
        if drift.kind == "delete":
            found.append((drift, []))
            continue
        counted = allowed(drift)
        names = [n for n in drifted_attributes(drift) if counted is None or n in counted]
        if names:
            found.append((drift, names))
    return found


def changed_attribute_names(change: ResourceChange) -> list[str]:
    """Top-level attributes a planned change sets to another (or a not yet known) value."""
    before = change.before if isinstance(change.before, dict) else {}
    after = change.after if isinstance(change.after, dict) else {}
    unknown = change.after_unknown if isinstance(change.after_unknown, dict) else {}
    names = {
        k
        for k in set(before) | set(after)
        if _normalised(before.get(k)) != _normalised(after.get(k))
    }
    return sorted(names | {k for k, v in unknown.items() if v is True})


def configured_attributes(configuration: Any) -> dict[str, frozenset[str]] | None:
    """Configuration address (``module.a.module.b.TYPE.NAME``, no instance keys) → the
    top-level attributes and blocks its configuration sets; None without a configuration."""
    if not isinstance(configuration, dict) or not isinstance(
        configuration.get("root_module"), dict
    ):
        return None
    found: dict[str, frozenset[str]] = {}

    def walk(module: dict[str, Any], prefix: str) -> None:
        for resource in module.get("resources") or []:
            if isinstance(resource, dict) and isinstance(resource.get("address"), str):
                expressions = resource.get("expressions") or {}
                found[prefix + resource["address"]] = frozenset(expressions)
        for name, call in (module.get("module_calls") or {}).items():
            if isinstance(call, dict) and isinstance(call.get("module"), dict):
                walk(call["module"], f"{prefix}module.{name}.")

    walk(configuration["root_module"], "")
    return found


def config_address(address: str) -> str:
    """``module.a["x"].aws_t.n[0]`` → ``module.a.aws_t.n``: the resource's configuration block."""
    parts: list[str] = []
    rest = address
    while rest.startswith("module."):
        name, rest = _split_step(rest[len("module.") :])
        parts.append(f"module.{name}")
    parts.append(_without_instance_key(rest))
    return ".".join(parts)


def _split_step(text: str) -> tuple[str, str]:
    """``NAME[KEY].rest`` → (NAME, rest); a key may hold dots and brackets inside quotes."""
    index, depth, quoted = 0, 0, False
    while index < len(text):
        char = text[index]
        if char == '"' and (index == 0 or text[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "[":
            depth += 1
        elif not quoted and char == "]":
            depth -= 1
        elif not quoted and depth == 0 and char == ".":
            return _without_instance_key(text[:index]), text[index + 1 :]
        index += 1
    return _without_instance_key(text), ""


def _without_instance_key(address: str) -> str:
    """``aws_t.n["k"]`` / ``aws_t.n[0]`` → ``aws_t.n`` (the key of the last step only)."""
    if not address.endswith("]"):
        return address
    depth, quoted = 0, False
    for index in range(len(address) - 1, -1, -1):
        char = address[index]
        if char == '"' and (index == 0 or address[index - 1] != "\\"):
            quoted = not quoted
        elif not quoted and char == "]":
            depth += 1
        elif not quoted and char == "[":
            depth -= 1
            if depth == 0:
                return address[:index]
    return address


def _relevant_attributes(raw: Any) -> list[tuple[str, str | None]]:
    """(resource address, top-level attribute or None for the whole object) Terraform lists as
    contributing to the plan's changes."""
    found: list[tuple[str, str | None]] = []
    for entry in raw or []:
        if not isinstance(entry, dict) or not isinstance(entry.get("resource"), str):
            continue
        path = entry.get("attribute") or []
        first = path[0] if path and isinstance(path[0], str) else None
        found.append((entry["resource"], first))
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
