"""``invoke smoke``: the canary for one env — behaviour, least privilege, wiring — black box.

The same code runs against the emulator and AWS: plain S3 uploads, the real notification, the
deployed functions, the API URL (its local form on the emulator). Nothing runs the handler in
this process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tooling.canary.behaviour import (
    DUPLICATE_QUIET_SECONDS,
    RESULT_WAIT_SECONDS,
    behaviour_checks,
    new_run_id,
    run_prefix,
)
from tooling.canary.least import least_privilege_checks
from tooling.canary.report import guarded_list
from tooling.canary.wiring import wiring_checks
from tooling.run.target import connect

if TYPE_CHECKING:
    from tooling.canary.probes import Uploaded
    from tooling.canary.report import Check
    from tooling.run.target import DeployedEnv

# On the emulator nothing is far away: a cold sandbox takes a few seconds, retries are compressed.
EMULATOR_WAITS = {"result_wait": 30.0, "quiet_wait": 3.0}
AWS_WAITS = {"result_wait": RESULT_WAIT_SECONDS, "quiet_wait": DUPLICATE_QUIET_SECONDS}


def run_smoke(env: str, *, emulated: bool = False, mirror_config: str | None = None) -> list[Check]:
    """The canary for ``env``."""
    return canary_checks(connect(env, emulated=emulated, mirror_config=mirror_config))


def canary_checks(deployed: DeployedEnv, *, run_id: str | None = None) -> list[Check]:
    """Behaviour (with the least-privilege probes while the probes exist), then wiring."""
    run = run_id or new_run_id()
    waits = EMULATOR_WAITS if deployed.on_emulator else AWS_WAITS

    def least(uploaded: list[Uploaded]) -> list[Check]:
        key = f"{run_prefix(deployed, run)}least-privilege-probe.txt"
        return guarded_list(
            "least privilege", lambda: least_privilege_checks(deployed, uploaded, key)
        )

    checks = guarded_list(
        "behaviour", lambda: behaviour_checks(deployed, run_id=run, also=least, **waits)
    )
    return checks + wiring_checks(deployed.clients, deployed.deployment)
