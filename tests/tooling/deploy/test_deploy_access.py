"""A real env that cannot be reached says which of credentials, backend config or account is
missing, and how to provide each, before Terraform prints a raw backend error."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.deploy import target

if TYPE_CHECKING:
    from pathlib import Path

S3_BACKEND = """
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
"""


@pytest.fixture
def prod(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A prod root like the real one: partial S3 backend, placeholder account, no creds."""
    root = tmp_path / "terraform" / "envs" / "prod"
    root.mkdir(parents=True)
    (root / "backend.tf").write_text(S3_BACKEND)
    (root / "terraform.tfvars").write_text('allowed_account_ids = ["333333333333"]\n')
    monkeypatch.setattr(paths, "REPO_ROOT", tmp_path)
    monkeypatch.setattr(paths, "ENVS_DIR", tmp_path / "terraform" / "envs")
    for name in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        target.BACKEND_ENV_VAR,
    ):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return root


def _problems(*, need_account: bool = True) -> ToolingError:
    with pytest.raises(ToolingError) as error:
        target.require_real_env_access(target.resolve_target("prod"), need_account=need_account)
    return error.value


def test_a_fresh_clone_names_all_three_missing_things_and_how_to_provide_them(prod: Path):
    # GIVEN the repo as cloned: no credentials, no backend.hcl, the placeholder account
    error = _problems()
    # THEN one error names the three, each with its own fix
    assert "(credentials, backend config and account missing)" in error.message
    assert "no AWS credentials found for the prod env" in error.message
    assert (
        "the S3 state backend has no bucket, key, region: terraform/envs/prod/backend.hcl does "
        "not exist and SFP_BACKEND_CONFIG is not set"
    ) in error.message
    assert "['333333333333'], a placeholder" in error.message
    assert "aws sso login" in error.hint
    assert "SFP_BACKEND_CONFIG" in error.hint
    # AND the state key it suggests is the one `invoke backend-config` writes
    assert 'key e.g. "serverless-file-processor/prod/terraform.tfstate"' in error.hint
    assert 'allowed_account_ids = ["<the prod account id>"]' in error.hint
    assert "--emulated" in error.hint
    assert "\x1b" not in str(error)


def test_each_thing_provided_drops_out_of_the_error(prod: Path, monkeypatch):
    # GIVEN credentials and a complete backend file
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    (prod / "backend.hcl").write_text('bucket = "state"\nkey = "sfp/prod.tfstate"\n')
    monkeypatch.setenv("AWS_REGION", "us-east-1")  # the backend reads the region from here too
    # WHEN checked THEN only the account is left
    error = _problems()
    assert "(account missing)" in error.message
    assert "credentials" not in error.message
    # AND reading outputs (no provider, so no account check) may go ahead
    target.require_real_env_access(target.resolve_target("prod"), need_account=False)
    # WHEN the real account id is set THEN nothing is missing
    (prod / "terraform.tfvars").write_text('allowed_account_ids = ["210987654321"]\n')
    target.require_real_env_access(target.resolve_target("prod"))


def test_an_incomplete_backend_file_names_the_missing_settings(prod: Path, monkeypatch, tmp_path):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    # GIVEN a backend file named by SFP_BACKEND_CONFIG that lacks the key and the region
    named = tmp_path / "ci-backend.hcl"
    named.write_text('bucket = "state"\n')
    monkeypatch.setenv(target.BACKEND_ENV_VAR, str(named))
    # WHEN checked THEN the error names the file and exactly what it lacks
    error = _problems(need_account=False)
    assert "the S3 state backend has no key, region: not set in ci-backend.hcl" in error.message


def test_a_profile_that_does_not_exist_is_named(prod: Path, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "nope")
    error = _problems(need_account=False)
    assert "AWS_PROFILE='nope'" in error.message
    assert "~/.aws/config" in error.hint


def test_roots_without_an_s3_backend_need_no_backend_settings(prod: Path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    (prod / "backend.tf").write_text('terraform {\n  backend "local" {}\n}\n')
    target.require_real_env_access(target.resolve_target("prod"), need_account=False)
