"""The `check` task: every static check, each run even when an earlier one fails, then a summary.

A step is a name plus either a command (run in the repo root, output streamed) or a function
that raises :class:`ToolingError`. Adding a check is one line in :func:`default_steps`.

With ``jobs`` > 1 the steps run side by side, each in its own process (a Terraform command sets
process-wide state: environment variables, the standard streams), longest first; each step's
output is printed as one block when it finishes, so blocks never interleave. Work that would be
done twice is done once: env roots made of identical Terraform files are validated once (a
``validate`` does not read tfvars), and checkov scans the tree once, without the generated
``*.emulated`` copies of the roots it already scans.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from tooling.checks import iam_step, module_docs
from tooling.checks.checkov import checkov_command
from tooling.core import envs, paths, tools
from tooling.core.errors import ToolingError
from tooling.gitops import workflow_lint
from tooling.tf.runner import TerraformRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

# Where `terraform test` runs: a copy of terraform/modules, so that `init` writes its lock files
# there and never into the source tree (a lock file appearing under terraform/modules used to
# make a saved plan "stale": the plan fingerprints every *.hcl file of the modules).
MODULE_TEST_COPY = "modules-src"
CHECKS_WORK_DIR = "checks"


@dataclass(frozen=True)
class Step:
    """One named check: a command to run in the repo root, or a function raising ToolingError.

    ``cost`` is a rough number of seconds, so that side-by-side runs start the long ones first.
    """

    name: str
    command: tuple[str, ...] = ()
    func: Callable[[], None] | None = None
    cost: float = 1.0


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
    if has_terraform:
        # Found (and said) once here, not again in every step's worker process.
        found = tools.provider_mirror(mirror_config)
        mirror_config = str(found) if found else tools.NO_MIRROR
    return [
        Step("ruff check", command=(tools.venv_tool("ruff"), "check", ".")),
        Step("ruff format", command=(tools.venv_tool("ruff"), "format", "--check", ".")),
        # Until terraform/ exists (a fresh repo) there is nothing to format or scan.
        *([Step("terraform fmt", func=terraform_fmt_check)] if has_terraform else []),
        *(
            Step(
                f"terraform validate ({', '.join(group)})",
                func=partial(validate_env, group[0], mirror_config),
                cost=8,
            )
            for group in env_groups()
        ),
        *(
            Step(
                f"terraform test ({module.name})",
                func=partial(run_module_tests, module.name, mirror_config),
                cost=15,
            )
            for module in modules_with_tests()
        ),
        *([Step("module READMEs", func=module_docs.check)] if paths.MODULES_DIR.is_dir() else []),
        *([Step("checkov", command=checkov_command(), cost=12)] if has_terraform else []),
        # Renders every env's stack with two `terraform test` passes when the sources changed
        # (~40 s cold, cached by content afterwards).
        Step("IAM policies (parliament)", command=iam_step.command(mirror_config), cost=40),
        Step("workflows (actionlint + zizmor)", func=workflow_lint.check, cost=2),
    ]


def run_checks(steps: Sequence[Step], *, jobs: int = 1) -> list[StepResult]:
    """Run every step (a failure does not stop the others), print a summary, raise if any failed.

    ``jobs`` > 1 runs that many steps at a time (see the module docstring).
    """
    if jobs > 1 and len(steps) > 1:
        print(
            f"» running {len(steps)} checks, {jobs} at a time; each one's output follows when it "
            "finishes",
            flush=True,
        )
        with BackgroundChecks(steps, jobs=jobs) as running:
            results = running.results(live=True)
    else:
        results = [run_step(step) for step in steps]
    return report(results)


def report(results: Sequence[StepResult]) -> list[StepResult]:
    """Print the summary table; raise naming the failed checks, if any."""
    print(summary_table(results), flush=True)
    failed = [result.name for result in results if not result.ok]
    if failed:
        raise ToolingError(
            f"{len(failed)} of {len(results)} checks failed: {', '.join(failed)}",
            hint="see each check's output above; `invoke check` runs them all again",
        )
    return list(results)


class BackgroundChecks:
    """Steps running ``jobs`` at a time in worker processes, longest first, each one's output
    captured whole; optionally at a lower CPU priority (``nice``), so that they only take the CPU
    time something else in the foreground (the `test` task's pytest run) leaves idle."""

    def __init__(self, steps: Sequence[Step], *, jobs: int, nice: int = 0) -> None:
        self.steps = list(steps)
        # spawn, not fork: the parent may hold threads (a fork would copy their locks mid-use).
        self._pool = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_lower_priority,
            initargs=(nice,),
        )
        longest_first = sorted(self.steps, key=lambda step: -step.cost)
        self._futures = {self._pool.submit(run_step_captured, step): step for step in longest_first}

    def __enter__(self) -> BackgroundChecks:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def results(self, *, live: bool = False) -> list[StepResult]:
        """Wait for every step; print each one's output whole (as it finishes when ``live``,
        else all of them now, in the declared order); return results in the declared order."""
        by_name: dict[str, tuple[StepResult, str]] = {}
        for future in as_completed(self._futures):
            step = self._futures[future]
            try:
                result, output = future.result()
            except Exception as error:  # a worker that died: report it as that step's failure
                result, output = StepResult(step.name, False, 0.0, f"crashed: {error!r}"), ""
            by_name[step.name] = (result, output)
            if live:
                _print_block(result, output)
        if not live:
            for step in self.steps:
                _print_block(*by_name[step.name])
        return [by_name[step.name][0] for step in self.steps]


