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
    # an emulated real env keeps its own, apart from the real env's plans; local has one only
    assert envs.work_dir("dev", emulated=True) == paths.REPO_ROOT / ".work" / "dev-emulated"
    assert envs.work_dir("local", emulated=True) == paths.REPO_ROOT / ".work" / "local"
    assert envs.label_of_work_dir(envs.work_dir("dev", emulated=True)) == "dev (emulated)"
    assert envs.label_of_work_dir(envs.work_dir("local")) == "local"


def test_each_env_has_its_own_moto_account(tmp_path):
    # GIVEN env roots with their tfvars (prod names its account, dev a non-id, staging none)
    for env, tfvars in {
        "prod": 'allowed_account_ids = ["333333333333"]\nregion = "eu-west-1"\n',
        "dev": 'allowed_account_ids = ["not-an-id"]\n',
        "staging": "",
    }.items():
        (tmp_path / env).mkdir()
        (tmp_path / env / "terraform.tfvars").write_text(tfvars)
    accounts = {env: envs.emulated_account_id(env, tmp_path) for env in envs.ENVS}
    # THEN local is moto's default account, prod the one it declares, and all differ
    assert accounts["local"] == "123456789012"
    assert accounts["prod"] == "333333333333"
    assert len(set(accounts.values())) == len(envs.ENVS)
    assert all(len(account) == 12 and account.isdigit() for account in accounts.values())
    # AND the region comes from the same file
    assert envs.region("prod", tmp_path) == "eu-west-1"
    assert envs.region("staging", tmp_path) == "us-east-1"


def test_no_mirror_configured_or_found_means_registry(monkeypatch, tmp_path):
    monkeypatch.delenv(tools.MIRROR_ENV_VAR, raising=False)
    monkeypatch.setattr(tools, "MIRROR_SEARCH_DIRS", (tmp_path / "nothing-here",))
    assert tools.provider_mirror(None) is None
    assert tools.provider_mirror("  ") is None


def _mirror(base, *levels):
    """A provider mirror dir some levels below ``base``."""
    mirror = base.joinpath(*levels)
    (mirror / "registry.terraform.io" / "hashicorp" / "aws").mkdir(parents=True)
    return mirror


def test_a_mirror_in_the_usual_places_is_found_and_said_once(monkeypatch, tmp_path, capsys):
    # GIVEN no mirror named, and one two levels below a search dir (like /opt/tf-plugins)
    monkeypatch.delenv(tools.MIRROR_ENV_VAR, raising=False)
    (tmp_path / "opt" / "pypi" / "simple").mkdir(parents=True)  # unrelated dirs are skipped
    mirror = _mirror(tmp_path / "opt", "images", "tf-plugins")
    monkeypatch.setattr(tools, "MIRROR_SEARCH_DIRS", (tmp_path / "home", tmp_path / "opt"))
    # WHEN the tooling asks for the mirror (as `.venv/bin/invoke` does, without .ci/invoke)
    found = [tools.provider_mirror(None), tools.provider_mirror("")]
    # THEN it is found, and the person is told once which one is used and how to choose
    assert found == [mirror.resolve(), mirror.resolve()]
    said = capsys.readouterr().err
    assert said.count("using the Terraform provider mirror found at") == 1
    assert "TERRAFORM_PROVIDER_MIRROR=none" in said


def test_search_order_depth_and_opting_out(monkeypatch, tmp_path):
    monkeypatch.delenv(tools.MIRROR_ENV_VAR, raising=False)
    first = _mirror(tmp_path / "a")
    _mirror(tmp_path / "b", "x")
    too_deep = tmp_path / "c"
    _mirror(too_deep, "x", "y", "z")
    # THEN earlier search dirs win, and nothing deeper than two levels is taken
    monkeypatch.setattr(tools, "MIRROR_SEARCH_DIRS", (tmp_path / "a", tmp_path / "b"))
    assert tools.provider_mirror(None) == first.resolve()
    monkeypatch.setattr(tools, "MIRROR_SEARCH_DIRS", (too_deep,))
    assert tools.provider_mirror(None) is None
    # AND `none` turns the search off (the registry), from the env var or the invoke config
    monkeypatch.setattr(tools, "MIRROR_SEARCH_DIRS", (tmp_path / "a",))
    assert tools.provider_mirror("none") is None
    monkeypatch.setenv(tools.MIRROR_ENV_VAR, "none")
    assert tools.provider_mirror(str(first)) is None


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
