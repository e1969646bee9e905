"""checkov over terraform/: the `check` step, and the same scan as SARIF for GitHub code scanning.

The PR workflow uploads the SARIF; its scan is the `check` step's command (custom policies and
skips identical), plus SARIF output. The SARIF is written even when checks fail,
so the workflow can upload the findings and still fail the job.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tooling.core import paths, tools
from tooling.core.errors import ToolingError

# The repo's own checkov checks, relative to the repo root (where checkov runs).
CUSTOM_POLICIES = Path("terraform") / "policies" / "checkov"
SARIF_NAME = "results_sarif.sarif"  # what checkov names it inside --output-file-path
CLI_NAME = "results_cli.txt"


def checkov_sarif(output_dir: Path) -> Path:
    """Run checkov with CLI + SARIF output into `output_dir`; return the SARIF path.

    Raises `ToolingError` when checkov reports failed checks (after the SARIF is written) or
    when it could not produce the SARIF at all.
    """
    output_dir.mkdir(parents=True, exist_ok=True)
    command = [
        *checkov_command(),
        "--output",
        "cli",
        "--output",
        "sarif",
        "--output-file-path",
        str(output_dir),
    ]
    result = subprocess.run(command, cwd=paths.REPO_ROOT, check=False)
    cli_report = output_dir / CLI_NAME
    if cli_report.is_file():  # with --output-file-path the CLI report goes to a file: show it
        sys.stdout.write(cli_report.read_text(encoding="utf-8"))
    sarif = output_dir / SARIF_NAME
    if not sarif.is_file():
        raise ToolingError(
            f"checkov wrote no SARIF into {output_dir} (exit code {result.returncode})",
            hint="run `invoke check` to see checkov's own error",
        )
    if result.returncode != 0:
        raise ToolingError(
            f"checkov reported failed checks (SARIF: {sarif})",
            hint="fix them, or skip one inline with `#checkov:skip=CKV_…:reason`",
        )
    return sarif


def checkov_command() -> tuple[str, ...]:
    """checkov once over terraform/, with the repo's custom checks when they exist."""
    command = [
        tools.venv_tool("checkov"),
        "-d",
        "terraform",
        "--framework",
        "terraform",
        "--skip-download",
        "--quiet",
        "--compact",
    ]
    if (paths.REPO_ROOT / CUSTOM_POLICIES).is_dir():
        command += ["--external-checks-dir", CUSTOM_POLICIES.as_posix()]
    return tuple(command)
