"""Render a Terraform plan as one sticky pull-request comment per env (and as a job summary).

Input: a saved plan's `terraform show -json` (read by :mod:`tooling.plan.model`, the one plan
model) and, optionally, its `terraform show -no-color` text. Output: Markdown that

- starts with a hidden marker `<!-- sfp-plan:<env> -->` so the workflow edits one comment per env,
  and names the commit and the run it was made for;
- states Terraform's own summary line (imports, adds, changes, destroys, forgets);
- lists destroys and replacements first, then moves (old → new), imports, forgets, the other
  changes by module, output changes by name (values shown only when not secret), and the drift
  Terraform's refresh found (changes made outside Terraform);
- says whether only function code changed and shows old → new artifact sha256 per function;
- embeds the plan text in `<details>`, truncated to whole head and tail lines so that the whole
  comment stays under 64,000 UTF-16 units (GitHub's limit is 65,536), never cut inside a code
  fence or a `<details>` block;
- never shows a secret (:mod:`tooling.plan.redaction`).

A plan with no changes gets a short comment; a plan that failed gets a "plan failed" comment with
the redacted error (:func:`render_failure`), which replaces the previous plan's comment.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core import envs
from tooling.plan.guard import PROTECTED_TYPES
from tooling.plan.model import ResourceChange, parse_plan, read_plan
from tooling.plan.redaction import (
    DEFAULT_SECRET_PATTERNS,
    Redactor,
    build_redactor,
    mask_log,
    secret_name_matcher,
)
from tooling.plan.summary import summarize_model

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from pathlib import Path

    from tooling.plan.model import OutputChange, Plan

# GitHub rejects issue/PR comment bodies over 65,536 characters, counted as JavaScript does
# (UTF-16 code units: an emoji is 2). Keep a margin for the workflow's own additions (the drift
# issue's two lines, the apply report's header).
GITHUB_COMMENT_LIMIT = 65_536
COMMENT_BUDGET = 64_000
# Longest list per section before "… and N more": keeps a 3,000-resource plan readable.
MAX_LISTED = 80
# Below this many UTF-16 units left for the plan text, leave it out instead of a useless stub.
MIN_DETAILS_BUDGET = 1_500
# How much of a failed run's log a failure comment shows at most.
FAILURE_LOG_BUDGET = 20_000
# Output values longer than this are summarised ("a 3 kB string"), not inlined in a table.
MAX_OUTPUT_VALUE_CHARS = 200

# Attributes that carry the deployed code of a Lambda function; a change that touches only these
# (plus what the provider recomputes from them) is a "code-only" change.
CODE_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "source_code_hash",
        "code_sha256",
        "filename",
        "s3_bucket",
        "s3_key",
        "s3_object_version",
        "image_uri",
        "last_modified",
        "source_code_size",
        "version",
        "qualified_arn",
        "qualified_invoke_arn",
    }
)

SYMBOLS = {
    "create": "+",
    "delete": "-",
    "update": "~",
    "replace": "-/+",
    "read": "<=",
    "forget": ".",
    "no-op": " ",
}

PLAN_JSON_NAME = "tfplan.json"  # written by `invoke plan` (tooling.deploy) in .work/<env>/
PLAN_TEXT_NAME = "plan.txt"
COMMENT_NAME = "plan-comment.md"


@dataclass(frozen=True)
class RunInfo:
    """Which commit and which workflow run a comment is about (shown in its header)."""

    commit: str | None = None  # the commit reviewers know (a PR's head)
    planned_commit: str | None = None  # what was checked out (a PR's merge commit)
    run_url: str | None = None
    run_label: str | None = None

    @classmethod
    def from_env(cls, commit: str | None = None) -> RunInfo:
        """From the GitHub Actions variables; `commit` (or SFP_COMMIT_SHA) names the PR head."""
        server, repo, run = (
            os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
        )
        attempt = os.environ.get("GITHUB_RUN_ATTEMPT")
        url = f"{server}/{repo}/actions/runs/{run}" if server and repo and run else None
        if url and attempt and attempt != "1":
            url += f"/attempts/{attempt}"
        planned = os.environ.get("GITHUB_SHA") or None
        return cls(
            commit=commit or os.environ.get("SFP_COMMIT_SHA") or planned,
            planned_commit=planned,
            run_url=url,
            run_label=f"run {run}" if run else None,
        )

    def header_line(self, terraform_version: str | None = None) -> str:
        """`<sub>commit `abc1234` · [run 123](…) · Terraform 1.11.4</sub>`."""
        parts = []
        if self.commit:
            part = f"commit `{self.commit[:12]}`"
            if self.planned_commit and self.planned_commit != self.commit:
                part += f" (planned as merge commit `{self.planned_commit[:12]}`)"
            parts.append(part)
        if self.run_url:
            parts.append(f"[{self.run_label or 'workflow run'}]({self.run_url})")
        if terraform_version:
            parts.append(f"Terraform {terraform_version}")
        return f"<sub>{' · '.join(parts)}</sub>" if parts else ""


@dataclass(frozen=True)
class CodeChange:
    """A function whose package changed: old and new `source_code_hash` (base64 sha256)."""

    address: str
    old_hash: str | None
    new_hash: str | None  # None when only known after apply


# --------------------------------------------------------------------------- plan analysis


def changed_attributes(change: ResourceChange) -> list[str]:
    """Top-level attribute names whose value differs (or becomes unknown)."""
    before = change.before if isinstance(change.before, dict) else {}
    after = change.after if isinstance(change.after, dict) else {}
    unknown = change.after_unknown if isinstance(change.after_unknown, dict) else {}
    names = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    names |= {k for k, v in unknown.items() if v is True}
    return sorted(names)


def code_changes(changes: Iterable[ResourceChange]) -> list[CodeChange]:
    """Functions whose package hash changes (whatever else changes with them)."""
    found = []
    for change in changes:
        if change.type != "aws_lambda_function" or change.kind not in {"update", "replace"}:
            continue
        before = change.before if isinstance(change.before, dict) else {}
        after = change.after if isinstance(change.after, dict) else {}
        unknown = change.after_unknown if isinstance(change.after_unknown, dict) else {}
        old, new = before.get("source_code_hash"), after.get("source_code_hash")
        if old != new or unknown.get("source_code_hash") is True:
            found.append(CodeChange(change.address, old, None if new is None else str(new)))
    return found


def is_code_only(changes: list[ResourceChange]) -> bool:
    """True when every change is a function update touching only its package attributes."""
    real = [c for c in changes if c.is_change]
    if not real:
        return False
    return all(
        c.type == "aws_lambda_function"
        and c.kind == "update"
        and not c.moved
        and not c.importing
        and "source_code_hash" in changed_attributes(c)
        and set(changed_attributes(c)) <= CODE_ATTRIBUTES
        for c in real
    )


def sha256_hex(base64_hash: str | None) -> str:
    """Show a `source_code_hash` (base64 sha256) as hex, the form `sha256sum` prints."""
    if base64_hash is None:
        return "(known after apply)"
    try:
        raw = base64.b64decode(base64_hash, validate=True)
    except (binascii.Error, ValueError):
        return base64_hash
    return raw.hex() if len(raw) == 32 else base64_hash


CHANGE_TYPE_LINES = {
    "code": "**Change type: code only** — only the function package changed, no infrastructure.",
    "mixed": "**Change type: code + infrastructure** — the package and infrastructure change.",
    "infra": "**Change type: infrastructure only** — the function package is unchanged.",
}


def change_type(changes: list[ResourceChange]) -> str | None:
    """'code', 'mixed' or 'infra' (None when no resource changes)."""
    if not any(c.is_change for c in changes):
        return None
    if is_code_only(changes):
        return "code"
    return "mixed" if code_changes(changes) else "infra"


# --------------------------------------------------------------------------- markdown helpers


def utf16_length(text: str) -> int:
    """Length as GitHub/JavaScript counts it (UTF-16 code units: astral characters count 2)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def code_span(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run in `text`, so the block cannot end early."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def fenced(text: str, info: str = "text") -> list[str]:
    """`text` in a code block whose fence cannot be closed by the text itself."""
    fence = fence_for(text)
    return [f"{fence}{info}", text, fence]


def marker(env: str) -> str:
    """The hidden marker that identifies the env's sticky comment."""
    return f"<!-- sfp-plan:{env} -->"


def _capped(lines: list[str], limit: int) -> list[str]:
    """At most `limit` lines, then a line saying how many were left out."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"- … and {len(lines) - limit} more (see the full plan)"]


def _describe(change: ResourceChange) -> str:
    """One list line: symbol, address, action and (for updates) which attributes change."""
    symbol = SYMBOLS.get(change.kind, "?")
    kind = change.kind
    line = f"- `{symbol}` {code_span(change.address)} — {kind}"
    if kind == "update":
        names = changed_attributes(change)
        if names:
            line += ": " + ", ".join(code_span(n) for n in names[:12])
            if len(names) > 12:
                line += f" (+{len(names) - 12} more)"
    elif kind == "replace" and change.replace_paths:
        forced = sorted({".".join(str(p) for p in path) for path in change.replace_paths})
        line += " (forced by " + ", ".join(code_span(f) for f in forced) + ")"
    if change.moved:
        line += f" (moved from {code_span(change.previous_address or '')})"
    if change.importing:
        line += " (imported)"
    if change.is_destructive and change.type in PROTECTED_TYPES:
        line += " **[protected type]**"
    return line


# --------------------------------------------------------------------------- sections


def _destroy_section(destructive: list[ResourceChange], limit: int) -> list[str]:
    """The warning and the list of destroys/replacements (shown first)."""
    protected = sum(1 for c in destructive if c.type in PROTECTED_TYPES)
    plural = "s" if len(destructive) != 1 else ""
    also = f", {protected} of a protected type" if protected else ""
    return [
        "> [!WARNING]",
        f"> This plan **destroys or replaces {len(destructive)} resource{plural}**{also}. "
        "Replacing a bucket, table, topic or key loses its data or identity.",
        "",
        "### ⚠️ Destroys and replacements",
        *_capped([_describe(c) for c in destructive], limit),
    ]


def _code_section(codes: list[CodeChange], limit: int) -> list[str]:
    """Old → new artifact sha256 per function, as hex (what `sha256sum handler.zip` prints)."""
    rows = [
        f"| {code_span(c.address)} | {code_span(sha256_hex(c.old_hash))} | "
        f"{code_span(sha256_hex(c.new_hash))} |"
        for c in codes[:limit]
    ]
    return [
        "### Function code",
        "| Function | Old artifact sha256 | New artifact sha256 |",
        "| --- | --- | --- |",
        *rows,
    ]


def _moves_section(moves: list[ResourceChange], limit: int) -> list[str]:
    """Old → new address per moved object (a `moved` block: same object, new name)."""
    lines = [
        f"- {code_span(c.previous_address or '')} → {code_span(c.address)}"
        + ("" if c.kind in {"no-op", "read"} else f" (and {c.kind})")
        for c in moves
    ]
    return [
        "### Moved (same object, new address)",
        *_capped(lines, limit),
    ]


def _imports_section(imports: list[ResourceChange], redactor: Redactor, limit: int) -> list[str]:
    lines = [
        f"- {code_span(c.address)} ← id {code_span(redactor.mask_value(c.importing_id or '?'))}"
        + ("" if c.kind in {"no-op", "read"} else f" (then {c.kind})")
        for c in imports
    ]
    return ["### Imported (existing objects brought under Terraform)", *_capped(lines, limit)]


def _forgets_section(forgets: list[ResourceChange], limit: int) -> list[str]:
    lines = [f"- {code_span(c.address)}" for c in forgets]
    return [
        "### Forgotten (removed from state, NOT destroyed)",
        "_Terraform stops managing these; the real objects keep existing._",
        *_capped(lines, limit),
    ]


def _module_sections(others: list[ResourceChange], title: str, limit: int) -> list[str]:
    """The remaining changes, one sub-heading per module (root module first)."""
    by_module: dict[str, list[ResourceChange]] = defaultdict(list)
    for change in others:
        by_module[change.module].append(change)
    out = [title]
    modules = sorted(by_module)
    for module in modules[:limit]:
        ordered = sorted(by_module[module], key=lambda c: c.address)
        label = code_span(module) if module else "root module"
        out += [f"#### {label}", *_capped([_describe(c) for c in ordered], limit)]
    if len(modules) > limit:
        hidden = sum(len(by_module[m]) for m in modules[limit:])
        out.append(
            f"_… and {hidden} changes in {len(modules) - limit} more modules (full plan below)._"
        )
    return out


def _output_value(output: OutputChange, side: str, redactor: Redactor, secret_name: bool) -> str:
    """One side of an output change as a table cell: redacted, unknown, absent or the value."""
    value = getattr(output, side)
    mask = getattr(output, f"{side}_sensitive")
    if side == "before" and "create" in output.actions:
        return "—"
    if side == "after" and "delete" in output.actions:
        return "—"
    if side == "after" and output.after_unknown is True:
        return "_(known after apply)_"
    if mask is True or secret_name:
        return "_(sensitive)_"
    if value is None:
        return "`null`"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if _marked_inside(mask):
        return "_(partly sensitive)_"
    if len(text) > MAX_OUTPUT_VALUE_CHARS:
        kind = type(value).__name__.replace("dict", "object").replace("str", "string")
        return f"_({kind}, {len(text)} characters)_"
    return code_span(redactor.mask_value(text)).replace("|", "\\|")


def _marked_inside(mask: Any) -> bool:
    if mask is True:
        return True
    if isinstance(mask, dict):
        return any(_marked_inside(v) for v in mask.values())
    if isinstance(mask, list):
        return any(_marked_inside(v) for v in mask)
    return False


def _outputs_section(
    outputs: list[OutputChange],
    redactor: Redactor,
    is_secret_name: Callable[[str], bool],
    limit: int,
) -> list[str]:
    """Output changes by name; values only when neither marked sensitive nor secret-named."""
    rows = []
    for output in outputs:
        secret = is_secret_name(output.name)
        rows.append(
            f"| {code_span(output.name)} | {output.kind} | "
            f"{_output_value(output, 'before', redactor, secret)} | "
            f"{_output_value(output, 'after', redactor, secret)} |"
        )
    more = (
        [f"_… and {len(rows) - limit} more outputs (full plan below)._"]
        if len(rows) > limit
        else []
    )
    return [
        "### Output changes",
        "| Output | Change | Before | After |",
        "| --- | --- | --- | --- |",
        *rows[:limit],
        *more,
    ]


def _drift_section(plan: Plan, limit: int) -> list[str]:
    """What the refresh found changed outside Terraform, and whether this plan acts on it."""
    planned = {c.address: c for c in plan.changes}
    acted, left = [], []
    for drift, names in plan.real_drift:
        shown = ", ".join(code_span(n) for n in names[:12])
        what = "deleted outside Terraform" if drift.kind == "delete" else f"changed: {shown}"
        follow = planned.get(drift.address)
        item = f"- {code_span(drift.address)} — {what}"
        if follow is not None:
            acted.append(f"{item}; this plan will **{follow.kind}** it")
        elif drift.kind == "delete":
            acted.append(f"{item}; this plan does not recreate it")
        else:
            left.append(item)
    if not (acted or left):
        return []
    total = len(acted) + len(left)
    out = [
        "### 🔀 Drift: changed outside Terraform",
        "> [!NOTE]",
        f"> Terraform's refresh found {total} resource{'s' if total != 1 else ''} changed since "
        "the last apply (console edits, other tools, deleted objects).",
        "",
        *_capped(acted, limit),
    ]
    if left:
        out += [
            "",
            "_Not acted on by this plan (the configuration ignores these attributes, or another "
            "resource manages them):_",
            *_capped(left, limit),
        ]
    return out


@dataclass(frozen=True)
class _Sections:
    """The comment's parts before the plan text, as separately droppable blocks."""

    head: list[str]
    blocks: list[list[str]]


def _sections(
    env: str,
    plan: Plan,
    run: RunInfo,
    redactor: Redactor,
    is_secret_name: Callable[[str], bool],
    limit: int,
) -> _Sections:
    """Everything between the marker and the `<details>` block."""
    summary = summarize_model(plan)
    changes = [c for c in plan.resource_changes if c.mode == "managed"]
    counted = plan.changes
    header = run.header_line(plan.terraform_version)
    if plan.errored:
        title = f"## ❌ Terraform plan for `{env}`: errored"
    elif not plan.has_changes:
        title = f"## Terraform plan for `{env}`: no changes"
    else:
        title = f"## Terraform plan for `{env}`"
    head = [title, *([header] if header else []), ""]
    if plan.errored:
        head += [
            "> [!CAUTION]",
            "> Terraform reported errors: this plan is **incomplete and cannot be applied**. "
            "The changes below are the part Terraform planned before the error.",
            "",
        ]
    if not plan.has_changes and not plan.errored:
        head.append("**No changes.** The infrastructure matches the configuration.")
    else:
        counts = plan.counts
        line = f"**{counts.terraform_line()}**"
        if counts.replace:
            line += f" ({counts.replace} of them replacement{'s' if counts.replace != 1 else ''})"
        extras = []
        if counts.forget:
            extras.append(f"{counts.forget} to forget")
        if counts.move:
            extras.append(f"{counts.move} moved")
        if summary.outputs_changed:
            count = len(summary.outputs_changed)
            extras.append(f"{count} output{'s' if count != 1 else ''} changed")
        if not counts.resources_change and not counts.move and summary.outputs_changed:
            extras.insert(0, "only outputs change")
        head.append(" · ".join([line, *extras]))
    kind = change_type(changes)
    if kind:
        head += ["", CHANGE_TYPE_LINES[kind]]

    blocks: list[list[str]] = []
    destructive = plan.destructive
    if destructive:
        blocks.append(_destroy_section(destructive, limit))
    codes = code_changes(changes)
    if codes:
        blocks.append(_code_section(codes, limit))
    moves = sorted((c for c in counted if c.moved), key=lambda c: c.address)
    if moves:
        blocks.append(_moves_section(moves, limit))
    imports = sorted((c for c in counted if c.importing), key=lambda c: c.address)
    if imports:
        blocks.append(_imports_section(imports, redactor, limit))
    forgets = sorted((c for c in counted if c.kind == "forget"), key=lambda c: c.address)
    if forgets:
        blocks.append(_forgets_section(forgets, limit))
    others = [
        c for c in counted if not c.is_destructive and c.kind not in {"no-op", "read", "forget"}
    ]
    if others:
        title = "### Other changes" if destructive else "### Changes"
        blocks.append(_module_sections(others, title, limit))
    outputs = plan.changed_outputs
    if outputs:
        blocks.append(_outputs_section(outputs, redactor, is_secret_name, limit))
    drift = _drift_section(plan, limit)
    if drift:
        blocks.append(drift)
    return _Sections(head, blocks)


# --------------------------------------------------------------------------- plan text


def _cut_units(text: str, units: int) -> str:
    """The longest prefix of `text` within `units` UTF-16 units (never half a surrogate pair)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > units:
            return text[:index]
    return text


def truncate_lines(
    text: str, budget: int, where: str, *, mask: Callable[[str], str] | None = None
) -> tuple[str, int]:
    """Keep whole lines from the head (~60%) and the tail (~40%) within `budget` UTF-16 units.

    Returns the kept text (with an omission line in the middle) and how many lines were cut. A
    single line longer than its share is cut at a character boundary and marked with `…`.
    """
    if utf16_length(text) + 1 <= budget:
        return text, 0
    lines = text.split("\n")
    note_room = 200
    head_budget = int((budget - note_room) * 0.6)
    tail_budget = budget - note_room - head_budget
    head: list[str] = []
    used = 0
    for line in lines:
        size = utf16_length(line) + 1
        if used + size > head_budget:
            if not head:  # one enormous first line: keep its start (masked before the cut)
                whole = mask(line) if mask else line
                head.append(_cut_units(whole, head_budget - 2) + "…")
            break
        head.append(line)
        used += size
    tail: list[str] = []
    used = 0
    start = len(head)
    for index in range(len(lines) - 1, start - 1, -1):
        size = utf16_length(lines[index]) + 1
        if used + size > tail_budget:
            break
        tail.insert(0, lines[index])
        used += size
    omitted = len(lines) - len(head) - len(tail)
    middle = f"… {omitted} lines omitted here: the full plan is in {where} …"
    return "\n".join([*head, middle, *tail]), omitted


def _details(plan_text: str, budget: int, run: RunInfo, redactor: Redactor) -> list[str]:
    """The collapsible full plan, masked and truncated to `budget` UTF-16 units when needed.

    Only the lines that are shown are masked (a 3 MB plan text keeps ~60 kB): whole lines are
    kept first, then masked, then cut again if masking made them longer. A line cut in the
    middle is masked BEFORE it is cut, so no prefix of a secret can survive the cut.
    """
    where = f"the workflow run log ({run.run_url})" if run.run_url else "the workflow run log"
    where_md = (
        f"[the workflow run log]({run.run_url})"
        if run.run_url
        else "the workflow run log (`invoke plan` output)"
    )
    body = plan_text.strip("\n")
    total_lines = len(body.split("\n"))
    overhead = 600  # <details>, <summary>, the note
    # The fence is as long as the text's longest backtick run needs (truncation only removes
    # text, so this is an upper bound): counted, or a plan holding a long run overflows.
    room = max(budget - overhead - 2 * len(fence_for(body)), 200)
    kept, omitted = truncate_lines(body, room, where, mask=redactor.mask)
    masked = redactor.mask(kept)
    if utf16_length(masked) + 1 > room:  # masks can be longer than the values they hide
        masked, more = truncate_lines(masked, room, where)
        omitted += more
    out = ["<details>", f"<summary>Full plan output ({total_lines} lines)</summary>", ""]
    if omitted:
        out += [
            f"_Output truncated to stay under GitHub's comment limit: {omitted} of {total_lines} "
            f"lines omitted (first and last lines kept). The full plan is in {where_md}._",
            "",
        ]
    out += [*fenced(masked), "", "</details>"]
    return out


FOOTER = (
    "<sub>Rendered by `invoke plan-comment` from the saved plan's JSON; "
    "secret values are redacted.</sub>"
)


def _assemble(top: list[str], blocks: list[list[str]], tail: list[str] | None) -> str:
    return "\n".join([*top, *("\n".join(["", *b]) for b in blocks), *(tail or []), "", FOOTER, ""])


def render(
    plan_json: dict[str, Any],
    env: str,
    plan_text: str | None = None,
    *,
    run: RunInfo | None = None,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> str:
    """The full comment body for one env (always under :data:`COMMENT_BUDGET` UTF-16 units)."""
    run = run or RunInfo()
    plan = parse_plan(plan_json)
    redactor = build_redactor(plan, secret_patterns)
    is_secret_name = secret_name_matcher(secret_patterns)
    top = [marker(env)]
    # Fewer listed resources per section until the sections leave room for the plan text.
    for limit in (MAX_LISTED, 20, 5, 1):
        sections = _sections(env, plan, run, redactor, is_secret_name, limit)
        head = top + sections.head
        if utf16_length(_assemble(head, sections.blocks, None)) < COMMENT_BUDGET // 2:
            break
    blocks = list(sections.blocks)
    # Whole sections are dropped from the end if even the shortest lists do not fit.
    while blocks and utf16_length(_assemble(head, blocks, None)) >= COMMENT_BUDGET - 2_000:
        blocks.pop()
        head = [*head, "", "_Some sections were left out to fit GitHub's limit: see the run log._"]
    short = not plan.has_changes and not plan.errored
    tail: list[str] | None = None
    if plan_text is not None and plan_text.strip() and not short:
        budget = COMMENT_BUDGET - utf16_length(_assemble(head, blocks, None)) - 100
        if budget >= MIN_DETAILS_BUDGET:
            tail = ["", *_details(plan_text, budget, run, redactor)]
        else:
            tail = ["", "_The plan text is too long to include: see the workflow run log._"]
    return _assemble(head, blocks, tail)


# --------------------------------------------------------------------------- failures

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# Where Terraform's diagnostics start: boxed (`╷` then `│ Error: …`, on a terminal) or plain
# (`Error: …`, with -no-color / TF_IN_AUTOMATION), or its "Planning failed." preamble.
_DIAGNOSTICS_START = re.compile(
    r"^(?:╷|│ (?:Error|Warning): |(?:Error|Warning): |Planning failed\.)", re.MULTILINE
)
# The tooling's own error (`error: …`, its details, then `  → hint`), printed last.
_TOOLING_ERROR = re.compile(r"^error: ", re.MULTILINE)


def failure_excerpt(log: str) -> str:
    """The part of a failed run's log that explains the failure.

    From Terraform's first diagnostic (or its "Planning failed." line) to the tooling's own
    `error:` line, then that error's first line and its `→` hint. What comes before (the
    refresh, a partial plan with values of a plan nobody can apply) and the tooling's repeat of
    Terraform's stderr (with the command line) are left out. Without diagnostics: the last 40
    lines.
    """
    log = _ANSI.sub("", log).replace("\r\n", "\n")
    own = _TOOLING_ERROR.search(log)
    own_lines: list[str] = []
    if own is not None:
        rest = log[own.start() :].split("\n")
        own_lines = [rest[0], *(line for line in rest[1:] if line.lstrip().startswith("→"))]
    terraform_part = log[: own.start()] if own is not None else log
    start = _DIAGNOSTICS_START.search(terraform_part)
    if start is not None:
        return "\n".join([terraform_part[start.start() :].strip(), "", *own_lines]).strip()
    if own_lines:
        return "\n".join(own_lines)
    return "\n".join(log.strip().split("\n")[-40:])


def render_failure(
    env: str,
    log: str,
    *,
    run: RunInfo | None = None,
    stage: str = "plan",
    redactor: Redactor | None = None,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> str:
    """A "plan failed" comment: replaces the env's previous plan comment, with the error."""
    run = run or RunInfo()
    excerpt = mask_log(failure_excerpt(log), redactor, secret_patterns)
    kept, omitted = truncate_lines(excerpt, FAILURE_LOG_BUDGET, "the workflow run log")
    where = f"[the workflow run log]({run.run_url})" if run.run_url else "the workflow run log"
    header = run.header_line()
    lines = [
        marker(env),
        f"## ❌ Terraform {stage} for `{env}` failed",
        *([header] if header else []),
        "",
        "> [!CAUTION]",
        f"> The {stage} for this commit failed, so there is **no plan to review**. "
        "Any plan shown here before is out of date and was replaced by this message.",
        "",
        f"**Error** (values redacted{'; shortened' if omitted else ''}; the full output is in "
        f"{where}):",
        "",
        *fenced(kept),
    ]
    footer = "<sub>Rendered by `invoke plan-comment --failed-log`; values are redacted.</sub>"
    return "\n".join([*lines, "", footer, ""])


