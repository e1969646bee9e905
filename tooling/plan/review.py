"""The reviewed plan: what an approver saw, recorded without secrets, and checked before apply.

A saved plan file holds secret values in clear (Terraform documents this), and so does its
`show -json`; a workflow artifact is readable by anyone who can read the repository. So prod does
not carry the plan from the approval job to the apply job. Instead (dflook's approach):

1. the plan job records the plan's **change set**: every counted change (address, previous
   address, actions, import id) with its before/after values and unknowns, sensitive and secret
   values replaced by markers, and an output change list treated the same way — plus its sha256;
2. the approver reviews that plan (job summary); the record is the artifact (no secrets in it);
3. after approval the apply job plans again and applies only if the new change set has the same
   digest; otherwise it refuses and names the resources that differ.

What the digest cannot see: a change of a value nobody could see either (a secret rotated
between approval and apply still shows as "(redacted)" → "(redacted)"). Plans whose values
differ on every run (`timestamp()` in an attribute) can never match: re-plan and approve again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core.errors import ToolingError
from tooling.plan.redaction import REDACTED, Redactor, build_redactor
from tooling.plan.summary import summarize_model

if TYPE_CHECKING:
    from pathlib import Path

    from tooling.plan.model import Plan

RECORD_VERSION = 1
SENSITIVE = "(sensitive)"


def _scrub(value: Any, mask: Any, redactor: Redactor) -> Any:
    """`value` with marked leaves → "(sensitive)" and secret text masked."""
    if mask is True:
        return SENSITIVE
    if isinstance(value, dict):
        sub = mask if isinstance(mask, dict) else {}
        return {k: _scrub(v, sub.get(k), redactor) for k, v in value.items()}
    if isinstance(value, list):
        sub = mask if isinstance(mask, list) else []
        return [_scrub(v, sub[i] if i < len(sub) else None, redactor) for i, v in enumerate(value)]
    if isinstance(value, str):
        if value in redactor.secrets or value in redactor.whole_values:
            return REDACTED
        return redactor.mask_value(value)
    return value


def change_set(plan: Plan, redactor: Redactor | None = None) -> dict[str, Any]:
    """The plan's counted changes and output changes, with no secret value left in them."""
    redactor = redactor or build_redactor(plan)
    resources = [
        {
            "address": c.address,
            "previous_address": c.previous_address if c.moved else None,
            "actions": list(c.actions),
            "importing_id": c.importing_id,
            "before": _scrub(c.before, c.before_sensitive, redactor),
            "after": _scrub(c.after, c.after_sensitive, redactor),
            "after_unknown": c.after_unknown,
        }
        for c in sorted(plan.changes, key=lambda c: c.address)
    ]
    outputs = [
        {
            "name": o.name,
            "actions": list(o.actions),
            "before": _scrub(o.before, True if o.sensitive else o.before_sensitive, redactor),
            "after": _scrub(o.after, True if o.sensitive else o.after_sensitive, redactor),
            "after_unknown": o.after_unknown,
        }
        for o in plan.changed_outputs
    ]
    return {"resources": resources, "outputs": outputs}


def digest(changes: dict[str, Any]) -> str:
    """sha256 of the canonical JSON of a change set."""
    canonical = json.dumps(changes, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ReviewedPlan:
    """What was approved: env, commit, summary line and the change set's digest."""

    env: str
    commit: str | None
    created: str
    summary: str
    digest: str
    changes: dict[str, Any]

    def to_json(self) -> str:
        """The record as written to the artifact."""
        return (
            json.dumps(
                {
                    "version": RECORD_VERSION,
                    "env": self.env,
                    "commit": self.commit,
                    "created": self.created,
                    "summary": self.summary,
                    "digest": self.digest,
                    "changes": self.changes,
                },
                indent=1,
                sort_keys=True,
                ensure_ascii=False,
            )
            + "\n"
        )


def record(plan: Plan, env: str, commit: str | None) -> ReviewedPlan:
    """The record of a plan about to be reviewed."""
    changes = change_set(plan)
    return ReviewedPlan(
        env=env,
        commit=commit,
        created=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        summary=summarize_model(plan).one_line(),
        digest=digest(changes),
        changes=changes,
    )


def read_record(path: Path, *, artifact: str = "the reviewed-plan artifact") -> ReviewedPlan:
    """Load a record; a missing one means the approval outlived the artifact (or no plan job)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ToolingError(
            f"there is no reviewed plan at {path}: {artifact} is gone. Artifacts are deleted "
            "when their retention ends, so an approval given after that has nothing to approve "
            "(or the plan job did not finish)",
            hint="re-run the deploy workflow (Actions → deploy → Run workflow): a new plan is "
            "shown to the approvers and recorded again",
        ) from error
    except json.JSONDecodeError as error:
        raise ToolingError(
            f"{path} is not a reviewed-plan record ({error.msg})",
            hint="it is written by `invoke plan-record`; re-run the deploy workflow",
        ) from error
    if not isinstance(raw, dict) or raw.get("version") != RECORD_VERSION:
        raise ToolingError(
            f"{path} is not a reviewed-plan record of version {RECORD_VERSION}",
            hint="re-run the deploy workflow so the plan is recorded by this version",
        )
    return ReviewedPlan(
        env=raw["env"],
        commit=raw.get("commit"),
        created=raw["created"],
        summary=raw["summary"],
        digest=raw["digest"],
        changes=raw["changes"],
    )


def differences(reviewed: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Human lines naming what differs between two change sets (addresses and outputs)."""
    lines = []
    for key, label, name in (("resources", "resource", "address"), ("outputs", "output", "name")):
        old = {item[name]: item for item in reviewed.get(key, [])}
        new = {item[name]: item for item in current.get(key, [])}
        lines += [
            f"  + {label} {n} changes now, it did not in the reviewed plan"
            for n in sorted(set(new) - set(old))
        ]
        lines += [f"  - {label} {n} no longer changes" for n in sorted(set(old) - set(new))]
        for item in sorted(set(old) & set(new)):
            if old[item] != new[item]:
                was, now = old[item].get("actions"), new[item].get("actions")
                detail = f" ({was} → {now})" if was != now else " (its values differ)"
                lines.append(f"  ~ {label} {item}{detail}")
    return lines


def verify(plan: Plan, reviewed: ReviewedPlan, env: str, commit: str | None) -> str:
    """Refuse unless `plan` is the reviewed one (same env, commit, change set); return a line."""
    if reviewed.env != env:
        raise ToolingError(
            f"the reviewed plan is for {reviewed.env}, not {env}",
            hint="download the reviewed-plan artifact of this env",
        )
    if commit and reviewed.commit and reviewed.commit != commit:
        raise ToolingError(
            f"the reviewed plan was made for commit {reviewed.commit[:12]}, this run is "
            f"{commit[:12]}",
            hint="approve the deploy run of the commit you want to ship",
        )
    current = change_set(plan)
    if digest(current) != reviewed.digest:
        listing = "\n".join(differences(reviewed.changes, current)) or "  (values differ)"
        raise ToolingError(
            f"the {env} plan made now is not the plan that was approved "
            f"(reviewed {reviewed.created}: {reviewed.summary}):\n{listing}",
            hint="something changed since the review (state, another apply, drift): nothing "
            "was applied. Re-run the deploy workflow so the new plan is reviewed",
        )
    return f"{env}: the plan matches the reviewed plan of {reviewed.created} ({reviewed.summary})"
