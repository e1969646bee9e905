"""Facts about the embedded AWS emulator that every layer needs: where it listens by default,
moto's account, and the fake credentials the tooling signs with.

The emulator's lifecycle lives in :mod:`tooling.emulator.process`; these constants live here so
that the layers above (deploy, stack, run, canary) can talk to an emulator without importing it.
"""

from __future__ import annotations

HOST = "127.0.0.1"
DEFAULT_PORT = 4566
PORT_ENV_VAR = "SFP_EMULATOR_PORT"
# Lets tests (and parallel checkouts) keep pid/log/instance files somewhere other than .emulator/.
DIR_ENV_VAR = "SFP_EMULATOR_DIR"

# moto's default account.
MOTO_ACCOUNT_ID = "123456789012"

# Fake credentials: moto accepts anything, but boto3/Terraform refuse to sign without some.
FAKE_CREDENTIALS: dict[str, str] = {
    "AWS_ACCESS_KEY_ID": "test",
    "AWS_SECRET_ACCESS_KEY": "test",
    # Don't let a developer's real session token or profile leak into emulator calls.
    "AWS_SESSION_TOKEN": "test",
    # Nothing to ask on loopback; the instance-metadata probe only adds timeouts.
    "AWS_EC2_METADATA_DISABLED": "true",
}