# --------------------------------------------------------------------------- files (tasks)


def write_comment(
    env: str,
    output: Path | None = None,
    *,
    work_dir: Path | None = None,
    run: RunInfo | None = None,
    failed_log: Path | None = None,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> Path:
    """Render `<work_dir>/tfplan.json` (+ `plan.txt`) — or a failure log — into a Markdown file.

    `work_dir` (where the plan is read) defaults to `.work/<env>` (an `--emulated` run passes its
    own); the Markdown always goes to `.work/<env>/` unless `output` says otherwise, so the
    workflows find it at the same path in a rehearsal. With `failed_log`
    (the output of a failed `invoke plan`), the comment says the plan failed and shows the
    redacted error. The workflow posts the FILE (never a command-line argument: a large comment
    would hit "Argument list too long"). Returns the path written (default
    `.work/<env>/plan-comment.md`).
    """
    name = envs.resolve_env(env)
    work = work_dir or envs.work_dir(name)
    target = output or envs.work_dir(name) / COMMENT_NAME
    if failed_log is not None:
        try:
            log = failed_log.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            log = (
                f"(no log at {failed_log}: the plan did not run, because an earlier step of "
                "the job failed; see the workflow run)"
            )
        body = render_failure(name, log, run=run, secret_patterns=secret_patterns)
    else:
        plan = read_plan(work / PLAN_JSON_NAME)
        text_path = work / PLAN_TEXT_NAME
        plan_text = text_path.read_text(encoding="utf-8") if text_path.is_file() else None
        body = render(plan.raw, name, plan_text, run=run, secret_patterns=secret_patterns)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def drift_exitcode(env: str, work_dir: Path | None = None) -> int:
    """The env's saved plan as `terraform plan -detailed-exitcode` reports it: 0 no changes,
    1 errored, 2 changes."""
    work = work_dir or envs.work_dir(env)
    return read_plan(work / PLAN_JSON_NAME).detailed_exitcode
