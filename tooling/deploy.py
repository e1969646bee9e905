"""Plan, apply, deploy, destroy and read outputs of one env, always through a saved, reviewed plan.

The flow, and why:

* ``plan`` runs ``terraform init`` + ``plan -out=.work/<env>/tfplan`` with the built zip's path and
  base64 sha256, then writes ``tfplan.json`` (``show -json``, for the summary, the plan guard
  and PR comments) and ``plan.txt`` (``show -no-color``, for people), plus
  ``tfplan.meta.json``: a fingerprint of every input the plan was made from.
* ``apply`` applies only that saved plan, and refuses when it is missing or stale: the zip, the
  Terraform sources, the plan file or the target changed since ``plan``. Terraform itself
  refuses a plan whose state has moved on ("Saved plan is stale"). Applying a zip rebuilt after
  the plan is exactly what produces "Provider produced inconsistent final plan".
* ``deploy`` = build → plan → (protected env: summary + confirmation) → apply → outputs.
* ``local`` (or ``emulated=True``) runs against the embedded emulator via
  :func:`tooling.emulated.prepare_emulated_root`; every other env runs in ``terraform/envs/<env>``
  with real AWS credentials.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tooling import config, packaging, plan_summary
from tooling.errors import ToolingError
from tooling.terraform import TerraformRunner

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

log = logging.getLogger(__name__)

PLAN_FILE = "tfplan"
PLAN_JSON = "tfplan.json"
PLAN_TEXT = "plan.txt"
PLAN_META = "tfplan.meta.json"
DATA_DIR = ".terraform"
INIT_STAMP = "init.fingerprint"  # what the last `terraform init` was run for
# Optional per-env backend settings (bucket, key, region, …) for `init -backend-config=`;
# SFP_BACKEND_CONFIG names another file (e.g. one CI writes from secrets) and wins.
BACKEND_FILE = "backend.hcl"
BACKEND_ENV_VAR = "SFP_BACKEND_CONFIG"
# Files whose content decides what a plan does; a change after `plan` makes the plan stale.
TERRAFORM_SOURCE_SUFFIXES = (".tf", ".tfvars", ".hcl", ".tf.json")


@dataclass(frozen=True)
class Target:
    """Where and how Terraform runs for one env."""

    env: str
    root_dir: Path
    work_dir: Path
    emulated: bool
    variables: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    backend_config: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """``dev`` or ``dev (emulated)``: how messages name the target."""
        return f"{self.env} (emulated)" if self.emulated and self.env != "local" else self.env

    @property
    def plan_file(self) -> Path:
        """The saved plan."""
        return self.work_dir / PLAN_FILE

    @property
    def plan_json(self) -> Path:
        """``terraform show -json`` of the saved plan."""
        return self.work_dir / PLAN_JSON

    @property
    def plan_text(self) -> Path:
        """``terraform show -no-color`` of the saved plan."""
        return self.work_dir / PLAN_TEXT

    @property
    def meta_file(self) -> Path:
        """The fingerprint of the plan's inputs, checked by ``apply``."""
        return self.work_dir / PLAN_META


@dataclass(frozen=True)
class PlanOutcome:
    """A saved plan and its summary."""

    target: Target
    summary: plan_summary.PlanSummary

    def describe(self) -> str:
        """The lines the `plan` task prints."""
        return (
            f"plan for {self.target.label}: {self.summary.one_line()}\n"
            f"  saved plan  {self.target.plan_file}\n"
            f"  plan JSON   {self.target.plan_json}\n"
            f"  plan text   {self.target.plan_text}"
        )


def resolve_target(env: str, *, emulated: bool = False) -> Target:
    """The root dir, work dir, variables and env vars Terraform needs for ``env``."""
    name = config.resolve_env(env)
    if name == config.LOCAL_ENV or emulated:
        try:
            from tooling.emulated import prepare_emulated_root
        except ImportError as error:
            raise ToolingError(
                f"emulator support not installed (needed for {name}"
                f"{'' if name == config.LOCAL_ENV else ' --emulated'}): {error}",
                hint="tooling/emulated.py provides prepare_emulated_root(); "
                "check that the checkout is complete and `.ci/invoke` installed the tooling",
            ) from error
        prepared = prepare_emulated_root(name)
        work_dir = getattr(prepared, "work_dir", None) or config.work_dir(name)
        return Target(
            env=name,
            root_dir=Path(prepared.root_dir),
            work_dir=Path(work_dir),
            emulated=True,
            variables=dict(prepared.variables),
            environment=dict(prepared.environment),
        )
    root = config.env_root(name)
    if not root.is_dir() or not any(root.glob("*.tf")):
        raise ToolingError(
            f"the {name} env has no Terraform root at {root}",
            hint="the env roots live in terraform/envs/<env>/ (main.tf, backend.tf, …)",
        )
    return Target(
        env=name,
        root_dir=root,
        work_dir=config.work_dir(name),
        emulated=False,
        backend_config=backend_config(root),
    )


