"""plan / apply / deploy / destroy / output against real Terraform, on provider-free roots.

The roots use only ``terraform_data`` (built into Terraform), so every command really runs, in
well under a second, without AWS, the emulator or a provider mirror.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
import types
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest

from tooling.build import package
from tooling.core import envs, paths, tools
from tooling.core.errors import ToolingError
from tooling.deploy import flows, report, target
from tooling.plan import guard
from tooling.tf.runner import TerraformRunner

if TYPE_CHECKING:
    from pathlib import Path

# base64(sha256(b"zip v1")): what Terraform's source_code_hash compares against.
ZIP_V1_HASH = base64.b64encode(hashlib.sha256(b"zip v1").digest()).decode()

ROOT_TF = """
variable "package_path" {
  type = string
}

variable "package_base64sha256" {
  type = string
}

variable "extra" {
  type    = string
  default = "none"
}

resource "terraform_data" "function" {
  input = {
    filename = var.package_path
    hash     = var.package_base64sha256
    extra    = var.extra
  }
}

resource "terraform_data" "bucket" {
  triggers_replace = [var.extra]
}

output "processor_function_name" {
  value = "fn-${terraform_data.function.id}"
}

output "package_hash" {
  value = terraform_data.function.output.hash
}
"""


@dataclass
class FakeEmulatedRoot:
    root_dir: Path
    variables: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    work_dir: Path | None = None


@pytest.fixture
def repo(tmp_path, monkeypatch):
    """A repo layout in tmp: env roots, a built zip, AWS credentials, no plan guard."""
    for env in envs.ENVS:
        root = tmp_path / "terraform" / "envs" / env
        root.mkdir(parents=True)
        (root / "main.tf").write_text(ROOT_TF)
    (tmp_path / "terraform" / "modules").mkdir()
    dist = tmp_path / "dist"
    dist.mkdir()
    (dist / "handler.zip").write_bytes(b"zip v1")
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(paths, "ENVS_DIR", tmp_path / "terraform" / "envs")
    monkeypatch.setattr(paths, "MODULES_DIR", tmp_path / "terraform" / "modules")
    monkeypatch.setattr(paths, "WORK_DIR", tmp_path / ".work")
    monkeypatch.setattr(paths, "ZIP_PATH", dist / "handler.zip")
    monkeypatch.delenv(tools.MIRROR_ENV_VAR, raising=False)
    monkeypatch.delenv(target.BACKEND_ENV_VAR, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    # The real plan guard is tested in its own area; here its calls are recorded.
    guard_calls: list[tuple[Path, str, str | None]] = []
    monkeypatch.setattr(
        guard, "enforce", lambda path, env, reason: guard_calls.append((path, env, reason))
    )
    # Local runs go through a stand-in for the emulator's root preparation (same interface).
    prepared: list[str] = []

    def prepare_emulated_root(env: str) -> FakeEmulatedRoot:
        prepared.append(env)
        return FakeEmulatedRoot(
            root_dir=tmp_path / "terraform" / "envs" / env,
            variables={"extra": "emulated"},
            environment={"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
            work_dir=tmp_path / ".work" / (env if env == "local" else f"{env}-emulated"),
        )

    monkeypatch.setattr(target, "prepare_emulated_root", prepare_emulated_root)
    return types.SimpleNamespace(path=tmp_path, guard_calls=guard_calls, prepared=prepared)


def test_plan_saves_plan_json_text_and_summary(repo):
    # WHEN dev is planned
    outcome = flows.plan("dev")
    work = repo.path / ".work" / "dev"
    # THEN the saved plan, its JSON and text sit in the env's work dir
    assert (work / "tfplan").is_file()
    plan_json = json.loads((work / "tfplan.json").read_text())
    assert "terraform_data.function will be created" in (work / "plan.txt").read_text()
    # AND the package is passed as a path relative to the root and its base64 sha256
    assert plan_json["variables"]["package_path"]["value"] == "../../../dist/handler.zip"
    assert plan_json["variables"]["package_base64sha256"]["value"] == ZIP_V1_HASH
    # AND the one-line summary counts the changes
    assert outcome.summary.one_line() == (
        "2 to add, 0 to change, 0 to destroy; outputs: package_hash, processor_function_name"
    )
    assert "plan for dev: 2 to add" in outcome.describe()
    # AND Terraform's data dir is per env under .work
    assert (work / ".terraform").is_dir()
    assert not (repo.path / "terraform" / "envs" / "dev" / ".terraform").exists()


def test_apply_applies_the_saved_plan_and_returns_outputs(repo):
    flows.plan("dev")
    # WHEN the saved plan is applied
    outputs = flows.apply("dev")
    # THEN the outputs come back, the plan guard saw the plan, and the plan is used up
    assert outputs["package_hash"] == ZIP_V1_HASH
    assert outputs["processor_function_name"].startswith("fn-")
    assert repo.guard_calls == [(repo.path / ".work" / "dev" / "tfplan.json", "dev", None)]
    assert not (repo.path / ".work" / "dev" / "tfplan").exists()
    assert flows.output("dev") == outputs


def test_apply_without_a_plan_is_refused(repo):
    with pytest.raises(ToolingError, match="no saved plan for dev") as error:
        flows.apply("dev")
    assert "invoke plan --env=dev" in error.value.hint


def test_applied_plan_cannot_be_applied_twice(repo):
    flows.plan("dev")
    flows.apply("dev")
    with pytest.raises(ToolingError, match="no saved plan for dev"):
        flows.apply("dev")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ("zip", "the Lambda zip changed since the plan"),
        ("zip_removed", "the Lambda zip changed since the plan"),
        ("terraform", "the Terraform sources changed since the plan"),
        ("module", "the Terraform sources changed since the plan"),
        ("plan_file", "the plan file was modified"),
    ],
)
def test_stale_plan_is_refused(repo, change, reason):
    # GIVEN a saved plan
    flows.plan("dev")
    # WHEN one of its inputs changes before apply
    if change == "zip":
        (repo.path / "dist" / "handler.zip").write_bytes(b"zip v2")
    elif change == "zip_removed":
        (repo.path / "dist" / "handler.zip").unlink()
    elif change == "terraform":
        with (repo.path / "terraform" / "envs" / "dev" / "main.tf").open("a") as tf:
            tf.write('\noutput "more" {\n  value = 1\n}\n')
    elif change == "module":
        (repo.path / "terraform" / "modules" / "x.tf").write_text("locals {}\n")
    else:
        with (repo.path / ".work" / "dev" / "tfplan").open("ab") as plan:
            plan.write(b"junk")
    # THEN apply refuses, saying why and what to do, and nothing is applied
    with pytest.raises(ToolingError, match="saved plan for dev is stale") as error:
        flows.apply("dev")
    assert reason in str(error.value)
    assert "invoke plan --env=dev" in error.value.hint
    assert repo.guard_calls == []


def test_plan_without_built_zip_says_run_build(repo):
    (repo.path / "dist" / "handler.zip").unlink()
    with pytest.raises(ToolingError, match="has not been built") as error:
        flows.plan("dev")
    assert "invoke build" in error.value.hint


def test_real_env_without_aws_credentials_is_a_clear_error(repo, monkeypatch, tmp_path):
    # GIVEN no credentials anywhere boto3 looks (env, files, instance metadata)
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)
    monkeypatch.delenv("AWS_WEB_IDENTITY_TOKEN_FILE", raising=False)
    # WHEN a real env is planned THEN it fails before running terraform
    with pytest.raises(ToolingError, match="no AWS credentials found for the staging env") as error:
        flows.plan("staging")
    assert "AWS_PROFILE" in error.value.hint
    assert not (repo.path / ".work" / "staging" / ".terraform").exists()


def test_unknown_env_is_refused_before_anything_runs(repo):
    with pytest.raises(ToolingError, match="unknown env 'qa': valid envs are local, dev"):
        flows.plan("qa")


def test_local_runs_in_the_emulated_root_with_its_variables(repo):
    # WHEN local is planned THEN the emulated root's variables reach terraform
    outcome = flows.plan("local")
    plan_json = json.loads((repo.path / ".work" / "local" / "tfplan.json").read_text())
    assert plan_json["variables"]["extra"]["value"] == "emulated"
    assert outcome.target.emulated is True


def test_emulated_real_env_keeps_its_own_work_dir(repo):
    flows.plan("prod", emulated=True)
    assert (repo.path / ".work" / "prod-emulated" / "tfplan").is_file()
    assert not (repo.path / ".work" / "prod").exists()


def test_plan_for_real_env_is_stale_for_emulated_apply(repo):
    flows.plan("dev")
    with pytest.raises(ToolingError, match="no saved plan for dev \\(emulated\\)"):
        flows.apply("dev", emulated=True)


def test_plan_guard_refusal_stops_apply(repo, monkeypatch):
    # GIVEN a guard that blocks
    def refuse(path, env, reason):
        raise ToolingError("plan guard: blocked")

    monkeypatch.setattr(guard, "enforce", refuse)
    flows.plan("dev")
    # THEN apply raises and the plan stays for review
    with pytest.raises(ToolingError, match="plan guard: blocked"):
        flows.apply("dev")
    assert (repo.path / ".work" / "dev" / "tfplan").is_file()


def test_deploy_to_protected_env_without_terminal_or_yes_refuses(repo, monkeypatch):
    monkeypatch.setattr(package, "build", lambda settings=None: _built())
    monkeypatch.setattr(sys, "stdin", _NotATerminal())
    # WHEN deploying prod from a pipeline without --yes
    with pytest.raises(ToolingError, match="refusing to apply prod without confirmation") as error:
        flows.deploy("prod")
    # THEN nothing is applied and the hint says --yes
    assert "--yes" in error.value.hint
    assert (repo.path / ".work" / "prod" / "tfplan").is_file()
    assert flows.output("prod") == {}


def test_deploy_to_protected_env_with_yes_applies(repo, monkeypatch):
    monkeypatch.setattr(package, "build", lambda settings=None: _built())
    monkeypatch.setattr(sys, "stdin", _NotATerminal())
    report = flows.deploy("prod", yes=True, allow_destroy="INC-1: recreate bucket")
    assert report.outputs["package_hash"] == ZIP_V1_HASH
    assert report.applied
    assert repo.guard_calls[-1][1:] == ("prod", "INC-1: recreate bucket")


def test_deploy_asks_and_a_no_cancels(repo, monkeypatch):
    monkeypatch.setattr(package, "build", lambda settings=None: _built())
    asked: list[str] = []

    def answer_no(env: str) -> bool:
        asked.append(env)
        return False

    with pytest.raises(ToolingError, match="apply to staging cancelled"):
        flows.deploy("staging", confirm=answer_no)
    assert asked == ["staging"]
    assert flows.output("staging") == {}


def test_deploy_to_unprotected_env_needs_no_confirmation_and_is_idempotent(
    repo, monkeypatch, capsys
):
    monkeypatch.setattr(package, "build", lambda settings=None: _built())
    monkeypatch.setattr(sys, "stdin", _NotATerminal())
    first = flows.deploy("dev")
    capsys.readouterr()
    # WHEN deploying again with nothing changed THEN nothing is applied and outputs are the same
    second = flows.deploy("dev")
    assert first.outputs == second.outputs
    assert (first.applied, second.applied) == (True, False)
    assert not (repo.path / ".work" / "dev" / "tfplan").exists()
    assert "nothing to apply" in capsys.readouterr().err
    assert len(repo.guard_calls) == 1  # only the first deploy reached apply


def test_destroy_of_protected_env_is_refused(repo):
    for env in ("staging", "prod"):
        with pytest.raises(ToolingError, match=f"refusing to destroy {env}: it is a protected"):
            flows.destroy(env, yes=True)


def test_destroy_of_dev_removes_everything(repo):
    flows.plan("dev")
    flows.apply("dev")
    flows.destroy("dev", yes=True)
    assert flows.output("dev") == {}


def test_destroy_of_real_dev_needs_confirmation_without_terminal(repo, monkeypatch):
    flows.plan("dev")
    flows.apply("dev")
    monkeypatch.setattr(sys, "stdin", _NotATerminal())
    with pytest.raises(ToolingError, match="refusing to destroy dev without confirmation"):
        flows.destroy("dev")


def test_outputs_format_as_lines_or_json():
    outputs = {"api_url": "http://x", "region": "eu-west-1", "ids": [1, 2]}
    assert report.format_outputs(outputs).splitlines() == [
        "api_url = http://x",
        "ids     = [1, 2]",
        "region  = eu-west-1",
    ]
    assert json.loads(report.format_outputs(outputs, as_json=True)) == outputs


def test_backend_config_from_env_var_must_exist(repo, monkeypatch, tmp_path):
    monkeypatch.setenv(target.BACKEND_ENV_VAR, str(tmp_path / "missing.hcl"))
    with pytest.raises(ToolingError, match=r"SFP_BACKEND_CONFIG=.* does not exist"):
        flows.plan("dev")


def test_backend_hcl_next_to_the_root_is_used(repo):
    backend = repo.path / "terraform" / "envs" / "dev" / "backend.hcl"
    backend.write_text('path = "x.tfstate"\n')
    assert target.resolve_target("dev").backend_config == (str(backend),)


class _NotATerminal:
    def isatty(self) -> bool:
        return False


def _built():
    return types.SimpleNamespace(describe=lambda: "dist/handler.zip (unchanged)")


def test_bad_mirror_or_missing_zip_fail_before_the_emulator_starts(repo, monkeypatch, tmp_path):
    # GIVEN a mirror setting that names a missing dir
    monkeypatch.setenv(tools.MIRROR_ENV_VAR, str(tmp_path / "no-mirror"))
    with pytest.raises(ToolingError, match=r"provider mirror .* does not exist"):
        flows.plan("local")
    monkeypatch.delenv(tools.MIRROR_ENV_VAR)
    # AND a missing zip
    (repo.path / "dist" / "handler.zip").unlink()
    with pytest.raises(ToolingError, match="has not been built"):
        flows.plan("local")
    # THEN the emulator was never prepared
    assert repo.prepared == []


def test_saved_plan_survives_a_move_of_the_checkout(repo, monkeypatch, tmp_path):
    # GIVEN a plan saved in one checkout (as a CI plan job does)
    flows.plan("dev")
    # WHEN the same files are applied from a checkout at another absolute path (the apply job)
    moved = tmp_path.parent / (tmp_path.name + "-moved")
    shutil.copytree(tmp_path, moved, symlinks=True, ignore=shutil.ignore_patterns(".terraform"))
    monkeypatch.setattr(paths, "REPO_ROOT", moved)
    monkeypatch.setattr(paths, "ENVS_DIR", moved / "terraform" / "envs")
    monkeypatch.setattr(paths, "MODULES_DIR", moved / "terraform" / "modules")
    monkeypatch.setattr(paths, "WORK_DIR", moved / ".work")
    monkeypatch.setattr(paths, "ZIP_PATH", moved / "dist" / "handler.zip")
    # THEN the plan is not stale and applies (init runs first: the data dir did not travel)
    outputs = flows.apply("dev")
    assert outputs["package_hash"] == ZIP_V1_HASH


def test_init_is_skipped_until_something_it_reads_changes(repo, capsys):
    # GIVEN dev was planned once (terraform init ran)
    flows.plan("dev")
    assert "» terraform init (dev)\n" in capsys.readouterr().err
    # WHEN it is planned again with the same sources
    flows.plan("dev")
    # THEN init is skipped
    assert "terraform init (dev): up to date, skipped" in capsys.readouterr().err
    # WHEN a Terraform source changes
    root_tf = repo.path / "terraform" / "envs" / "dev" / "main.tf"
    root_tf.write_text(root_tf.read_text() + "\n# a comment is a change of source\n")
    flows.plan("dev")
    # THEN init runs again
    assert "» terraform init (dev)\n" in capsys.readouterr().err


def test_plan_for_another_emulator_endpoint_is_stale(repo, monkeypatch):
    # GIVEN a saved local plan, made against one emulator
    flows.plan("local")
    # WHEN the emulator came back elsewhere (its root variables changed) before apply
    prepare = target.prepare_emulated_root

    def moved(env):
        root = prepare(env)
        root.variables = {"extra": "another emulator"}
        return root

    monkeypatch.setattr(target, "prepare_emulated_root", moved)
    # THEN apply refuses: the plan was made for another target
    with pytest.raises(ToolingError, match="made for another target"):
        flows.apply("local")


def test_a_deploy_with_nothing_to_change_skips_the_json_rendering(repo, monkeypatch):
    # GIVEN dev deployed once, and `show -json` (a provider start on real roots) counted
    monkeypatch.setattr(package, "build", lambda settings=None: _built())
    flows.deploy("dev")
    shows: list[Path] = []
    real_show_json = TerraformRunner.show_json

    def counted(self, plan_file=None):
        shows.append(plan_file)
        return real_show_json(self, plan_file)

    monkeypatch.setattr(TerraformRunner, "show_json", counted)
    # WHEN deployed again with nothing changed
    again = flows.deploy("dev")
    # THEN nothing was applied and no `show -json` ran
    assert not again.applied
    assert shows == []
    # AND `plan` still writes the plan JSON every time (the PR comment and drift check read it)
    flows.plan("dev")
    assert len(shows) == 1
    assert (repo.path / ".work" / "dev" / "tfplan.json").is_file()
    assert (repo.path / ".work" / "dev" / "plan.txt").read_text().startswith("\nNo changes.")
