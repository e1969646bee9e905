from __future__ import annotations

import sys
from typing import TYPE_CHECKING, ClassVar

import pytest

from tooling.checks import checkov, steps
from tooling.checks.steps import Step
from tooling.core import paths
from tooling.core.errors import ToolingError

if TYPE_CHECKING:
    from pathlib import Path


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
    # GIVEN two env roots with the same files, one with its own, one empty, and modules with and
    # without tests
    envs = tmp_path / "envs"
    for env, text in (("local", "# shared"), ("dev", "# shared"), ("staging", "# own")):
        (envs / env).mkdir(parents=True)
        (envs / env / "main.tf").write_text(text)
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
    # THEN each part of the check is there, once: roots made of the same files validate once
    assert names == [
        "ruff check",
        "ruff format",
        "terraform fmt",
        "terraform validate (local, dev)",
        "terraform validate (staging)",
        "terraform test (storage)",
        "module READMEs",
        "checkov",
        "IAM policies (parliament)",
        "workflows (actionlint + zizmor)",
    ]


def test_the_repo_envs_validate_once(monkeypatch):
    # GIVEN the repo's env roots, which all link to terraform/envs/_shared
    # THEN one validate covers all four (validate never reads terraform.tfvars)
    assert steps.env_groups() == [["local", "dev", "staging", "prod"]]


class _RecordingRunner:
    calls: ClassVar[list[tuple[str, Path, dict]]] = []

    def __init__(self, root_dir, data_dir, **kwargs):
        self.root_dir = root_dir

    def init(self, **kwargs):
        self.calls.append(("init", self.root_dir, kwargs))

    def validate(self):
        self.calls.append(("validate", self.root_dir, {}))

    def test(self):
        self.calls.append(("test", self.root_dir, {}))


def test_module_tests_run_in_a_copy_so_no_lock_file_lands_in_the_source(tmp_path, monkeypatch):
    # GIVEN a module (with a stale lock file and a data dir from an older run)
    modules = tmp_path / "terraform" / "modules"
    (modules / "storage" / "tests").mkdir(parents=True)
    (modules / "storage" / "main.tf").write_text("# storage\n")
    (modules / "storage" / "tests" / "s.tftest.hcl").write_text('run "x" {}\n')
    (modules / "storage" / ".terraform.lock.hcl").write_text("# old\n")
    (modules / "naming").mkdir()
    (modules / "naming" / "main.tf").write_text("# naming\n")
    monkeypatch.setattr(paths, "MODULES_DIR", modules)
    monkeypatch.setattr(paths, "WORK_DIR", tmp_path / ".work")
    monkeypatch.setattr(steps, "TerraformRunner", _RecordingRunner)
    _RecordingRunner.calls = []
    # WHEN its tests run
    steps.run_module_tests("storage", None)
    # THEN terraform ran in a copy under .work (all modules: relative sources resolve there)
    copy = tmp_path / ".work" / "checks" / "modules-src" / "storage"
    assert [(name, root) for name, root, _ in _RecordingRunner.calls] == [
        ("init", copy / "storage"),
        ("test", copy / "storage"),
    ]
    assert (copy / "naming" / "main.tf").is_file()
    assert (copy / "storage" / "tests" / "s.tftest.hcl").is_file()
    assert not (copy / "storage" / ".terraform.lock.hcl").exists()


def test_validating_an_env_never_rewrites_its_lock_file(monkeypatch):
    monkeypatch.setattr(steps, "TerraformRunner", _RecordingRunner)
    _RecordingRunner.calls = []
    steps.validate_env("dev", None)
    (init, validate) = _RecordingRunner.calls
    assert init[2] == {"backend": False, "lockfile_readonly": True}
    assert validate[0] == "validate"


def test_side_by_side_checks_print_each_output_whole_and_still_fail(capsys):
    # GIVEN steps that print several lines, slowly, one of them failing
    def printing(name: str, code: int = 0) -> Step:
        program = (
            "import sys, time\n"
            f"for n in range(3):\n    print('{name}', n, flush=True); time.sleep(0.2)\n"
            f"sys.exit({code})"
        )
        return Step(name, command=(sys.executable, "-c", program))

    planned = [printing("alpha"), printing("beta", 4), printing("gamma")]
    # WHEN they run two at a time
    with pytest.raises(ToolingError, match="1 of 3 checks failed: beta"):
        steps.run_checks(planned, jobs=2)
    out = capsys.readouterr().out
    # THEN each step's lines come as one block, and the summary keeps the declared order
    for name in ("alpha", "beta", "gamma"):
        block = [line for line in out.splitlines() if line.startswith(name)]
        assert block == [f"{name} 0", f"{name} 1", f"{name} 2"]
        first = out.index(f"{name} 0")
        assert out[first : out.index(f"{name} 2")].count("\n") == 2
    summary = out[out.index("check summary") :]
    assert summary.index("alpha") < summary.index("beta") < summary.index("gamma")
    assert "FAIL  beta" in summary
    assert "exit code 4" in summary


def test_without_a_terraform_dir_only_the_other_checks_run(tmp_path, monkeypatch):
    # GIVEN a repo that has no terraform/ yet
    monkeypatch.setattr(paths, "TERRAFORM_DIR", tmp_path / "terraform")
    monkeypatch.setattr(paths, "ENVS_DIR", tmp_path / "terraform" / "envs")
    monkeypatch.setattr(paths, "MODULES_DIR", tmp_path / "terraform" / "modules")
    # THEN no terraform or checkov step is listed (they would fail on the missing dir)
    names = [step.name for step in steps.default_steps()]
    assert names[:2] == ["ruff check", "ruff format"]
    assert not [name for name in names if name.startswith(("terraform", "checkov"))]
