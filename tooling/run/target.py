"""Reaching a deployed env: its outputs, clients, and whether it lives on the emulator.

The one place the canary, ``invoke local`` and the operator commands turn ``--env=ENV
[--emulated]`` into something to talk to: ``local`` and ``--emulated`` envs are on the embedded
emulator (started when needed, fake credentials), every other env is in AWS with the shell's
credentials.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core import envs
from tooling.deploy import flows
from tooling.emulator import override
from tooling.stack.deployment import Deployment, aws_clients

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class DeployedEnv:
    """A deployed env and the clients that reach it."""

    env: str
    deployment: Deployment
    clients: Mapping[str, Any]
    # The emulator's endpoint; None for an env in AWS.
    endpoint: str | None = None
    # On the emulator: the credentials (as env vars) of the env's own moto account.
    credentials: Mapping[str, str] | None = None

    @property
    def on_emulator(self) -> bool:
        return self.endpoint is not None

    @property
    def label(self) -> str:
        """``prod``, ``prod (emulated)`` or ``local``: how messages name the env."""
        if self.on_emulator and self.env != envs.LOCAL_ENV:
            return f"{self.env} (emulated)"
        return self.env

    @property
    def protected(self) -> bool:
        """A real staging/prod: changes to it are confirmed first (an emulated copy is not)."""
        return envs.is_protected(self.env) and not self.on_emulator

    def flag(self) -> str:
        """The ``--env=… [--emulated]`` that names this env again, for hints."""
        emulated = " --emulated" if self.on_emulator and self.env != envs.LOCAL_ENV else ""
        return f"--env={self.env}{emulated}"


def on_emulator(env: str, emulated: bool) -> bool:
    """``local`` always runs on the emulator; another env when ``--emulated``."""
    return emulated or envs.resolve_env(env) == envs.LOCAL_ENV


def connect(env: str, *, emulated: bool = False, mirror_config: str | None = None) -> DeployedEnv:
    """Read ``env``'s outputs and open clients to it (starting the emulator when it is one)."""
    name = envs.resolve_env(env)
    emulator = on_emulator(name, emulated)
    deployment = Deployment.from_outputs(
        flows.output(name, emulated=emulator, mirror_config=mirror_config)
    )
    if not emulator:
        return DeployedEnv(name, deployment, aws_clients(deployment.region))
    # Each env lives in its own moto account on the emulator: sign as the tooling there.
    environment = override.emulated_aws_environment(name)
    endpoint = environment["AWS_ENDPOINT_URL"]
    clients = aws_clients(deployment.region, endpoint=endpoint, credentials=environment)
    return DeployedEnv(name, deployment, clients, endpoint, environment)