def backend_config(root: Path) -> tuple[str, ...]:
    """``-backend-config`` values for a real env: $SFP_BACKEND_CONFIG, else <root>/backend.hcl."""
    named = os.environ.get(BACKEND_ENV_VAR, "").strip()
    if named:
        path = Path(named).expanduser()
        if not path.is_file():
            raise ToolingError(
                f"{BACKEND_ENV_VAR}={named!r} does not exist",
                hint="point it at an HCL file with the S3 backend settings (bucket, key, region)",
            )
        return (str(path.resolve()),)
    default = root / BACKEND_FILE
    return (str(default),) if default.is_file() else ()


def require_aws_credentials(target: Target) -> None:
    """Fail early, and clearly, when a real env is planned without AWS credentials."""
    if target.emulated:
        return
    import boto3  # slow import: only real envs need it

    credentials = boto3.Session().get_credentials()
    if credentials is None:
        raise ToolingError(
            f"no AWS credentials found for the {target.env} env",
            hint=(
                "set AWS_PROFILE (aws sso login / aws configure), or AWS_ACCESS_KEY_ID + "
                "AWS_SECRET_ACCESS_KEY, or run in CI with an OIDC-assumed role; "
                "for a dry run against the emulator use --emulated"
            ),
        )


def runner_for(target: Target, mirror_config: str | None = None) -> TerraformRunner:
    """The Terraform runner of a target: its root, its data dir, the mirror, its env vars."""
    return TerraformRunner(
        target.root_dir,
        target.work_dir / DATA_DIR,
        provider_mirror=config.provider_mirror(mirror_config),
        extra_env=target.environment,
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
    build_settings: packaging.BuildSettings | None = None,
    mirror_config: str | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> dict[str, Any]:
    """build → plan → (protected env: confirm) → apply; return the outputs."""
    name = _preflight(env, mirror_config)  # fail on a typo or bad mirror before building
    built = packaging.build(build_settings)
    _say(built.describe())
    target = resolve_target(name, emulated=emulated)
    outcome = _plan_target(target, mirror_config=mirror_config)
    _say(outcome.describe())
    if not outcome.summary.has_changes:
        _say(f"{target.label} is up to date: nothing to apply")
        _discard_plan(target)
        return read_outputs(target, mirror_config=mirror_config)
    enforce_plan_guard(target, allow_destroy)
    if config.is_protected(name):
        confirm_changes(target, outcome.summary, yes=yes, confirm=confirm)
    return _apply_target(target, mirror_config=mirror_config)


def destroy(
    env: str,
    *,
    yes: bool = False,
    emulated: bool = False,
    mirror_config: str | None = None,
    confirm: Callable[[str], bool] | None = None,
) -> None:
    """Plan a destroy and apply it; refused for protected envs, confirmed for real ones."""
    name = config.resolve_env(env)
    if config.is_protected(name):
        raise ToolingError(
            f"refusing to destroy {name}: it is a protected env "
            f"({', '.join(sorted(config.PROTECTED_ENVS))})",
            hint=(
                "protected envs hold real data; tear one down deliberately by removing it "
                "from Terraform in a reviewed change, not from a task"
            ),
        )
    _preflight(name, mirror_config, need_zip=True)
    target = resolve_target(name, emulated=emulated)
    outcome = _plan_target(target, destroy=True, mirror_config=mirror_config)
    _say(outcome.describe())
    if not outcome.summary.has_changes:
        _say(f"{target.label} has nothing to destroy")
        _discard_plan(target)
        return
    if not target.emulated:
        confirm_changes(target, outcome.summary, yes=yes, confirm=confirm, verb="destroy")
    _apply_target(target, mirror_config=mirror_config)


def output(env: str, *, emulated: bool = False, mirror_config: str | None = None) -> dict[str, Any]:
    """The env's Terraform outputs as ``{name: value}``."""
    _preflight(env, mirror_config)
    target = resolve_target(env, emulated=emulated)
    return read_outputs(target, mirror_config=mirror_config)


def read_outputs(target: Target, *, mirror_config: str | None = None) -> dict[str, Any]:
    """``terraform output -json`` of a target, flattened to ``{name: value}``."""
    runner = runner_for(target, mirror_config)
    if not (target.work_dir / DATA_DIR).is_dir():
        runner.init(backend_config=target.backend_config)
    return {name: item.get("value") for name, item in sorted(runner.output_json().items())}


def format_outputs(outputs: Mapping[str, Any], *, as_json: bool = False) -> str:
    """Outputs as ``name = value`` lines, or as one JSON object for scripts."""
    if as_json:
        return json.dumps(dict(outputs), indent=2, sort_keys=True)
    if not outputs:
        return "(no outputs: has the env been deployed?)"
    width = max(len(name) for name in outputs)
    return "\n".join(
        f"{name:<{width}} = {value if isinstance(value, str) else json.dumps(value)}"
        for name, value in sorted(outputs.items())
    )


def confirm_changes(
    target: Target,
    summary: plan_summary.PlanSummary,
    *,
    yes: bool,
    confirm: Callable[[str], bool] | None = None,
    verb: str = "apply",
) -> None:
    """Ask before changing a protected env: --yes skips, no terminal and no --yes refuses."""
    lines = [f"{verb} to {target.label}: {summary.one_line()}", *summary.destructive_lines()]
    _say("\n".join(lines))
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


def enforce_plan_guard(target: Target, allow_destroy: str | None) -> None:
    """Run the plan guard (tooling/plan_guard.py) on the saved plan's JSON, when installed."""
    try:
        from tooling import plan_guard  # optional module
    except ImportError:
        log.warning("plan guard not installed (tooling/plan_guard.py): skipping its check")
        _say("note: plan guard not installed; destroy/replace protection not checked")
        return
    plan_guard.enforce(target.plan_json, target.env, allow_destroy)


def check_saved_plan(target: Target) -> None:
    """Refuse a missing plan, or one whose inputs changed since it was made."""
    if not target.plan_file.is_file() or not target.meta_file.is_file():
        raise ToolingError(
            f"no saved plan for {target.label} (looked for {target.plan_file})",
            hint=f"run `invoke plan --env={target.env}` and review it; apply never plans itself",
        )
    recorded = json.loads(target.meta_file.read_text())
    current = plan_inputs(target)
    reasons = [
        STALE_REASONS[key]
        for key in STALE_REASONS
        if recorded.get("inputs", {}).get(key) != current.get(key)
    ]
    if reasons:
        raise ToolingError(
            f"the saved plan for {target.label} is stale: " + "; ".join(reasons),
            hint=f"run `invoke plan --env={target.env}` again, review it, then apply",
        )


STALE_REASONS: dict[str, str] = {
    "target": "it was made for another target (emulated vs real, or another root)",
    "package": "the Lambda zip changed since the plan (rebuilt, or missing)",
    "terraform": "the Terraform sources changed since the plan",
    "plan_file": "the plan file was modified after it was written",
}


def plan_inputs(target: Target) -> dict[str, str]:
    """Fingerprints of everything a saved plan depends on, one per kind of input.

    ``target`` covers the root and the target's own variables (e.g. the emulator endpoint, which
    changes when the emulator restarts); ``package`` the zip behind package_path/_base64sha256.
    """
    zip_path = config.ZIP_PATH
    package = packaging.file_sha256(zip_path).hex() if zip_path.is_file() else "missing"
    plan_file = (
        packaging.file_sha256(target.plan_file).hex() if target.plan_file.is_file() else "missing"
    )
    return {
        "target": _digest(
            json.dumps(
                [target.env, target.emulated, _repo_relative(target.root_dir), target.variables],
                sort_keys=True,
            ).encode()
        ),
        "package": package,
        "terraform": terraform_sources_digest([target.root_dir, config.MODULES_DIR]),
        "plan_file": plan_file,
    }


def terraform_sources_digest(dirs: list[Path]) -> str:
    """Hash of the Terraform files under ``dirs`` (not .terraform/, state or module tests)."""
    digest = hashlib.sha256()
    for base in dirs:
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            relative = path.relative_to(base)
            if (
                not path.is_file()
                or not path.name.endswith(TERRAFORM_SOURCE_SUFFIXES)
                or any(part in {".terraform", "tests"} for part in relative.parts)
            ):
                continue
            digest.update(f"{base.name}/{relative.as_posix()}\0".encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _ensure_initialised(runner: TerraformRunner, target: Target) -> None:
    """``terraform init``, skipped when nothing init reads changed since the last one.

    init depends on the root's and modules' sources (module calls, required providers, the
    lock file), the backend settings and the provider installation (mirror, CLI config). With
    all of those unchanged and the data dir still there, a second init only costs time: about
    1.5 s of a 15 s no-op plan.
    """
    stamp = target.work_dir / INIT_STAMP
    backend_files = [Path(item) for item in target.backend_config if Path(item).is_file()]
    fingerprint = _digest(
        json.dumps(
            [
                terraform_sources_digest([target.root_dir, config.MODULES_DIR]),
                list(target.backend_config),
                [path.read_text() for path in backend_files],
                str(runner.provider_mirror),
                runner.environment().get("TF_CLI_CONFIG_FILE", ""),
            ]
        ).encode()
    )
    initialised = (target.work_dir / DATA_DIR).is_dir()
    if initialised and stamp.is_file() and stamp.read_text() == fingerprint:
        _say(f"» terraform init ({target.label}): up to date, skipped")
        return
    _say(f"» terraform init ({target.label})")
    stamp.unlink(missing_ok=True)
    runner.init(backend_config=target.backend_config)
    stamp.write_text(fingerprint)


def _plan_target(
    target: Target, *, destroy: bool = False, mirror_config: str | None = None
) -> PlanOutcome:
    zip_path, base64sha256 = packaging.read_built_zip()
    require_aws_credentials(target)
    runner = runner_for(target, mirror_config)
    target.work_dir.mkdir(parents=True, exist_ok=True)
    # A failed plan must not leave the previous plan behind for `apply` to pick up.
    _discard_plan(target)
    _ensure_initialised(runner, target)
    variables = {
        # Relative to the root: the same string on every machine, so `filename` does not show
        # a diff between a laptop and CI (terraform-aws-lambda#672).
        "package_path": os.path.relpath(zip_path, target.root_dir),
        "package_base64sha256": base64sha256,
        **target.variables,
    }
    _say(f"» terraform plan ({target.label})")
    try:
        runner.plan(target.plan_file, variables, destroy=destroy)
    except ToolingError:
        # Whatever failed, the next plan starts with a fresh `terraform init`.
        (target.work_dir / INIT_STAMP).unlink(missing_ok=True)
        raise
    plan_json, plan_text = runner.show_plan(target.plan_file)
    target.plan_json.write_text(json.dumps(plan_json, indent=1, sort_keys=True) + "\n")
    target.plan_text.write_text(plan_text)
    summary = plan_summary.summarize(plan_json)
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
    require_aws_credentials(target)
    runner = runner_for(target, mirror_config)
    if not (target.work_dir / DATA_DIR).is_dir():
        runner.init(backend_config=target.backend_config)
    _say(f"» terraform apply {target.plan_file} ({target.label})")
    runner.apply_saved_plan(target.plan_file)
    # A saved plan applies once; keep the JSON/text as the record of what was applied.
    target.plan_file.unlink(missing_ok=True)
    target.meta_file.unlink(missing_ok=True)
    return read_outputs(target, mirror_config=mirror_config)


def _preflight(env: str, mirror_config: str | None, *, need_zip: bool = False) -> str:
    """Cheap checks before anything slow starts (the emulator, a build, terraform init)."""
    name = config.resolve_env(env)
    config.terraform_binary()
    config.provider_mirror(mirror_config)
    if need_zip:
        packaging.read_built_zip()
    return name


def _discard_plan(target: Target) -> None:
    for path in (target.plan_file, target.meta_file, target.plan_json, target.plan_text):
        path.unlink(missing_ok=True)


def _repo_relative(path: Path) -> str:
    """``path`` relative to the repo root when inside it: a plan saved by one CI job stays valid
    in the job that applies it, even if that job's checkout lives at another absolute path."""
    try:
        return path.resolve().relative_to(config.REPO_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path.resolve())


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _ask_on_terminal(env: str, *, verb: str = "apply") -> bool:
    """Ask the person at the terminal to type the env name (a plain 'y' is too easy)."""
    answer = input(f"Type the env name ({env}) to {verb} these changes, anything else aborts: ")
    return answer.strip() == env


def _say(message: str) -> None:
    """Progress for people, on stderr so `invoke output --json` stays parseable on stdout."""
    print(message, file=sys.stderr, flush=True)
