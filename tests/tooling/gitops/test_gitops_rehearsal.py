"""The workflow rehearsal engine and its expression evaluator, on small synthetic workflows
(fast; the real workflows are rehearsed end to end in tests/integration/)."""

from __future__ import annotations

import shutil
from typing import TYPE_CHECKING, Any

import pytest

from tooling.core.errors import ToolingError
from tooling.gitops import rehearsal
from tooling.gitops.expressions import JobStatus, condition, evaluate, substitute

if TYPE_CHECKING:
    from pathlib import Path

CONTEXTS: dict[str, Any] = {
    "github": {
        "event": {"pull_request": {"head": {"repo": {"full_name": "Acme/SFP"}}}},
        "repository": "acme/sfp",
    },
    "steps": {"plan": {"outcome": "failure", "outputs": {"drifted": "true"}}},
    "matrix": {"env": "dev"},
    "vars": {},
}


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("github.event.pull_request.head.repo.full_name == github.repository", True),
        ("steps.plan.outputs.drifted == 'true'", True),
        ("steps.plan.outcome != 'skipped'", True),
        ("vars.MISSING || 'fallback'", "fallback"),
        ("matrix.env && 'yes'", "yes"),
        ("!steps.nope.outcome", True),
        ("format('{0}-plan', matrix.env)", "dev-plan"),
        ("contains('a,b', 'B')", True),
        ("startsWith(github.repository, 'ACME/')", True),
        ("1 < 2 && 'it''s'", "it's"),
        ("github['repository']", "acme/sfp"),
    ],
)
def test_expressions_follow_github_rules(expression: str, expected: Any) -> None:
    assert evaluate(expression, CONTEXTS) == expected


def test_if_conditions_imply_success_unless_a_status_function_is_used() -> None:
    failed = JobStatus(failed=True)
    # GIVEN an earlier step failed
    assert condition("steps.plan.outcome == 'failure'", CONTEXTS, failed) is False
    assert condition("${{ !cancelled() && steps.plan.outcome != 'skipped' }}", CONTEXTS, failed)
    assert condition("success() || failure()", CONTEXTS, failed) is True
    assert condition(None, CONTEXTS, failed) is False
    assert condition(None, CONTEXTS, JobStatus()) is True
    assert condition("${{ !cancelled() }}", CONTEXTS, JobStatus(cancelled=True)) is False


def test_substitution_and_unsupported_syntax() -> None:
    assert substitute("sfp-${{ matrix.env }}-${{ vars.X }}", CONTEXTS) == "sfp-dev-"
    with pytest.raises(ToolingError, match="not supported"):
        evaluate("hashFiles('x')", CONTEXTS)
    with pytest.raises(ToolingError, match="cannot read the expression"):
        evaluate("a ~ b", CONTEXTS)


WORKFLOW = """
name: synthetic
on:
  pull_request:
permissions: {}
jobs:
  only:
    if: github.event.pull_request.head.repo.full_name == github.repository
    runs-on: ubuntu-latest
    strategy:
      matrix:
        env: [dev, prod]
    env:
      SFP_ENV: ${{ matrix.env }}
      FLAG: ${{ vars.FLAG }}
    steps:
      - uses: actions/checkout@0000000000000000000000000000000000000000 # v0
        with:
          persist-credentials: false
      - name: outputs and env
        id: first
        run: |
          echo "answer=42" >> "$GITHUB_OUTPUT"
          { echo "multi<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$GITHUB_OUTPUT"
          echo "FROM_STEP=hello" >> "$GITHUB_ENV"
          echo "## summary of $SFP_ENV ($FLAG)" >> "$GITHUB_STEP_SUMMARY"
      - name: reads them
        env:
          ANSWER: ${{ steps.first.outputs.answer }}
        run: |
          test "$ANSWER" = 42
          test "$FROM_STEP" = hello
          echo "${{ steps.first.outputs.multi }}" > multi.txt
      - name: the emulated flag is added to the tasks that take it
        run: echo .ci/invoke plan --env="$SFP_ENV" ; echo .ci/invoke build
      - name: a failure that is allowed
        id: allowed
        continue-on-error: true
        shell: bash
        run: false | cat
      - name: runs after it (continue-on-error)
        run: echo "allowed outcome=${{ steps.allowed.outcome }}" >> "$GITHUB_STEP_SUMMARY"
      - uses: actions/upload-artifact@0000000000000000000000000000000000000000 # v0
        with:
          name: bundle
          path: |
            multi.txt
          if-no-files-found: error
      - uses: actions/download-artifact@0000000000000000000000000000000000000000 # v0
        with:
          name: bundle
          path: fetched
      - uses: actions/download-artifact@0000000000000000000000000000000000000000 # v0
        id: missing
        continue-on-error: true
        with:
          name: expired
          path: nowhere
      - name: post a sticky comment through the repo's helper
        uses: actions/github-script@0000000000000000000000000000000000000000 # v0
        with:
          script: |
            const fs = require('node:fs');
            fs.writeFileSync('body.md', '<!-- sfp-plan:dev -->\\nhello\\n');
            const sticky = require('./tooling/gitops/js/sticky_comment.cjs');
            const r = await sticky({ github, context, env: 'dev', bodyFile: 'body.md' });
            core.setOutput('action', r.action);
      - name: fails the job
        run: exit 3
      - name: skipped after a failure
        run: echo never
      - name: runs on failure
        if: failure()
        run: echo "failure seen" >> "$GITHUB_STEP_SUMMARY"
"""


