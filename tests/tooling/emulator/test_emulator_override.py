"""Preparing env roots for the emulator: the generated override and the local env's settings."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import hcl2
import pytest

from tooling.core import envs
from tooling.core.errors import ToolingError
from tooling.core.local_aws import MOTO_ACCOUNT_ID
from tooling.emulator import lifecycle, override

if TYPE_CHECKING:
    from collections.abc import Iterator

PROD_PROVIDERS = """
provider "aws" {
  region              = var.region
  allowed_account_ids = var.allowed_account_ids
  default_tags {
    tags = { environment = "prod" }
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

provider "random" {}
"""

PROD_BACKEND = """
terraform {
  backend "s3" {
    use_lockfile = true
    encrypt      = true
  }
}
"""


def _only(value: Any) -> Any:
    """python-hcl2 wraps attribute values in one-element lists."""
    while isinstance(value, list) and len(value) == 1:
        value = value[0]
    return value


@pytest.fixture
def envs_dir(tmp_path: Path) -> Path:
    """A terraform/envs look-alike: a real-env root (prod) and a local root, plus modules."""
    envs = tmp_path / "terraform" / "envs"
    prod = envs / "prod"
    prod.mkdir(parents=True)
    (prod / "providers.tf").write_text(PROD_PROVIDERS)
    (prod / "backend.tf").write_text(PROD_BACKEND)
    (prod / "terraform.tfvars").write_text('region = "eu-west-1"\n')
    (prod / ".terraform.lock.hcl").write_text("# lock\n")
    (prod / ".terraform").mkdir()
    (prod / ".terraform" / "terraform.tfstate").write_text("{}")
    (prod / "terraform.tfstate").write_text("{}")
    local = envs / "local"
    local.mkdir()
    (local / "providers.tf").write_text('provider "aws" {\n  region = var.region\n}\n')
    (local / "terraform.tfvars").write_text('region = "us-east-1"\n')
    return envs


@pytest.fixture
def moto(tmp_path: Path) -> Iterator[lifecycle.Emulator]:
    """An emulator definition of the test's own, not started."""
    chosen = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=tmp_path / "emulator")
    yield chosen
    lifecycle.stop(chosen)


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[lifecycle.Emulator]:
    """One emulator for the tests that only prepare roots on it (each start costs ~2 s CPU)."""
    chosen = lifecycle.Emulator(
        port=lifecycle.free_port(), state_dir=tmp_path_factory.mktemp("shared-emulator")
    )
    yield chosen
    lifecycle.stop(chosen)


def test_override_parses_and_points_every_provider_at_the_emulator() -> None:
    # GIVEN a root with a default and an aliased aws provider
    # WHEN the override is rendered
    text = override.render_override(
        state_path=Path("../../../.work/prod-emulated/terraform.tfstate"),
        endpoint="http://127.0.0.1:45001",
        provider_aliases=[None, "us_east_1"],
    )
    parsed = hcl2.loads(text)
    # THEN the backend is local, with the emulated state path
    backend = parsed["terraform"][0]["backend"][0]
    assert _only(backend["local"]["path"]) == "../../../.work/prod-emulated/terraform.tfstate"
    # AND both providers get every endpoint, path-style S3, moto's account and the skips
    providers = [block["aws"] for block in parsed["provider"]]
    assert [_only(p.get("alias")) for p in providers] == [None, "us_east_1"]
    for provider in providers:
        assert provider["allowed_account_ids"] == [["123456789012"]]
        assert _only(provider["s3_use_path_style"]) is True
        assert _only(provider["skip_credentials_validation"]) is True
        assert _only(provider["skip_metadata_api_check"]) is True
        endpoints = _only(provider["endpoints"])
        assert set(endpoints) - {"__start_line__", "__end_line__"} == set(
            override.AWS_ENDPOINT_SERVICES
        )
        assert {_only(endpoints[s]) for s in override.AWS_ENDPOINT_SERVICES} == {
            "http://127.0.0.1:45001"
        }
        # No static keys in HCL: credentials come from the environment.
        assert "access_key" not in provider
        assert "secret_key" not in provider


def test_endpoint_list_covers_the_stack_without_aliases_of_one_service() -> None:
    services = set(override.AWS_ENDPOINT_SERVICES)
    # The services the stack and the provider's own calls use.
    assert {"s3", "lambda", "sns", "sqs", "dynamodb", "kms", "iam", "sts", "logs"} <= services
    assert {"apigateway", "cloudwatch", "events", "ssm"} <= services
    # Two names of one service make the provider warn ("Only one of … should be set").
    assert not services & {"s3api", "cloudwatchlogs", "cloudwatchlog", "eventbridge", "es"}
    assert len(services) == len(override.AWS_ENDPOINT_SERVICES)


def test_provider_aliases_and_region_are_read_from_the_root(envs_dir: Path) -> None:
    assert override.provider_aliases(envs_dir / "prod") == [None, "us_east_1"]
    assert envs.region("prod", envs_dir) == "eu-west-1"
    assert envs.region("local", envs_dir) == "us-east-1"
    assert envs.region("dev", envs_dir) == envs.DEFAULT_REGION  # no root, no tfvars


def test_prepare_prod_copies_the_root_and_adds_the_override(
    envs_dir: Path, shared: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN a real-env root (and this module's shared emulator, running or not yet)
    work_root = tmp_path / ".work"
    # WHEN it is prepared for the emulator
    root = override.prepare_emulated_root(
        "prod", emulator_instance=shared, envs_dir=envs_dir, work_root=work_root
    )
    # THEN the emulator runs, and the copy sits next to the real root at the same depth
    assert lifecycle.status(shared).running
    assert root.root_dir == envs_dir / "prod.emulated"
    copied = sorted(p.name for p in root.root_dir.iterdir())
    assert copied == [
        ".terraform.lock.hcl",
        "README.md",
        "backend.tf",
        "emulator_override.tf",
        "providers.tf",
        "terraform.tfvars",
    ]
    # AND the real root is untouched
    assert not (envs_dir / "prod" / override.OVERRIDE_FILE).exists()
    # AND the override's state path resolves to the emulated work dir, not .work/prod
    generated = hcl2.loads((root.root_dir / override.OVERRIDE_FILE).read_text())
    state = _only(generated["terraform"][0]["backend"][0]["local"]["path"])
    assert (root.root_dir / state).resolve() == (work_root / "prod-emulated" / "terraform.tfstate")
    assert root.work_dir == work_root / "prod-emulated"
    # AND terraform gets the region and credentials of prod's own shared account (not the default
    # one the local env lives in), and no -var (prod declares none)
    assert root.variables == {}
    assert root.environment["AWS_REGION"] == "eu-west-1"
    assert root.environment["AWS_ENDPOINT_URL"] == shared.endpoint
    assert root.account_id == envs.emulated_account_id("prod", envs_dir) != MOTO_ACCOUNT_ID
    assert _caller_account(shared, root.environment) == root.account_id
    provider = generated["provider"][0]["aws"]
    assert _only(provider["allowed_account_ids"]) == root.account_id


def test_local_gets_its_emulator_provider_and_backend_the_way_emulated_envs_do(
    envs_dir: Path, shared: lifecycle.Emulator, tmp_path: Path
) -> None:
    # WHEN the local env is prepared
    work_root = tmp_path / ".work"
    root = override.prepare_emulated_root(
        "local", emulator_instance=shared, envs_dir=envs_dir, work_root=work_root
    )
    # THEN it runs in a generated copy with the override, like `prod --emulated`, so that
    # terraform/envs/local itself holds only its values
    assert root.root_dir == envs_dir / "local.emulated"
    assert not (envs_dir / "local" / override.OVERRIDE_FILE).exists()
    generated = hcl2.loads((root.root_dir / override.OVERRIDE_FILE).read_text())
    state = _only(generated["terraform"][0]["backend"][0]["local"]["path"])
    assert (root.root_dir / state).resolve() == work_root / "local" / "terraform.tfstate"
    provider = generated["provider"][0]["aws"]
    assert _only(_only(provider["endpoints"])["lambda"]) == shared.endpoint
    # AND only the emulator-only value travels as a variable (the endpoint is in the override)
    assert root.variables == {"bucket_lifecycle_rules": "false"}
    assert root.work_dir == work_root / "local"
    # AND local lives in shared's default account, the one the plain fake credentials reach
    assert root.account_id == MOTO_ACCOUNT_ID
    assert root.environment["AWS_ACCESS_KEY_ID"] == "test"
    assert _only(provider["allowed_account_ids"]) == MOTO_ACCOUNT_ID


def test_emulated_envs_do_not_share_account_wide_settings(
    envs_dir: Path, shared: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN local and prod in one region (as in this repo), prepared on one emulator
    (envs_dir / "prod" / "terraform.tfvars").write_text('region = "us-east-1"\n')
    work_root = tmp_path / ".work"
    local = override.prepare_emulated_root(
        "local", emulator_instance=shared, envs_dir=envs_dir, work_root=work_root
    )
    prod = override.prepare_emulated_root(
        "prod", emulator_instance=shared, envs_dir=envs_dir, work_root=work_root
    )
    # WHEN each sets API Gateway's account-wide CloudWatch role, as each root's api module does
    for root, role in ((local, "local-role"), (prod, "prod-role")):
        _apigateway(root.environment).update_account(
            patchOperations=[
                {
                    "op": "replace",
                    "path": "/cloudwatchRoleArn",
                    "value": f"arn:aws:iam::{root.account_id}:role/{role}",
                }
            ]
        )
    # THEN neither overwrote the other's (before, the second deploy flipped the first's plan)
    assert _apigateway(local.environment).get_account()["cloudwatchRoleArn"].endswith("local-role")
    assert _apigateway(prod.environment).get_account()["cloudwatchRoleArn"].endswith("prod-role")


def test_prepare_resets_state_left_by_an_earlier_emulator(
    envs_dir: Path, shared: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN local state recorded against another emulator instance
    work = tmp_path / ".work" / "local"
    work.mkdir(parents=True)
    (work / "terraform.tfstate").write_text('{"serial": 9}')
    (work / lifecycle.STATE_MARKER_NAME).write_text("an-emulator-long-gone\n")
    # WHEN the local env is prepared
    override.prepare_emulated_root(
        "local", emulator_instance=shared, envs_dir=envs_dir, work_root=tmp_path / ".work"
    )
    # THEN the stale state is gone and the current instance is recorded
    assert not (work / "terraform.tfstate").exists()
    assert (work / lifecycle.STATE_MARKER_NAME).read_text().strip() == lifecycle.instance_id(shared)
    target = json.loads((work / lifecycle.TARGET_MARKER_NAME).read_text())
    assert target == {"endpoint": shared.endpoint, "account_id": MOTO_ACCOUNT_ID}


def test_regenerating_replaces_a_stale_copy(
    envs_dir: Path, shared: lifecycle.Emulator, tmp_path: Path
) -> None:
    # GIVEN an earlier copy holding a file the real root no longer has
    stale = envs_dir / "prod.emulated"
    stale.mkdir()
    (stale / "removed.tf").write_text("# gone from the real root\n")
    # WHEN prepared again
    override.prepare_emulated_root(
        "prod", emulator_instance=shared, envs_dir=envs_dir, work_root=tmp_path / ".work"
    )
    # THEN the copy mirrors the real root only
    assert not (stale / "removed.tf").exists()
    assert (stale / "providers.tf").read_text() == PROD_PROVIDERS


def test_unknown_env_is_refused(envs_dir: Path, moto: lifecycle.Emulator) -> None:
    with pytest.raises(ToolingError, match="unknown env"):
        override.prepare_emulated_root("qa", emulator_instance=moto, envs_dir=envs_dir)
    assert not lifecycle.status(moto).running


def test_generated_override_is_terraform_fmt_clean(tmp_path: Path) -> None:
    # GIVEN terraform (the tooling formats the generated file with it)
    if not (os.environ.get("TERRAFORM_BIN") or _which("terraform")):
        pytest.skip("terraform is not on PATH")
    target = tmp_path / override.OVERRIDE_FILE
    target.write_text(
        override.render_override(
            state_path=Path("state.tfstate"), endpoint="http://x:1", provider_aliases=[None]
        )
    )
    # WHEN formatted THEN a format check finds nothing more to change
    override._format(target)
    import subprocess

    check = subprocess.run(["terraform", "fmt", "-check", str(target)], check=False)
    assert check.returncode == 0


def _session(environment: dict[str, str]) -> Any:
    return boto3.Session(
        aws_access_key_id=environment["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=environment["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=environment["AWS_SESSION_TOKEN"],
        region_name=environment["AWS_REGION"],
    )


def _caller_account(emulator: lifecycle.Emulator, environment: dict[str, str]) -> str:
    sts = _session(environment).client("sts", endpoint_url=emulator.endpoint)
    return str(sts.get_caller_identity()["Account"])


def _apigateway(environment: dict[str, str]) -> Any:
    return _session(environment).client("apigateway", endpoint_url=environment["AWS_ENDPOINT_URL"])


def _which(name: str) -> str | None:
    import shutil

    return shutil.which(name)
