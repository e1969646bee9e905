"""Plan, apply, deploy, destroy and read outputs of one env, always through a saved, reviewed plan.

The flow, and why:

* ``plan`` runs ``terraform init`` + ``plan -out=.work/<env>/tfplan`` with the built zip's path and
  base64 sha256, then writes ``tfplan.json`` (``show -json``, for the summary, the plan guard
  and PR comments) and ``plan.txt`` (the plan's own text, what ``show -no-color`` prints), plus
  ``tfplan.meta.json``: a fingerprint of every input the plan was made from.
* ``apply`` applies only that saved plan, and refuses when it is missing or stale: the zip, the
  Terraform sources, the plan file or the target changed since ``plan``. Terraform itself
  refuses a plan whose state has moved on ("Saved plan is stale"). Applying a zip rebuilt after
  the plan is exactly what produces "Provider produced inconsistent final plan".
* ``deploy`` = build (while the emulator starts) → plan → (protected env: summary +
  confirmation) → apply → a report: the outputs, the emulator, the next commands. A plan with
  no changes at all (``-detailed-exitcode`` 0) skips ``show -json``: nothing will be applied.
* ``local`` (or ``emulated=True``) runs against the embedded emulator via
  :func:`tooling.emulator.override.prepare_emulated_root`; every other env runs in
  ``terraform/envs/<env>`` with real AWS credentials, checked (with the backend settings and
  the account) before Terraform starts: :func:`tooling.deploy.target.require_real_env_access`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling.build import package
from tooling.core import envs, paths, tools
from tooling.core.console import say
from tooling.core.errors import ToolingError
from tooling.deploy.prompts import confirm_changes
from tooling.deploy.report import DeployReport
from tooling.deploy.saved_plan import (
    check_saved_plan,
    digest,
    discard_plan,
    plan_inputs,
    terraform_sources_digest,
)
from tooling.deploy.target import (
    DATA_DIR,
    INIT_STAMP,
    Target,
    require_real_env_access,
    resolve_target,
    runner_for,
)
from tooling.plan import guard
from tooling.plan.summary import PlanSummary, summarize

if TYPE_CHECKING:
    from collections.abc import Callable

    from tooling.tf.runner import TerraformRunner


log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PlanOutcome:
    """A saved plan and its summary."""

    target: Target
    summary: PlanSummary

    def describe(self) -> str:
        """The lines the `plan` task prints."""
        return (
            f"plan for {self.target.label}: {self.summary.one_line()}\n"
            f"  saved plan  {self.target.plan_file}\n"
            f"  plan JSON   {self.target.plan_json}\n"
            f"  plan text   {self.target.plan_text}"
        )


def plan(
    env: str,
    *,
    emulated: bool = False,
    destroy: bool = False,
    mirror_config: str | None = None,
) -> PlanOutcome:
    """init + plan -out + show -json/-no-color for ``env``; returns the summary."""
    _preflight(env, mirror_config, need_zip=True)
    target = resolve_target(env, emulated=emulated)
    return _plan_target(target, destroy=destroy, mirror_config=mirror_config)


def apply(
    env: str,
    *,
    emulated: bool = False,
    allow_destroy: str | None = None,
    mirror_config: str | None = None,
) -> dict[str, Any]:
    """Apply the saved plan of ``env`` (refusing a missing or stale one); return the outputs."""
    _preflight(env, mirror_config)
    target = resolve_target(env, emulated=emulated)
    check_saved_plan(target)
    enforce_plan_guard(target, allow_destroy)
    return _apply_target(target, mirror_config=mirror_config)


def deploy(
    env: str,
    *,
    yes: bool = False,
    emulated: bool = False,
    allow_destroy: str | None = None,
    build_settings: package.BuildSettings | None = None,
    mirror_config: str | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> DeployReport:
    """build → plan → (protected env: confirm) → apply; return what was deployed.

    The build and the target's preparation (starting the emulator, resetting stale state,
    copying the emulated root) are independent, so they run side by side.
    """
    name = _preflight(env, mirror_config)  # fail on a typo or bad mirror before building
    with ThreadPoolExecutor(max_workers=1) as pool:
        preparing = pool.submit(resolve_target, name, emulated=emulated)
        built = package.build(build_settings)
        say(built.describe())
        target = preparing.result()
    outcome = _plan_target(target, mirror_config=mirror_config, json_when_unchanged=False)
    say(outcome.describe())
    if not outcome.summary.has_changes:
        say(f"{target.label} is up to date: nothing to apply")
        discard_plan(target)
        return DeployReport(target, read_outputs(target, mirror_config=mirror_config), False)
    enforce_plan_guard(target, allow_destroy)
    if envs.is_protected(name):
        confirm_changes(target, outcome.summary, yes=yes, confirm=confirm)
    outputs = _apply_target(target, mirror_config=mirror_config)
    return DeployReport(target, outputs, True, outcome.summary)


def destroy(
    env: str,
    *,
    yes: bool = False,
    emulated: bool = False,
    mirror_config: str | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> None:
    """Plan a destroy and apply it; refused for protected envs, confirmed for real ones."""
    name = envs.resolve_env(env)
    if envs.is_protected(name):
        raise ToolingError(
            f"refusing to destroy {name}: it is a protected env "
            f"({', '.join(sorted(envs.PROTECTED_ENVS))})",
            hint=(
                "protected envs hold real data; tear one down deliberately by removing it "
                "from Terraform in a reviewed change, not from a task"
            ),
        )
    _preflight(name, mirror_config, need_zip=True)
    target = resolve_target(name, emulated=emulated)
    outcome = _plan_target(target, destroy=True, mirror_config=mirror_config)
    say(outcome.describe())
    if not outcome.summary.has_changes:
        say(f"{target.label} has nothing to destroy")
        discard_plan(target)
        return
    if not target.emulated:
        confirm_changes(target, outcome.summary, yes=yes, confirm=confirm, verb="destroy")
    _apply_target(target, mirror_config=mirror_config)


def output(env: str, *, emulated: bool = False, mirror_config: str | None = None) -> dict[str, Any]:
    """The env's Terraform outputs as ``{name: value}``."""
    _preflight(env, mirror_config)
    target = resolve_target(env, emulated=emulated)
    # Reading outputs reads the state: credentials and backend settings, but no account check.
    require_real_env_access(target, need_account=False)
    return read_outputs(target, mirror_config=mirror_config)


