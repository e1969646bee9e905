from __future__ import annotations

import pytest

from tooling.core import envs, paths, tools
from tooling.core.errors import ToolingError


@pytest.mark.parametrize("name", ["local", "dev", "staging", "prod", " Prod "])
def test_valid_envs_resolve(name):
    assert envs.resolve_env(name) == name.strip().lower()


def test_unknown_env_lists_the_valid_ones():
    # WHEN an env name is misspelt THEN the error names it and lists all valid envs
    with pytest.raises(ToolingError) as error:
        envs.resolve_env("qa")
    assert str(error.value).startswith("unknown env 'qa': valid envs are local, dev, staging, prod")


def test_protected_envs_are_staging_and_prod():
    assert [env for env in envs.ENVS if envs.is_protected(env)] == ["staging", "prod"]


def test_work_dir_is_per_env_under_dot_work():
    assert envs.work_dir("dev") == paths.REPO_ROOT / ".work" / "dev"


def test_no_mirror_configured_means_registry(monkeypatch):
    monkeypatch.delenv(tools.MIRROR_ENV_VAR, raising=False)
    assert tools.provider_mirror(None) is None
    assert tools.provider_mirror("  ") is None


def test_mirror_from_env_var_wins_over_invoke_config(monkeypatch, tmp_path):
    # GIVEN both an env var and an invoke config value
    (tmp_path / "env").mkdir()
    (tmp_path / "cfg").mkdir()
    monkeypatch.setenv(tools.MIRROR_ENV_VAR, str(tmp_path / "env"))
    # THEN the env var wins
    assert tools.provider_mirror(str(tmp_path / "cfg")) == (tmp_path / "env").resolve()
    monkeypatch.delenv(tools.MIRROR_ENV_VAR)
    assert tools.provider_mirror(str(tmp_path / "cfg")) == (tmp_path / "cfg").resolve()


@pytest.mark.parametrize("source", ["env", "invoke"])
def test_missing_mirror_path_is_a_clear_error(monkeypatch, tmp_path, source):
    missing = tmp_path / "no-such-mirror"
    if source == "env":
        monkeypatch.setenv(tools.MIRROR_ENV_VAR, str(missing))
    else:
        monkeypatch.delenv(tools.MIRROR_ENV_VAR, raising=False)
    with pytest.raises(ToolingError, match="does not exist") as error:
        tools.provider_mirror(str(missing))
    assert str(missing) in error.value.message
    assert ("TERRAFORM_PROVIDER_MIRROR" if source == "env" else "invoke config") in str(error.value)
    assert "unset it" in error.value.hint


def test_terraform_not_installed_says_how_to_install(monkeypatch, tmp_path):
    # GIVEN a PATH without terraform
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)
    # WHEN the tooling looks for it THEN the error says where to get it
    with pytest.raises(ToolingError, match="terraform was not found on PATH") as error:
        tools.terraform_binary()
    assert "developer.hashicorp.com/terraform/install" in error.value.hint


def test_terraform_found_on_path(monkeypatch, tmp_path):
    fake = tmp_path / "terraform"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv("TERRAFORM_BIN", raising=False)
    assert tools.terraform_binary() == str(fake)
