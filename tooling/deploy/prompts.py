"""Asking before a protected env changes: --yes skips, no terminal and no --yes refuses."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

from tooling.core.console import say
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Callable

    from tooling.deploy.target import Target
    from tooling.plan.summary import PlanSummary


def confirm_changes(
    target: Target,
    summary: PlanSummary,
    *,
    yes: bool,
    confirm: Callable[[str], bool] | None = None,
    verb: str = "apply",
) -> None:
    """Ask before changing a protected env: --yes skips, no terminal and no --yes refuses."""
    lines = [f"{verb} to {target.label}: {summary.one_line()}", *summary.destructive_lines()]
    say("\n".join(lines))
    if yes:
        return
    if confirm is None:
        if not sys.stdin.isatty():
            raise ToolingError(
                f"refusing to {verb} {target.label} without confirmation: there is no terminal "
                "to ask on",
                hint=f"review {target.plan_text}, then re-run with --yes (pipelines pass --yes)",
            )
        confirm = functools.partial(_ask_on_terminal, verb=verb)
    if not confirm(target.env):
        raise ToolingError(
            f"{verb} to {target.label} cancelled: not confirmed",
            hint=f"the saved plan stays at {target.plan_file}; `invoke apply` applies it later",
        )


def _ask_on_terminal(env: str, *, verb: str = "apply") -> bool:
    """Ask the person at the terminal to type the env name (a plain 'y' is too easy)."""
    answer = input(f"Type the env name ({env}) to {verb} these changes, anything else aborts: ")
    return answer.strip() == env