def read_outputs(target: Target, *, mirror_config: str | None = None) -> dict[str, Any]:
    """``terraform output -json`` of a target, flattened to ``{name: value}``."""
    runner = runner_for(target, mirror_config)
    if not (target.work_dir / DATA_DIR).is_dir():
        runner.init(backend_config=target.backend_config)
    return {name: item.get("value") for name, item in sorted(runner.output_json().items())}


def enforce_plan_guard(target: Target, allow_destroy: str | None) -> None:
    """Run the plan guard (:mod:`tooling.plan.guard`) on the saved plan's JSON."""
    guard.enforce(target.plan_json, target.env, allow_destroy)


def _ensure_initialised(runner: TerraformRunner, target: Target) -> None:
    """``terraform init``, skipped when nothing init reads changed since the last one.

    init depends on the root's and modules' sources (module calls, required providers, the
    lock file), the backend settings and the provider installation (mirror, CLI config). With
    all of those unchanged and the data dir still there, a second init only costs time: about
    1.5 s of a 15 s no-op plan.
    """
    stamp = target.work_dir / INIT_STAMP
    backend_files = [Path(item) for item in target.backend_config if Path(item).is_file()]
    fingerprint = digest(
        json.dumps(
            [
                terraform_sources_digest([target.root_dir, paths.MODULES_DIR]),
                list(target.backend_config),
                [path.read_text() for path in backend_files],
                str(runner.provider_mirror),
                runner.environment().get("TF_CLI_CONFIG_FILE", ""),
            ]
        ).encode()
    )
    initialised = (target.work_dir / DATA_DIR).is_dir()
    if initialised and stamp.is_file() and stamp.read_text() == fingerprint:
        say(f"» terraform init ({target.label}): up to date, skipped")
        return
    say(f"» terraform init ({target.label})")
    stamp.unlink(missing_ok=True)
    runner.init(backend_config=target.backend_config)
    stamp.write_text(fingerprint)


def _plan_target(
    target: Target,
    *,
    destroy: bool = False,
    mirror_config: str | None = None,
    json_when_unchanged: bool = True,
) -> PlanOutcome:
    """init + plan + ``show -json``; ``json_when_unchanged=False`` skips the show (a provider
    start, seconds) when Terraform says the plan changes nothing, as ``deploy`` then applies
    nothing and discards the plan."""
    zip_path, base64sha256 = package.read_built_zip()
    require_real_env_access(target)
    runner = runner_for(target, mirror_config)
    target.work_dir.mkdir(parents=True, exist_ok=True)
    # A failed plan must not leave the previous plan behind for `apply` to pick up.
    discard_plan(target)
    _ensure_initialised(runner, target)
    variables = {
        # Relative to the root: the same string on every machine, so `filename` does not show
        # a diff between a laptop and CI (terraform-aws-lambda#672).
        "package_path": os.path.relpath(zip_path, target.root_dir),
        "package_base64sha256": base64sha256,
        **target.variables,
    }
    say(f"» terraform plan ({target.label})")
    try:
        result = runner.plan(target.plan_file, variables, destroy=destroy)
    except ToolingError:
        # Whatever failed, the next plan starts with a fresh `terraform init`.
        (target.work_dir / INIT_STAMP).unlink(missing_ok=True)
        raise
    target.plan_text.write_text(result.text)
    if not result.has_changes and not json_when_unchanged:
        return PlanOutcome(target, PlanSummary())
    plan_json = runner.show_json(target.plan_file)
    target.plan_json.write_text(json.dumps(plan_json, indent=1, sort_keys=True) + "\n")
    summary = summarize(plan_json)
    meta = {
        "env": target.env,
        "emulated": target.emulated,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "destroy": destroy,
        "summary": summary.one_line(),
        "variables": variables,
        "inputs": plan_inputs(target),
    }
    target.meta_file.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return PlanOutcome(target, summary)


def _apply_target(target: Target, *, mirror_config: str | None = None) -> dict[str, Any]:
    check_saved_plan(target)
    require_real_env_access(target)
    runner = runner_for(target, mirror_config)
    if not (target.work_dir / DATA_DIR).is_dir():
        runner.init(backend_config=target.backend_config)
    say(f"» terraform apply {target.plan_file} ({target.label})")
    runner.apply_saved_plan(target.plan_file)
    # A saved plan applies once; keep the JSON/text as the record of what was applied.
    target.plan_file.unlink(missing_ok=True)
    target.meta_file.unlink(missing_ok=True)
    return read_outputs(target, mirror_config=mirror_config)


def _preflight(env: str, mirror_config: str | None, *, need_zip: bool = False) -> str:
    """Cheap checks before anything slow starts (the emulator, a build, terraform init)."""
    name = envs.resolve_env(env)
    tools.terraform_binary()
    tools.provider_mirror(mirror_config)
    if need_zip:
        package.read_built_zip()
    return name
