"""Render a Terraform plan as one sticky pull-request comment per env.

Input: a saved plan's `terraform show -json` (structure) and, optionally, its
`terraform show -no-color` text (for the collapsible full output). Output: Markdown that

- starts with a hidden marker `<!-- sfp-plan:<env> -->` so the workflow edits one comment per env;
- states the summary (add / change / destroy / replace) and the env;
- lists destroys and replacements first, with a warning, then the other changes by module;
- says whether only function code changed and shows old → new artifact sha256 per function
  (from `source_code_hash` before/after on `aws_lambda_function`);
- embeds the plan text in `<details>`, truncated to head + tail inside a valid fence so that
  the whole comment stays under GitHub's 65,536-character limit;
- never shows a secret: values Terraform marks sensitive (`before_sensitive`/`after_sensitive`,
  sensitive variables and outputs) and values secret by nature (Lambda environment variables,
  attributes whose name matches `secret_patterns`) are collected FROM THE JSON, and every
  occurrence of those values is masked in the plan text and in the comment.
"""

from __future__ import annotations

import base64
import binascii
import fnmatch
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core import envs
from tooling.plan.guard import PROTECTED_TYPES
from tooling.plan.model import ResourceChange, load_plan, resource_changes

if TYPE_CHECKING:
    from collections.abc import Iterable, Iterator
    from pathlib import Path

# GitHub rejects issue/PR comment bodies over 65,536 characters; keep a margin for the
# multi-byte/UTF-16 accounting differences and for the marker/footer edits.
GITHUB_COMMENT_LIMIT = 65_536
COMMENT_BUDGET = 64_000
# Longest list per section before "… and N more": keeps a 2,000-resource plan readable.
MAX_LISTED = 80
REDACTED = "(redacted)"
# Shorter secrets are only masked in their quoted form ("abc"): masking a bare 3-letter string
# everywhere would shred the text. Anything this long or longer is masked wherever it occurs.
MIN_RAW_MASK_LEN = 4

DEFAULT_SECRET_PATTERNS: tuple[str, ...] = (
    "*password*",
    "*passwd*",
    "*secret*",
    "*token*",
    "*private_key*",
    "*privatekey*",
    "*api_key*",
    "*apikey*",
    "*credential*",
)

# Attribute names that match a pattern above but hold settings, not secrets (AWS provider).
NOT_SECRET_NAMES: frozenset[str] = frozenset(
    {"api_key_source", "api_key_version", "api_key_required", "token_validity_units"}
)

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
}


@dataclass(frozen=True)
class CodeChange:
    """A function whose package changed: old and new `source_code_hash` (base64 sha256)."""

    address: str
    old_hash: str | None
    new_hash: str | None  # None when only known after apply


@dataclass
class PlanSummary:
    """Terraform's own counting: a replacement adds one and destroys one."""

    add: int = 0
    change: int = 0
    destroy: int = 0
    replace: int = 0

    def line(self) -> str:
        """`Plan: 2 to add, 1 to change, 2 to destroy` (+ replacements when there are any)."""
        text = f"Plan: {self.add} to add, {self.change} to change, {self.destroy} to destroy"
        if self.replace:
            text += f" ({self.replace} of them replacement{'s' if self.replace != 1 else ''})"
        return text

    @property
    def empty(self) -> bool:
        """No resource would change."""
        return not (self.add or self.change or self.destroy)


@dataclass
class Redactor:
    """The secret values found in a plan, and how to mask them in any text.

    `secrets` (marked sensitive, or under a secret-looking name) are masked wherever they occur,
    even inside a longer string (a password inside a connection string). `whole_values` (Lambda
    environment values: secret by nature, but often plain names) are masked where they stand as
    a whole token, so that e.g. a service-name value does not shred every resource name that
    contains it.
    """

    secrets: set[str] = field(default_factory=set)
    whole_values: set[str] = field(default_factory=set)

    def mask(self, text: str) -> str:
        """Replace every occurrence of every secret value with `(redacted)`."""
        strong = _with_lines(self.secrets)
        # Longest first, so a secret that contains another is masked whole.
        for secret in sorted(strong | self.whole_values, key=len, reverse=True):
            quoted = json.dumps(secret, ensure_ascii=False)
            text = text.replace(quoted, f'"{REDACTED}"')
            if len(secret) < MIN_RAW_MASK_LEN:
                continue
            for form in dict.fromkeys((secret, quoted[1:-1])):
                if secret in strong:
                    text = text.replace(form, REDACTED)
                else:
                    text = re.sub(rf"(?<![\w.-]){re.escape(form)}(?![\w.-])", REDACTED, text)
        return text


