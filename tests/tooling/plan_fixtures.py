"""The real-Terraform plan fixtures (tests/tooling/plan/fixtures/), for the plan and GitOps tests.

Importable from every test under tests/tooling/ (pytest puts this directory on sys.path for its
conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "plan" / "fixtures"
SCENARIOS = ("no_changes", "destroy", "replace", "code_only", "sensitive", "huge")


def load_fixture(name: str) -> dict[str, Any]:
    """The `terraform show -json` document of one scenario."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def fixture_text(name: str) -> str:
    """The `terraform show -no-color` text of one scenario."""
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


def scenario_variables(name: str) -> dict[str, str]:
    """The variables the generator planned the scenario with (incl. the fake secrets)."""
    manifest = json.loads((FIXTURES / "scenarios.json").read_text(encoding="utf-8"))
    return manifest[name]["variables"]
