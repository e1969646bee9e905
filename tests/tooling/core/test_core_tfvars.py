"""The one reader of Terraform values files (terraform.tfvars, backend.hcl)."""

from __future__ import annotations

import pytest

from tooling.core import paths, tfvars
from tooling.core.errors import ToolingError


def test_values_come_back_as_plain_python(tmp_path):
    # GIVEN a values file with every kind of value python-hcl2 wraps or quotes
    path = tmp_path / "terraform.tfvars"
    path.write_text(
        'region = "eu-west-1"\n'
        'ids    = ["111111111111"]\n'
        "size   = 512\n"
        "flag   = true\n"
        "none   = null\n"
        'tags   = { "team-name" = "platform", owners = ["a", "b"] }\n'
        'nested = { sizes = [1], inner = { x = "y" } }\n'
    )
    # WHEN read THEN one-element lists stay lists inside values, and map keys lose their quotes
    assert tfvars.read_tfvars(path) == {
        "region": "eu-west-1",
        "ids": ["111111111111"],
        "size": 512,
        "flag": True,
        "none": None,
        "tags": {"team-name": "platform", "owners": ["a", "b"]},
        "nested": {"sizes": [1], "inner": {"x": "y"}},
    }


def test_a_missing_file_is_empty_and_a_broken_one_is_a_clear_error(tmp_path):
    assert tfvars.read_tfvars(tmp_path / "absent.tfvars") == {}
    broken = tmp_path / "broken.tfvars"
    broken.write_text("region = = 1\n")
    with pytest.raises(ToolingError, match=r"broken\.tfvars is not valid HCL") as error:
        tfvars.read_tfvars(broken)
    assert "terraform fmt" in error.value.hint


def test_the_repo_envs_are_read_from_their_roots():
    # GIVEN the repo's own env roots THEN each declares its environment name and region
    for env in ("local", "dev", "staging", "prod"):
        values = tfvars.env_tfvars(env)
        assert values["environment"] == env
        assert isinstance(values["region"], str)
    assert tfvars.env_tfvars("prod", paths.ENVS_DIR)["log_retention_in_days"] == 731