def _with_lines(secrets: set[str]) -> set[str]:
    """Secrets plus each substantial line of a multi-line secret (heredocs print line by line)."""
    lines = {
        line.strip()
        for secret in secrets
        if "\n" in secret
        for line in secret.splitlines()
        if len(line.strip()) >= 2 * MIN_RAW_MASK_LEN
    }
    return secrets | lines


# --------------------------------------------------------------------------- plan analysis


def summarize(changes: Iterable[ResourceChange]) -> PlanSummary:
    """Count adds/changes/destroys/replacements the way `terraform plan` does."""
    summary = PlanSummary()
    for change in changes:
        kind = change.kind
        if kind == "create":
            summary.add += 1
        elif kind == "update":
            summary.change += 1
        elif kind == "delete":
            summary.destroy += 1
        elif kind == "replace":
            summary.replace += 1
            summary.add += 1
            summary.destroy += 1
    return summary


def changed_attributes(change: ResourceChange) -> list[str]:
    """Top-level attribute names whose value differs (or becomes unknown) in an update."""
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
    real = [c for c in changes if c.kind not in {"no-op", "read"}]
    if not real:
        return False
    return all(
        c.type == "aws_lambda_function"
        and c.kind == "update"
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


# --------------------------------------------------------------------------- redaction


def _leaves(value: Any, mask: Any, *, all_secret: bool = False) -> Iterator[tuple[Any, bool]]:
    """Walk a value with its sensitivity mask, yielding (leaf, is_marked_sensitive)."""
    secret = all_secret or mask is True
    if isinstance(value, dict):
        sub = mask if isinstance(mask, dict) else {}
        for key, item in value.items():
            yield from _leaves(item, sub.get(key), all_secret=secret)
    elif isinstance(value, list):
        sub = mask if isinstance(mask, list) else []
        for index, item in enumerate(value):
            yield from _leaves(item, sub[index] if index < len(sub) else None, all_secret=secret)
    else:
        yield value, secret


def _named_leaves(value: Any, patterns: tuple[str, ...], *, hit: bool = False) -> Iterator[Any]:
    """Leaves under any key (attribute or map key) whose name matches a secret pattern."""
    if isinstance(value, dict):
        for key, item in value.items():
            name = str(key).lower()
            matched = hit or (
                any(fnmatch.fnmatch(name, p) for p in patterns) and name not in NOT_SECRET_NAMES
            )
            yield from _named_leaves(item, patterns, hit=matched)
    elif isinstance(value, list):
        for item in value:
            yield from _named_leaves(item, patterns, hit=hit)
    elif hit:
        yield value


def _lambda_environment_values(value: Any) -> Iterator[Any]:
    """Values of `environment[].variables` of an aws_lambda_function object."""
    if not isinstance(value, dict):
        return
    for block in value.get("environment") or []:
        variables = block.get("variables") if isinstance(block, dict) else None
        if isinstance(variables, dict):
            yield from (v for v, _ in _leaves(variables, None))


def _as_secret(value: Any) -> str | None:
    """The text form of a leaf worth masking (no None/bools/empty strings)."""
    if value is None or isinstance(value, bool):
        return None
    text = value if isinstance(value, str) else json.dumps(value)
    return text if text.strip() else None


def _sensitive_variable_values(plan: dict[str, Any]) -> Iterator[Any]:
    """Values of root variables declared `sensitive = true` (the JSON prints them in clear)."""
    declared = ((plan.get("configuration") or {}).get("root_module") or {}).get("variables") or {}
    for name, spec in declared.items():
        if isinstance(spec, dict) and spec.get("sensitive"):
            value = ((plan.get("variables") or {}).get(name) or {}).get("value")
            yield from (v for v, _ in _leaves(value, None))


def build_redactor(
    plan: dict[str, Any], secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS
) -> Redactor:
    """Collect every secret value from the plan JSON (never from the plan text)."""
    patterns = tuple(p.lower() for p in secret_patterns)
    marked: set[str] = set()
    by_nature: set[str] = set()
    public: set[str] = set()

    entries = [*(plan.get("resource_changes") or []), *(plan.get("resource_drift") or [])]
    for entry in entries:
        change = entry.get("change") or {}
        is_function = entry.get("type") == "aws_lambda_function"
        for side in ("before", "after"):
            value = change.get(side)
            marked.update(filter(None, map(_as_secret, _named_leaves(value, patterns))))
            if is_function:
                by_nature.update(filter(None, map(_as_secret, _lambda_environment_values(value))))
            for leaf, sensitive in _leaves(value, change.get(f"{side}_sensitive")):
                text = _as_secret(leaf)
                if text is not None and sensitive:
                    marked.add(text)
            # "Public" = shown in clear by some attribute that is neither marked nor secret by
            # nature; the function's own environment does not count.
            shown = _without_environment(value) if is_function else value
            for leaf, sensitive in _leaves(shown, change.get(f"{side}_sensitive")):
                text = _as_secret(leaf)
                if text is not None and not sensitive:
                    public.add(text)

    for output in (plan.get("output_changes") or {}).values():
        for side in ("before", "after"):
            for leaf, sensitive in _leaves(output.get(side), output.get(f"{side}_sensitive")):
                text = _as_secret(leaf)
                if text is not None and sensitive:
                    marked.add(text)
    marked.update(filter(None, map(_as_secret, _sensitive_variable_values(plan))))

    # A Lambda env value that is also the plain value of some other, non-secret attribute (the
    # bucket name or topic ARN wired in by reference) is not a secret: the plan shows it anyway.
    return Redactor(secrets=marked, whole_values=by_nature - public - marked)


def _without_environment(value: Any) -> Any:
    """A function object minus its `environment` block."""
    if not isinstance(value, dict):
        return value
    return {k: v for k, v in value.items() if k != "environment"}


# --------------------------------------------------------------------------- markdown


def _code(text: str) -> str:
    """An inline code span that survives backticks inside `text`."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fence_for(text: str) -> str:
    """A backtick fence longer than any backtick run in `text`, so the block cannot end early."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=0)
    return "`" * max(3, longest + 1)


def utf16_length(text: str) -> int:
    """Length as GitHub/JavaScript counts it (UTF-16 code units)."""
    return len(text.encode("utf-16-le")) // 2


def _describe(change: ResourceChange) -> str:
    """One list line: symbol, address, action and (for updates) which attributes change."""
    symbol = SYMBOLS.get(change.kind, "?")
    line = f"- `{symbol}` {_code(change.address)} — {change.kind}"
    if change.kind == "update":
        names = changed_attributes(change)
        if names:
            line += ": " + ", ".join(_code(n) for n in names[:12])
            if len(names) > 12:
                line += f" (+{len(names) - 12} more)"
    elif change.kind == "replace" and change.replace_paths:
        forced = sorted({".".join(str(p) for p in path) for path in change.replace_paths})
        line += " (forced by " + ", ".join(_code(f) for f in forced) + ")"
    if change.is_destructive and change.type in PROTECTED_TYPES:
        line += " **[protected type]**"
    return line


def _capped(lines: list[str], limit: int = MAX_LISTED) -> list[str]:
    """At most `limit` lines, then a line saying how many were left out."""
    if len(lines) <= limit:
        return lines
    return [*lines[:limit], f"- … and {len(lines) - limit} more (see the full plan below)"]


def _run_url() -> str | None:
    """Link to this workflow run when rendered inside GitHub Actions."""
    server, repo, run = (
        os.environ.get(k) for k in ("GITHUB_SERVER_URL", "GITHUB_REPOSITORY", "GITHUB_RUN_ID")
    )
    if server and repo and run:
        return f"{server}/{repo}/actions/runs/{run}"
    return None


def marker(env: str) -> str:
    """The hidden marker that identifies the env's sticky comment."""
    return f"<!-- sfp-plan:{env} -->"


CHANGE_TYPE_LINES = {
    "code": "**Change type: code only** — only the function package changed, no infrastructure.",
    "mixed": "**Change type: code + infrastructure** — the package and infrastructure change.",
    "infra": "**Change type: infrastructure only** — the function package is unchanged.",
}


def change_type(changes: list[ResourceChange]) -> str | None:
    """'code', 'mixed' or 'infra' (None when nothing changes)."""
    if summarize(changes).empty:
        return None
    if is_code_only(changes):
        return "code"
    return "mixed" if code_changes(changes) else "infra"


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
        "",
    ]


