"""The `check` step's command for the IAM policy proofs, kept apart from their heavy imports.

:mod:`tooling.checks.iam_policies` imports parliament, botocore and python-hcl2 (over a second
of imports); `check` runs it as a child process, so no other invoke task pays for them and
Terraform's per-call environment stays out of the `check` process.
"""

from __future__ import annotations

import sys

MODULE = "tooling.checks.iam_policies"


def command(mirror_config: str | None = None) -> tuple[str, ...]:
    """``python -m tooling.checks.iam_policies [MIRROR]`` with this interpreter."""
    return (sys.executable, "-m", MODULE, *([mirror_config] if mirror_config else []))
