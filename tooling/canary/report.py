"""The canary's result: one :class:`Check` per line of a pass/fail table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Sequence


@dataclass(frozen=True)
class Check:
    """One line of the canary's table."""

    name: str
    passed: bool
    detail: str = ""


def guarded(name: str, run: Callable[[], Check]) -> Check:
    try:
        return run()
    except Exception as error:
        return Check(name, False, f"{type(error).__name__}: {error}")


def render_table(checks: Sequence[Check]) -> str:
    """The pass/fail table the task prints."""
    width = max((len(check.name) for check in checks), default=10)
    lines = [f"{'check':<{width}}  result  detail", f"{'-' * width}  ------  ------"]
    lines += [
        f"{check.name:<{width}}  {'PASS' if check.passed else 'FAIL':<6}  {check.detail}"
        for check in checks
    ]
    failed = sum(not check.passed for check in checks)
    lines.append(f"{len(checks) - failed}/{len(checks)} checks passed")
    return "\n".join(lines)


def guarded_list(name: str, run: Callable[[], list[Check]]) -> list[Check]:
    try:
        return run()
    except ToolingError:
        raise
    except Exception as error:
        return [Check(name, False, f"{type(error).__name__}: {error}")]


def iter_failures(checks: Sequence[Check]) -> Iterator[Check]:
    """The failed checks, in order."""
    return (check for check in checks if not check.passed)