def _print_block(result: StepResult, output: str) -> None:
    sys.stdout.write(output if output.startswith("\n") else f"\n{output}")
    mark = "✓" if result.ok else "✘"
    print(f"{mark} {result.name} ({result.seconds:.1f} s)", flush=True)


def _lower_priority(increment: int) -> None:
    """Pool initializer: lower this worker's (and its children's) CPU priority."""
    if increment:
        os.nice(increment)


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


def run_step_captured(step: Step) -> tuple[StepResult, str]:
    """:func:`run_step` with everything it and its child processes print captured (fd level)."""
    with tempfile.TemporaryFile() as buffer:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(buffer.fileno(), 1)
        os.dup2(buffer.fileno(), 2)
        try:
            result = run_step(step)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        buffer.seek(0)
        return result, buffer.read().decode("utf-8", errors="replace")


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


def env_groups() -> list[list[str]]:
    """The env roots with Terraform files, grouped by identical ``*.tf`` + lock file content.

    ``terraform validate`` checks the configuration, never the values in terraform.tfvars, so
    roots made of the same files (the envs all link to ``_shared``) validate identically: one
    validate per group covers every env in it.
    """
    groups: dict[str, list[str]] = {}
    for env in envs.ENVS:
        root = paths.ENVS_DIR / env
        files = sorted(root.glob("*.tf"))
        if not files:
            continue
        digest = hashlib.sha256()
        for path in [*files, root / ".terraform.lock.hcl"]:
            if path.is_file():
                digest.update(f"{path.name}\0".encode())
                digest.update(path.read_bytes())
        groups.setdefault(digest.hexdigest(), []).append(env)
    return list(groups.values())


def validate_env(env: str, mirror_config: str | None) -> None:
    """``init -backend=false`` + ``validate`` of one env root, in its own check data dir.

    The lock file is read-only here: a check never rewrites the committed lock file (it fails
    instead, saying the lock file does not match the required providers).
    """
    runner = TerraformRunner(
        envs.env_root(env),
        paths.WORK_DIR / CHECKS_WORK_DIR / env / ".terraform",
        provider_mirror=tools.provider_mirror(mirror_config),
    )
    runner.init(backend=False, lockfile_readonly=True)
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


def run_module_tests(module_name: str, mirror_config: str | None) -> None:
    """``init -backend=false`` + ``terraform test`` of one module, in a copy of the modules.

    The copy (``.work/checks/modules-src/``, all modules, so relative module sources resolve)
    takes the lock file ``init`` writes; the source tree stays as it is.
    """
    copy = module_test_copy(module_name)
    runner = TerraformRunner(
        copy,
        paths.WORK_DIR / CHECKS_WORK_DIR / "modules" / module_name / ".terraform",
        provider_mirror=tools.provider_mirror(mirror_config),
    )
    runner.init(backend=False)
    runner.test()


def module_test_copy(module_name: str) -> Path:
    """A fresh copy of terraform/modules under .work (without caches and lock files); the
    returned path is ``module_name``'s dir in it. One copy per module: steps run in parallel."""
    target = paths.WORK_DIR / CHECKS_WORK_DIR / MODULE_TEST_COPY / module_name
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(
        paths.MODULES_DIR,
        target,
        ignore=shutil.ignore_patterns(".terraform", ".terraform.lock.hcl", "*.tfstate*"),
    )
    return target / module_name
