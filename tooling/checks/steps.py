"""The `check` task: every static check, each run even when an earlier one fails, then a summary.

A step is a name plus either a command (run in the repo root, output streamed) or a function
that raises :class:`ToolingError`. Adding a check is one line in :func:`default_steps`.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from tooling.checks import iam_step
from tooling.checks.checkov import checkov_command
from tooling.core import envs, paths, tools
from tooling.core.errors import ToolingError
from tooling.gitops import workflow_lint
from tooling.tf.runner import TerraformRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path


@dataclass(frozen=True)
class Step:
    """One named check: a command to run in the repo root, or a function raising ToolingError."""

    name: str
    command: tuple[str, ...] = ()
    func: Callable[[], None] | None = None


@dataclass(frozen=True)
class StepResult:
    """How one step went."""

    name: str
    ok: bool
    seconds: float
    detail: str = ""


def default_steps(mirror_config: str | None = None) -> list[Step]:
    """Every check the repo runs, in order (cheap ones first)."""
    has_terraform = paths.TERRAFORM_DIR.is_dir()
    return [
        Step("ruff check", command=(tools.venv_tool("ruff"), "check", ".")),
        Step("ruff format", command=(tools.venv_tool("ruff"), "format", "--check", ".")),
        # Until terraform/ exists (a fresh repo) there is nothing to format or scan.
        *([Step("terraform fmt", func=terraform_fmt_check)] if has_terraform else []),
        *(
            Step(f"terraform validate ({env})", func=partial(validate_env, env, mirror_config))
            for env in envs.ENVS
            if any((paths.ENVS_DIR / env).glob("*.tf"))
        ),
        *(
            Step(
                f"terraform test ({module.name})",
                func=partial(run_module_tests, module, mirror_config),
            )
            for module in modules_with_tests()
        ),
        *([Step("checkov", command=checkov_command())] if has_terraform else []),
        Step("IAM policies (parliament)", command=iam_step.command(mirror_config)),
        Step("workflows (actionlint + zizmor)", func=workflow_lint.check),
    ]


def run_checks(steps: Sequence[Step]) -> list[StepResult]:
    """Run every step (a failure does not stop the others), print a summary, raise if any failed."""
    results = [run_step(step) for step in steps]
    print(summary_table(results), flush=True)
    failed = [result.name for result in results if not result.ok]
    if failed:
        raise ToolingError(
            f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}",
            hint="see each check's output above; `invoke check` runs them all again",
        )
    return results


def run_step(step: Step) -> StepResult:
    """Run one step, streaming its output, and time it."""
    print(f"\n» {step.name}", flush=True)
    started = time.monotonic()
    try:
        if step.func is not None:
            step.func()
        else:
            run_command(step.command)
    except ToolingError as error:
        print(f"✘ {step.name}: {error}", file=sys.stderr, flush=True)
        return StepResult(step.name, False, time.monotonic() - started, error.message)
    return StepResult(step.name, True, time.monotonic() - started)


def run_command(command: Sequence[str]) -> None:
    """Run a command in the repo root with live output; a non-zero exit is a ToolingError."""
    if not command or shutil.which(command[0]) is None:
        raise ToolingError(
            f"{command[0] if command else '(empty command)'} is not installed",
            hint="run `.ci/invoke check` (it installs the tooling) or install it on PATH",
        )
    returncode = subprocess.run(list(command), cwd=paths.REPO_ROOT, check=False).returncode
    if returncode != 0:
        raise ToolingError(f"exit code {returncode}: {' '.join(command)}")


def summary_table(results: Sequence[StepResult]) -> str:
    """A fixed-width table: status, check, seconds, and the first line of what went wrong."""
    width = max([len(result.name) for result in results] + [5])
    lines = ["", "check summary", f"  {'':2}{'check':<{width}}  {'time':>7}"]
    for result in results:
        mark = "ok" if result.ok else "FAIL"
        first_line = result.detail.splitlines()[0] if result.detail else ""
        lines.append(
            f"  {mark:<4}  {result.name:<{width}}  {result.seconds:6.1f}s  {first_line}".rstrip()
        )
    passed = sum(result.ok for result in results)
    lines.append(f"  {passed}/{len(results)} passed")
    return "\n".join(lines)


def terraform_fmt_check() -> None:
    """``terraform fmt -check -recursive terraform`` (lists the files that need formatting)."""
    run_command((tools.terraform_binary(), "fmt", "-check", "-recursive", "-diff", "terraform"))


def validate_env(env: str, mirror_config: str | None) -> None:
    """``init -backend=false`` + ``validate`` of one env root, in its own check data dir."""
    runner = TerraformRunner(
        envs.env_root(env),
        paths.WORK_DIR / "checks" / env / ".terraform",
        provider_mirror=tools.provider_mirror(mirror_config),
    )
    runner.init(backend=False)
    runner.validate()


def modules_with_tests() -> list[Path]:
    """Modules under terraform/modules that have ``*.tftest.hcl`` files (in tests/ or beside)."""
    if not paths.MODULES_DIR.is_dir():
        return []
    return [
        module
        for module in sorted(paths.MODULES_DIR.iterdir())
        if module.is_dir()
        and (any(module.glob("*.tftest.hcl")) or any(module.glob("tests/*.tftest.hcl")))
    ]


def run_module_tests(module: Path, mirror_config: str | None) -> None:
    """``init -backend=false`` + ``terraform test`` of one module."""
    runner = TerraformRunner(
        module,
        paths.WORK_DIR / "checks" / "modules" / module.name / ".terraform",
        provider_mirror=tools.provider_mirror(mirror_config),
    )
    runner.init(backend=False)
    runner.test()
