"""What a deploy did, for the job summary and the merged pull request: the apply report.

After `invoke apply` the env's work dir still holds the applied plan's JSON (the record of what
was applied). The report shows the applied counts (Terraform's words: added, changed,
destroyed, imported, forgotten, moved), the artifact's sha256 (`sha256sum dist/handler.zip`),
and the outputs with sensitive and secret values redacted. A failed apply gets a report that
says so, with the redacted error from the run's log.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from tooling.gitops.comment import (
    FAILURE_LOG_BUDGET,
    RunInfo,
    code_span,
    failure_excerpt,
    fenced,
    truncate_lines,
    utf16_length,
)
from tooling.plan.redaction import (
    DEFAULT_SECRET_PATTERNS,
    Redactor,
    build_redactor,
    mask_log,
    secret_name_matcher,
)

if TYPE_CHECKING:
    from tooling.plan.model import Plan

# Same limit as the plan comment: the report is posted as a PR comment too.
REPORT_BUDGET = 60_000
MAX_OUTPUT_CHARS = 300


def marker(env: str) -> str:
    """The hidden marker of the env's apply report on a pull request."""
    return f"<!-- sfp-apply:{env} -->"


def applied_line(plan: Plan) -> str:
    """`Apply complete! Resources: 1 imported, 2 added, 1 changed, 1 destroyed.` (+ moved…)."""
    counts = plan.counts
    parts = [f"{counts.add} added", f"{counts.change} changed", f"{counts.destroy} destroyed"]
    if counts.import_:
        parts.insert(0, f"{counts.import_} imported")
    if counts.forget:
        parts.append(f"{counts.forget} forgotten")
    line = f"Resources: {', '.join(parts)}."
    extras = []
    if counts.replace:
        extras.append(f"{counts.replace} of them replaced")
    if counts.move:
        extras.append(f"{counts.move} moved")
    if plan.changed_outputs:
        extras.append(f"{len(plan.changed_outputs)} output(s) changed")
    return line + (f" ({'; '.join(extras)})" if extras else "")


def _output_cell(name: str, spec: dict[str, Any], redactor: Redactor, secret_name: bool) -> str:
    if spec.get("sensitive") or secret_name:
        return "_(sensitive)_"
    value = spec.get("value")
    text = (
        value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)
    )
    if len(text) > MAX_OUTPUT_CHARS:
        return f"_({len(text)} characters)_"
    return code_span(redactor.mask_value(text)).replace("|", "\\|")


def render_success(
    env: str,
    plan: Plan,
    outputs: dict[str, dict[str, Any]],
    artifact_sha256: str | None,
    *,
    run: RunInfo | None = None,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> str:
    """The report of a successful apply (`outputs` as `terraform output -json` gives them)."""
    run = run or RunInfo()
    redactor = build_redactor(plan, secret_patterns)
    is_secret = secret_name_matcher(secret_patterns)
    header = run.header_line(plan.terraform_version)
    lines = [
        marker(env),
        f"## ✅ Applied to `{env}`",
        *([header] if header else []),
        "",
        f"**Apply complete! {applied_line(plan)}**",
        "",
        f"Artifact: `dist/handler.zip` sha256 `{artifact_sha256 or 'unknown'}`",
    ]
    if outputs:
        lines += ["", "### Outputs", "| Output | Value |", "| --- | --- |"]
        rows = [
            f"| {code_span(name)} | {_output_cell(name, spec, redactor, is_secret(name))} |"
            for name, spec in sorted(outputs.items())
        ]
        for row in rows:
            if utf16_length("\n".join(lines)) + utf16_length(row) > REPORT_BUDGET:
                lines.append(f"_… {len(rows)} outputs in all; the rest are in the run log._")
                break
            lines.append(row)
    return "\n".join([*lines, ""])


def render_failure(
    env: str,
    log: str,
    plan: Plan | None,
    *,
    run: RunInfo | None = None,
    secret_patterns: tuple[str, ...] = DEFAULT_SECRET_PATTERNS,
) -> str:
    """The report of a failed apply: it says so, with the redacted error."""
    run = run or RunInfo()
    redactor = build_redactor(plan, secret_patterns) if plan is not None else None
    excerpt = mask_log(failure_excerpt(log), redactor, secret_patterns)
    kept, _ = truncate_lines(excerpt, FAILURE_LOG_BUDGET, "the workflow run log")
    header = run.header_line()
    where = f"[the workflow run log]({run.run_url})" if run.run_url else "the workflow run log"
    tried = f" It was applying: {applied_line(plan)}" if plan is not None else ""
    return "\n".join(
        [
            marker(env),
            f"## ❌ Apply to `{env}` failed",
            *([header] if header else []),
            "",
            "> [!CAUTION]",
            f"> The apply failed: `{env}` may be partly changed.{tried}",
            "> Fix the cause and re-run the deploy; Terraform plans again from the real state.",
            "",
            f"**Error** (values redacted; the full output is in {where}):",
            "",
            *fenced(kept),
            "",
        ]
    )
