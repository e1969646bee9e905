"""Facts about the embedded AWS emulator that every layer needs: where it listens by default,
moto's accounts, and the fake credentials the tooling signs with.

The emulator's lifecycle lives in :mod:`tooling.emulator.lifecycle`; these constants live here so
that the layers above (deploy, stack, run, canary) can talk to an emulator without importing it.
"""

from __future__ import annotations

HOST = "127.0.0.1"
DEFAULT_PORT = 4566
PORT_ENV_VAR = "SFP_EMULATOR_PORT"
# Lets tests (and parallel checkouts) keep pid/log/instance files somewhere other than .emulator/.
DIR_ENV_VAR = "SFP_EMULATOR_DIR"

# moto's default account: requests signed with the fake credentials below land in it.
MOTO_ACCOUNT_ID = "123456789012"
# To act in another moto account the tooling assumes this role there: moto's STS accepts any
# role ARN ("the ARN can point to another account, providing an opportunity to switch
# accounts", moto/sts/models.py) and ties the returned keys to the role's account. The role does
# not exist; the emulator never checks the tooling's own credentials against IAM.
TOOLING_ROLE_NAME = "sfp-emulator-tooling"
TOOLING_SESSION_NAME = "sfp-tooling"

# Fake credentials: moto accepts anything, but boto3/Terraform refuse to sign without some.
FAKE_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    # Don't let a developer's real session token or profile leak into emulator calls.
    "AWS_SESSION_TOKEN": "test",
    # Nothing to ask on loopback; the instance-metadata probe only adds timeouts.
    "AWS_EC2_METADATA_DISABLED": "true",
}


def tooling_role_arn(account_id: str) -> str:
    """The role the tooling assumes to act in moto account ``account_id``."""
    return f"arn:aws:iam::{account_id}:role/{TOOLING_ROLE_NAME}"
