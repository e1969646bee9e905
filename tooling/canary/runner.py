"""``invoke smoke``: the canary for one env, behaviour + wiring, against the deployed stack."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tooling.canary.behaviour import RESULT_WAIT_SECONDS, behaviour_checks
from tooling.canary.report import guarded_list
from tooling.canary.wiring import expected_retention, wiring_checks
from tooling.core import envs
from tooling.deploy import flows
from tooling.emulator import lifecycle
from tooling.run import local
from tooling.run.drivers import AwsDriver
from tooling.run.local import InProcessDriver
from tooling.stack.deployment import Deployment, aws_clients

if TYPE_CHECKING:
    from tooling.canary.report import Check
    from tooling.run.drivers import Driver


def run_smoke(env: str, *, emulated: bool = False) -> list[Check]:
    """The canary for ``env``: behaviour + wiring checks on the deployed stack."""
    name = envs.resolve_env(env)
    on_emulator = emulated or name == envs.LOCAL_ENV
    deployment = Deployment.from_outputs(flows.output(name, emulated=on_emulator))
    driver: Driver
    if on_emulator:
        endpoint = lifecycle.ensure_running(lifecycle.default_emulator())
        clients = aws_clients(deployment.region, endpoint=endpoint)
        deployed = local.deployed_variables(clients["lambda"], deployment.processor_function_name)
        environment = local.handler_environment(deployment, endpoint, deployed)
        # The canary prints a table; the EMF metric lines would only bury it.
        environment["POWERTOOLS_METRICS_DISABLED"] = "true"
        handler = local.load_handler(environment)
        driver = InProcessDriver(handler, deployment)
        # In-process publishing is synchronous: results are in SQS by the time we look.
        waits = {"result_wait": 10.0, "quiet_wait": 2.0}
    else:
        clients = aws_clients(deployment.region)
        driver = AwsDriver(clients["lambda"], deployment)
        waits = {"result_wait": RESULT_WAIT_SECONDS, "quiet_wait": 20.0}
    checks = guarded_list(
        "behaviour", lambda: behaviour_checks(clients, deployment, driver, **waits)
    )
    return checks + wiring_checks(clients, deployment, expected_retention(name))
