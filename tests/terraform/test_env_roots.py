"""The env roots keep the contract the tooling codes against (parsed offline with python-hcl2)."""

from __future__ import annotations

import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tooling.stack.deployment import Deployment

TERRAFORM = Path(__file__).resolve().parents[2] / "terraform"
ENVS_DIR = TERRAFORM / "envs"
ENVS = ("local", "dev", "staging", "prod")
REAL_ENVS = ("dev", "staging", "prod")


def load(path: Path) -> dict[str, Any]:
    """Parse one HCL file."""
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def one(value: Any) -> Any:
    """Unwrap python-hcl2's single-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


@pytest.mark.parametrize("env", ENVS)
def test_every_env_root_uses_the_shared_root_files(env):
    # GIVEN an env root
    root = ENVS_DIR / env
    # WHEN its module calls, variables, outputs and versions are resolved
    resolved = {
        name: (root / name).resolve()
        for name in (
            "main.tf",
            "variables.tf",
            "outputs.tf",
            "versions.tf",
            "providers.tf",
            "backend.tf",
        )
    }
    # THEN they are the one shared copy, so envs can differ only in values (local included: on
    # the emulator the tooling adds its provider and backend as a generated override)
    assert resolved == {name: (ENVS_DIR / "_shared" / name).resolve() for name in resolved}
    assert (root / "terraform.tfvars").is_file()
    assert (root / ".terraform.lock.hcl").is_file()


def test_env_roots_export_every_output_the_tooling_reads():
    # GIVEN the shared outputs file WHEN its outputs are listed
    blocks = load(ENVS_DIR / "_shared" / "outputs.tf")["output"]
    names = {next(iter(block)) for block in blocks}
    # THEN every output the tooling reads (the fields of Deployment, its one list) is there,
    # and every output is described
    read = {field.name for field in fields(Deployment)}
    assert read <= names, f"outputs the tooling reads but no env exports: {sorted(read - names)}"
    undescribed = [
        name for block in blocks for name, body in block.items() if not body.get("description")
    ]
    assert undescribed == []


def test_env_roots_pin_terraform_and_the_provider():
    # GIVEN the shared versions file
    terraform = one(load(ENVS_DIR / "_shared" / "versions.tf")["terraform"])
    # WHEN the constraints are read
    aws = one(one(terraform["required_providers"])["aws"])
    # THEN Terraform >= 1.11 and hashicorp/aws ~> 5.100 are required
    assert one(terraform["required_version"]) == ">= 1.11"
    assert (aws["source"], aws["version"]) == ("hashicorp/aws", "~> 5.100")


@pytest.mark.parametrize("env", REAL_ENVS)
def test_real_envs_use_a_partial_locked_encrypted_s3_backend(env):
    # GIVEN a real env root WHEN its backend block is read
    backend = one(one(load(ENVS_DIR / env / "backend.tf")["terraform"])["backend"])
    # THEN it is S3 with native locking and encryption, and no shared bucket/key in the file
    assert list(backend) == ["s3"]
    assert {key: one(value) for key, value in backend["s3"].items()} == {
        "use_lockfile": True,
        "encrypt": True,
    }


@pytest.mark.parametrize("env", REAL_ENVS)
def test_real_envs_pin_allowed_account_ids(env):
    # GIVEN a real env's provider WHEN read THEN the account allow-list comes from tfvars
    provider = one(load(ENVS_DIR / env / "providers.tf")["provider"])["aws"]
    assert one(provider["allowed_account_ids"]) == "${var.allowed_account_ids}"
    assert re.fullmatch(
        r"\d{12}", one(load(ENVS_DIR / env / "terraform.tfvars")["allowed_account_ids"])
    )


def test_prod_runs_in_us_east_1():
    # GIVEN prod's values WHEN the region is read THEN it is us-east-1
    assert one(load(ENVS_DIR / "prod" / "terraform.tfvars")["region"]) == "us-east-1"
