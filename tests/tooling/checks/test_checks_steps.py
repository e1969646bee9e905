from __future__ import annotations

import sys

import pytest

from tooling.checks import checkov, steps
from tooling.checks.steps import Step
from tooling.core import paths
from tooling.core.errors import ToolingError


def fail_with(message: str):
    def step() -> None:
        raise ToolingError(message)

    return step


def test_every_step_runs_even_after_a_failure(capsys):
    # GIVEN a failing step before passing ones
    ran: list[str] = []
    planned = [
        Step("first", func=fail_with("boom")),
        Step("second", func=lambda: ran.append("second")),
        Step("third", command=(sys.executable, "-c", "raise SystemExit(3)")),
        Step("fourth", command=(sys.executable, "-c", "print('fine')")),
    ]
    # WHEN the checks run
    with pytest.raises(ToolingError, match="2 of 4 checks failed: first, third") as error:
        steps.run_checks(planned)
    # THEN the later steps still ran and the summary shows every step's outcome
    assert ran == ["second"]
    out = capsys.readouterr().out
    summary = out[out.index("check summary") :]
    assert "FAIL  first" in summary
    assert "boom" in summary
    assert "ok    second" in summary
    assert "FAIL  third" in summary
    assert "exit code 3" in summary
    assert "ok    fourth" in summary
    assert "2/4 passed" in summary
    assert "invoke check" in error.value.hint


def test_all_passing_returns_results(capsys):
    results = steps.run_checks([Step("only", func=lambda: None)])
    assert [(r.name, r.ok) for r in results] == [("only", True)]
    assert "1/1 passed" in capsys.readouterr().out


def test_missing_tool_is_a_failed_step_not_a_crash():
    result = steps.run_step(Step("ghost", command=("no-such-tool-xyz", "--version")))
    assert result.ok is False
    assert result.detail == "no-such-tool-xyz is not installed"


def test_terraform_fmt_finds_unformatted_files(tmp_path, monkeypatch):
    # GIVEN a repo whose terraform/ holds a badly formatted file (real terraform fmt)
    (tmp_path / "terraform").mkdir()
    (tmp_path / "terraform" / "main.tf").write_text("locals {\nx    =    1\n}\n")
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    # WHEN the fmt step runs THEN it fails
    result = steps.run_step(Step("terraform fmt", func=steps.terraform_fmt_check))
    assert result.ok is False
    assert "fmt -check -recursive -diff terraform" in result.detail
    # AND passes once formatted
    (tmp_path / "terraform" / "main.tf").write_text("locals {\n  x = 1\n}\n")
    assert steps.run_step(Step("terraform fmt", func=steps.terraform_fmt_check)).ok


def test_checkov_uses_custom_checks_only_when_present(tmp_path, monkeypatch):
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    command = checkov.checkov_command()
    assert command[1:] == (
        "-d",
        "terraform",
        "--framework",
        "terraform",
        "--skip-download",
        "--quiet",
        "--compact",
    )
    (tmp_path / "terraform" / "policies" / "checkov").mkdir(parents=True)
    assert checkov.checkov_command()[-2:] == ("--external-checks-dir", "terraform/policies/checkov")


def test_default_steps_cover_envs_with_terraform_and_modules_with_tests(tmp_path, monkeypatch):
    # GIVEN two env roots with files, one empty, and modules with and without tests
    envs = tmp_path / "envs"
    for env in ("local", "dev"):
        (envs / env).mkdir(parents=True)
        (envs / env / "main.tf").write_text("")
    (envs / "prod").mkdir()
    modules = tmp_path / "modules"
    (modules / "storage" / "tests").mkdir(parents=True)
    (modules / "storage" / "tests" / "defaults.tftest.hcl").write_text("")
    (modules / "naming").mkdir()
    (modules / "api" / "tests").mkdir(parents=True)  # a tests dir without test files
    monkeypatch.setattr(paths, "ENVS_DIR", envs)
    monkeypatch.setattr(paths, "MODULES_DIR", modules)
    monkeypatch.setattr(paths, "TERRAFORM_DIR", tmp_path)
    # WHEN the steps are listed
    names = [step.name for step in steps.default_steps()]
    # THEN each part of the check is there, once
    assert names == [
        "ruff check",
        "ruff format",
        "terraform fmt",
        "terraform validate (local)",
        "terraform validate (dev)",
        "terraform test (storage)",
        "checkov",
        "IAM policies (parliament)",
        "workflows (actionlint + zizmor)",
    ]


def test_without_a_terraform_dir_only_the_other_checks_run(tmp_path, monkeypatch):
    # GIVEN a repo that has no terraform/ yet
    monkeypatch.setattr(paths, "TERRAFORM_DIR", tmp_path / "terraform")
    monkeypatch.setattr(paths, "ENVS_DIR", tmp_path / "terraform" / "envs")
    monkeypatch.setattr(paths, "MODULES_DIR", tmp_path / "terraform" / "modules")
    # THEN no terraform or checkov step is listed (they would fail on the missing dir)
    names = [step.name for step in steps.default_steps()]
    assert names[:2] == ["ruff check", "ruff format"]
    assert not [name for name in names if name.startswith(("terraform", "checkov"))]
