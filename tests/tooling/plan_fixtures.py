"""The real-Terraform plan fixtures (tests/tooling/plan/fixtures/), for the plan and GitOps tests.

Importable from every test under tests/tooling/ (pytest puts this directory on sys.path for its
conftest.py).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "plan" / "fixtures"
# `config/` scenarios: new variable values against one applied state.
SCENARIOS = ("no_changes", "destroy", "replace", "code_only", "sensitive", "huge")
# `lifecycle/` scenarios: configuration overlays and changes made behind Terraform's back.
LIFECYCLE = (
    "move",
    "import",
    "forget",
    "output_only",
    "errored",
    "multibyte",
    "drift_ignored",
    "drift",
)
# The real product (terraform/envs/local) after a handler-only change (generate_local.sh).
PRODUCT = ("local_code_only",)
ALL_PLANS = (*SCENARIOS, *LIFECYCLE, *PRODUCT)


def load_fixture(name: str) -> dict[str, Any]:
    """The `terraform show -json` document of one scenario."""
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def fixture_text(name: str) -> str:
    """The `terraform show -no-color` text of one scenario."""
    return (FIXTURES / f"{name}.txt").read_text(encoding="utf-8")


def fixture_log(name: str) -> str:
    """The combined output of a scenario's failed `terraform plan` (what a CI log holds)."""
    return (FIXTURES / f"{name}.log").read_text(encoding="utf-8")


def _manifest() -> dict[str, Any]:
    return json.loads((FIXTURES / "scenarios.json").read_text(encoding="utf-8"))


def scenario_variables(name: str) -> dict[str, str]:
    """The variables the generator planned the scenario with (incl. the fake secrets)."""
    return _manifest()[name]["variables"]


def detailed_exitcode(name: str) -> int:
    """What `terraform plan -detailed-exitcode` exited with for the scenario (0, 1 or 2)."""
    if name in PRODUCT:
        return 2  # generate_local.sh: a handler-only change, "Plan: 0 to add, 2 to change"
    return int(_manifest()[name]["detailed_exitcode"])
