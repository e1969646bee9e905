"""Shared helpers for the Terraform policy tests: run checkov with the repo's custom checks."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
CUSTOM_CHECKS_DIR = REPO_ROOT / "terraform" / "policies" / "checkov"


@pytest.fixture
def run_custom_check(tmp_path: Path):
    """Return a function that scans one HCL snippet with one custom check.

    It returns (passed, failed) as sets of resource addresses.
    """
    from checkov.runner_filter import RunnerFilter
    from checkov.terraform.runner import Runner

    def run(check_id: str, hcl: str) -> tuple[set[str], set[str]]:
        (tmp_path / "main.tf").write_text(hcl, encoding="utf-8")
        report = Runner().run(
            root_folder=str(tmp_path),
            external_checks_dir=[str(CUSTOM_CHECKS_DIR)],
            runner_filter=RunnerFilter(framework=["terraform"], checks=[check_id]),
        )
        passed = {r.resource for r in report.passed_checks if r.check_id == check_id}
        failed = {r.resource for r in report.failed_checks if r.check_id == check_id}
        return passed, failed

    return run