def run_synthetic(tmp_path: Path, **overrides: Any) -> rehearsal.Rehearsal:
    workflow = tmp_path / "synthetic.yml"
    workflow.write_text(WORKFLOW, encoding="utf-8")

    def checkout(target: Path) -> Path:
        target.mkdir(parents=True)
        shutil.copytree(rehearsal.JS_RUNNER.parent, target / "tooling" / "gitops" / "js")
        return target

    values: dict[str, Any] = {
        "matrix": {"env": "dev"},
        "variables": {"FLAG": "on"},
        "environment": {"PATH": "/usr/bin:/bin:/usr/local/bin"},
        **overrides,
    }
    settings = rehearsal.Settings(
        workflow=workflow,
        job="only",
        base_dir=tmp_path / "rehearsal",
        emulated_tasks=frozenset({"plan"}),
        checkout=checkout,
        **values,
    )
    return rehearsal.rehearse(settings)


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node")
def test_a_job_runs_its_steps_like_a_runner(tmp_path: Path) -> None:
    # GIVEN a synthetic workflow exercising the runner's contract / WHEN rehearsed
    result = run_synthetic(tmp_path)
    outcomes = {step.name: step.outcome for step in result.steps}
    # THEN outputs, env and multi-line outputs flow between steps
    assert outcomes["reads them"] == "success", result.step("reads them").output
    assert (result.workspace / "multi.txt").read_text() == "line 1\nline 2\n"
    # AND the emulated flag is added only to tasks that take it
    step = result.step("the emulated flag is added to the tasks that take it")
    assert '.ci/invoke plan --emulated --env="$SFP_ENV"' in step.command
    assert ".ci/invoke build\n" in step.command + "\n"
    assert ".ci/invoke build --emulated" not in step.command
    # AND pipefail applies under `shell: bash`; continue-on-error keeps the job going
    allowed = result.step("a failure that is allowed")
    assert (allowed.outcome, allowed.conclusion) == ("failure", "success")
    assert "allowed outcome=failure" in result.summary
    # AND artifacts go through a folder; a missing one fails its step
    assert (result.workspace / "fetched" / "multi.txt").is_file()
    missing = result.steps[8]
    assert "Artifact not found for name: expired" in missing.output
    # AND github-script ran the repo's helper against the recording fake
    posted = result.step("post a sticky comment through the repo's helper")
    assert posted.outputs == {"action": "created"}, posted.output
    (created,) = result.github_state["comments"]
    assert created["body"].startswith("<!-- sfp-plan:dev -->")
    # AND a failure skips later steps except those asking for failure()
    assert outcomes["fails the job"] == "failure"
    assert outcomes["skipped after a failure"] == "skipped"
    assert "failure seen" in result.summary
    assert result.summary.startswith("## summary of dev (on)")
    assert not result.succeeded


def test_a_matrix_value_must_be_chosen_from_the_workflow(tmp_path: Path) -> None:
    with pytest.raises(ToolingError, match="matrix env=qa is not one of"):
        run_synthetic(tmp_path, matrix={"env": "qa"})


def test_an_unknown_job_is_refused(tmp_path: Path) -> None:
    workflow = tmp_path / "w.yml"
    workflow.write_text(WORKFLOW, encoding="utf-8")
    settings = rehearsal.Settings(
        workflow=workflow,
        job="nope",
        base_dir=tmp_path,
        emulated_tasks=frozenset(),
        checkout=lambda target: target,
    )
    with pytest.raises(ToolingError, match="has no job 'nope'"):
        rehearsal.rehearse(settings)


def test_the_emulated_flag_goes_to_every_task_that_takes_it_and_no_other() -> None:
    # GIVEN the invoke tasks / WHEN the rehearsal asks which take --emulated
    from tooling.commands.gitops import emulated_tasks

    names = emulated_tasks()
    # THEN every task that plans, applies or reads a saved plan is in, the others are not
    assert {
        "plan",
        "apply",
        "smoke",
        "plan-comment",
        "guard",
        "drift-check",
        "plan-record",
        "plan-verify",
        "apply-report",
    } <= names
    assert not {"build", "backend-config", "lint-workflows", "rehearse"} & names
    # AND it is exactly the tasks of the real collection that take --emulated (the operator
    # commands included): one left out would run against the real env in a rehearsal
    import importlib
    import inspect

    namespace = importlib.import_module("tasks").namespace
    taking = {
        name.split(".")[-1]
        for name in namespace.task_names
        if "emulated" in inspect.signature(namespace[name].body).parameters
    }
    assert names == taking
    assert {"failures", "redrive", "logs", "status"} <= names