def _code_section(codes: list[CodeChange], limit: int) -> list[str]:
    """Old → new artifact sha256 per function, as hex (what `sha256sum handler.zip` prints)."""
    rows = [
        f"| {_code(c.address)} | {_code(sha256_hex(c.old_hash))} | "
        f"{_code(sha256_hex(c.new_hash))} |"
        for c in codes[:limit]
    ]
    return [
        "### Function code",
        "| Function | Old artifact sha256 | New artifact sha256 |",
        "| --- | --- | --- |",
        *rows,
        "",
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
        label = _code(module) if module else "root module"
        out += [f"#### {label}", *_capped([_describe(c) for c in ordered], limit)]
    if len(modules) > limit:
        hidden = sum(len(by_module[m]) for m in modules[limit:])
        out.append(
            f"_… and {hidden} changes in {len(modules) - limit} more modules (full plan below)._"
        )
    out.append("")
    return out


def _head_sections(
    env: str, plan: dict[str, Any], changes: list[ResourceChange], limit: int = MAX_LISTED
) -> list[str]:
    """Everything between the marker and the `<details>` block."""
    summary = summarize(changes)
    version = plan.get("terraform_version", "?")
    out = [f"## Terraform plan for `{env}`", ""]
    if summary.empty and has_changes(plan):
        # -detailed-exitcode says "changes" for output-only plans too: say so, not "No changes".
        out += [f"**Only outputs change** (no resources) · Terraform {version}"]
    elif summary.empty:
        out += [f"**No changes.** Infrastructure matches the configuration · Terraform {version}"]
    else:
        out += [f"**{summary.line()}** · Terraform {version}"]
    kind = change_type(changes)
    out += ["", CHANGE_TYPE_LINES[kind], ""] if kind else [""]

    destructive = sorted((c for c in changes if c.is_destructive), key=lambda c: c.address)
    if destructive:
        out += _destroy_section(destructive, limit)
    codes = code_changes(changes)
    if codes:
        out += _code_section(codes, limit)
    others = [c for c in changes if not c.is_destructive and c.kind not in {"no-op", "read"}]
    if others:
        title = "### Other changes" if destructive else "### Changes"
        out += _module_sections(others, title, limit)
    return out


def _truncate_lines(text: str, budget: int) -> tuple[str, int]:
    """Keep whole lines from the head (~60%) and the tail (~40%) within `budget` characters.

    Returns the kept text (with an omission line in the middle) and how many lines were cut.
    """
    lines = text.splitlines()
    head_budget, tail_budget = int(budget * 0.6), int(budget * 0.4) - 200
    head: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > head_budget:
            break
        head.append(line)
        used += len(line) + 1
    tail: list[str] = []
    used = 0
    for line in reversed(lines[len(head) :]):
        if used + len(line) + 1 > tail_budget:
            break
        tail.insert(0, line)
        used += len(line) + 1
    omitted = len(lines) - len(head) - len(tail)
    middle = [f"… {omitted} lines omitted here: the full plan is in the workflow run log …"]
    return "\n".join([*head, *middle, *tail]), omitted


def _details(plan_text: str, budget: int) -> list[str]:
    """The collapsible full plan, truncated to `budget` characters when needed."""
    run = _run_url()
    where = (
        f"[the workflow run log]({run})" if run else "the workflow run log (`invoke plan` output)"
    )
    total_lines = len(plan_text.splitlines())
    body, note = plan_text.rstrip("\n"), ""
    if len(body) + 400 > budget:
        body, omitted = _truncate_lines(body, max(budget - 600, 1000))
        note = (
            f"_Output truncated to stay under GitHub's comment limit: {omitted} of {total_lines} "
            f"lines omitted (first and last lines kept). The full plan is in {where}._"
        )
    fence = fence_for(body)
    out = ["<details>", f"<summary>Full plan output ({total_lines} lines)</summary>", ""]
    if note:
        out += [note, ""]
    out += [f"{fence}text", body, fence, "", "</details>"]
    return out


def render(
    plan: dict[str, Any],
    env: str,
    plan_text: str | None = None,
    *,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> str:
    """The full comment body for one env (always under GitHub's 65,536-character limit)."""
    changes = resource_changes(plan)
    redactor = build_redactor(plan, secret_patterns)
    # The marker stays outside masking: it is how the workflow finds the comment to update.
    # Fewer listed resources per section until the summary part leaves room for the plan text.
    for limit in (MAX_LISTED, 20, 5, 1):
        sections = "\n".join(_head_sections(env, plan, changes, limit))
        if utf16_length(sections) < COMMENT_BUDGET // 2:
            break
    head = marker(env) + "\n" + redactor.mask(sections)
    footer = (
        "\n\n<sub>Rendered by `invoke plan-comment` from the saved plan's JSON; "
        "secret values are redacted.</sub>\n"
    )
    parts = [head]
    if plan_text is not None and plan_text.strip():
        budget = COMMENT_BUDGET - utf16_length(head) - utf16_length(footer) - 200
        masked = redactor.mask(plan_text)
        parts.append("\n".join(_details(masked, budget)))
    body = "\n".join(parts) + footer
    if utf16_length(body) >= GITHUB_COMMENT_LIMIT:  # only possible with absurd head sections
        body = body[: COMMENT_BUDGET // 2] + "\n\n_(comment cut: see the run log)_\n"
    return body


# --------------------------------------------------------------------------- files (tasks)

PLAN_JSON_NAME = "tfplan.json"  # written by `invoke plan` (tooling.deploy) in .work/<env>/
PLAN_TEXT_NAME = "plan.txt"
COMMENT_NAME = "plan-comment.md"


def has_changes(plan: dict[str, Any]) -> bool:
    """What `terraform plan -detailed-exitcode` reports as 2: any resource or output change."""
    resources = any(c.kind not in {"no-op", "read"} for c in resource_changes(plan))
    outputs = any(
        tuple(o.get("actions") or ()) not in {("no-op",), ()}
        for o in (plan.get("output_changes") or {}).values()
    )
    return resources or outputs


def write_comment(
    env: str,
    output: Path | None = None,
    *,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> Path:
    """Render `.work/<env>/tfplan.json` (+ `plan.txt` when present) into a Markdown file.

    The workflow posts the FILE (never a command-line argument: a large comment would hit
    "Argument list too long"). Returns the path written (default `.work/<env>/plan-comment.md`).
    """
    work = envs.work_dir(env)
    plan = load_plan(work / PLAN_JSON_NAME)
    text_path = work / PLAN_TEXT_NAME
    plan_text = text_path.read_text(encoding="utf-8") if text_path.is_file() else None
    body = render(plan, envs.resolve_env(env), plan_text, secret_patterns=secret_patterns)
    target = output or work / COMMENT_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(body, encoding="utf-8")
    return target


def drift_detected(env: str) -> bool:
    """True when the env's saved plan has changes (`-detailed-exitcode` 2 semantics)."""
    return has_changes(load_plan(envs.work_dir(env) / PLAN_JSON_NAME))
