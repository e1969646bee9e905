"""The plan guard on real `terraform show -json` fixtures (see fixtures/README.md)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
from plan_fixtures import FIXTURES, load_fixture

from tooling.core.errors import ToolingError
from tooling.plan import guard, model

if TYPE_CHECKING:
    from pathlib import Path


def test_destructive_changes_lists_destroys_and_replacements_only() -> None:
    # GIVEN the replace plan (bucket rename + an in-place Lambda update)
    plan = load_fixture("replace")
    # WHEN the destructive changes are listed
    found = {(c.address, c.kind) for c in model.destructive_changes(plan)}
    # THEN both replacements appear and the in-place update does not
    assert found == {
        ("module.storage.aws_s3_bucket.uploads", "replace"),
        ("module.storage.aws_s3_bucket_versioning.uploads", "replace"),
    }


def test_protected_findings_keep_only_protected_types() -> None:
    # GIVEN the destroy plan (a bucket and a DynamoDB table deleted) and the replace plan
    # WHEN the protected findings are computed
    destroy = guard.protected_findings(load_fixture("destroy"))
    replace = guard.protected_findings(load_fixture("replace"))
    # THEN deletions of both protected types are found, and the versioning resource (not a
    # protected type) is left out of the replacement findings
    assert [(f.address, f.kind) for f in destroy] == [
        ("module.storage.aws_dynamodb_table.audit[0]", "delete"),
        ("module.storage.aws_s3_bucket.scratch[0]", "delete"),
    ]
    assert [f.address for f in replace] == ["module.storage.aws_s3_bucket.uploads"]


@pytest.mark.parametrize(
    "scenario", ["no_changes", "code_only", "sensitive", "huge", "local_code_only"]
)
def test_non_destructive_plans_pass_in_prod(scenario: str) -> None:
    # GIVEN a plan without destroys/replacements
    # WHEN the guard runs for prod without an override
    # THEN it returns without raising
    guard.enforce(FIXTURES / f"{scenario}.json", "prod", None)


@pytest.mark.parametrize("env", ["staging", "prod"])
@pytest.mark.parametrize("scenario", ["destroy", "replace"])
def test_guard_blocks_protected_envs(env: str, scenario: str) -> None:
    # GIVEN a plan that destroys or replaces a protected resource
    # WHEN the guard runs for a protected env without an override
    with pytest.raises(ToolingError) as caught:
        guard.enforce(FIXTURES / f"{scenario}.json", env, None)
    # THEN it fails naming the resource, and the hint says how to override
    message = str(caught.value)
    assert "module.storage.aws_s3_bucket." in message
    assert env in message
    assert "--allow-destroy" in caught.value.hint


def test_guard_allows_override_and_logs_who_and_why(
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # GIVEN a prod replacement, an actor and a reason
    monkeypatch.setenv("GITHUB_ACTOR", "octo-reviewer")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    caplog.set_level(logging.WARNING, logger="tooling.plan_guard")
    # WHEN the guard runs with the override
    guard.enforce(FIXTURES / "replace.json", "prod", "rename approved in TICKET-42")
    # THEN it returns, and both the log and a GitHub annotation carry who, why and what
    logged = caplog.text
    assert "OVERRIDDEN" in logged
    assert "octo-reviewer" in logged
    assert "rename approved in TICKET-42" in logged
    assert "module.storage.aws_s3_bucket.uploads (replace)" in logged
    annotation = capsys.readouterr().out
    assert annotation.startswith("::warning title=plan guard overridden::")
    assert "octo-reviewer" in annotation
    assert "TICKET-42" in annotation


@pytest.mark.parametrize("reason", ["", "   "])
def test_blank_override_reason_is_refused(reason: str) -> None:
    # GIVEN an override flag without a real reason
    # WHEN the guard runs
    # THEN it refuses: an override must say why
    with pytest.raises(ToolingError, match="needs a reason"):
        guard.enforce(FIXTURES / "replace.json", "prod", reason)


@pytest.mark.parametrize("env", ["dev", "local"])
def test_guard_only_warns_in_unprotected_envs(env: str, caplog: pytest.LogCaptureFixture) -> None:
    # GIVEN the destroy plan in an unprotected env
    caplog.set_level(logging.WARNING, logger="tooling.plan_guard")
    # WHEN the guard runs without an override
    guard.enforce(FIXTURES / "destroy.json", env, None)
    # THEN it does not raise but warns, naming the resources
    assert "module.storage.aws_dynamodb_table.audit[0] (delete)" in caplog.text
    assert "not a protected env" in caplog.text


def test_missing_plan_json_says_how_to_make_one(tmp_path: Path) -> None:
    # GIVEN no plan JSON
    # WHEN the guard runs
    with pytest.raises(ToolingError) as caught:
        guard.enforce(tmp_path / "tfplan.json", "prod", None)
    # THEN the error names the file and the hint names the plan task
    assert "tfplan.json" in str(caught.value)
    assert "invoke plan" in caught.value.hint


def test_state_json_is_rejected(tmp_path: Path) -> None:
    # GIVEN a JSON file that is not plan output
    path = tmp_path / "state.json"
    path.write_text('{"version": 4, "resources": []}', encoding="utf-8")
    # WHEN / THEN the guard refuses it instead of passing an empty plan
    with pytest.raises(ToolingError, match="format_version"):
        guard.enforce(path, "prod", None)


def test_unknown_env_is_an_error() -> None:
    # GIVEN a misspelt env / WHEN the guard runs / THEN it says which envs exist
    with pytest.raises(ToolingError, match="unknown env"):
        guard.enforce(FIXTURES / "destroy.json", "production", None)
