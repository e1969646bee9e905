"""End to end on the embedded emulator: build, deploy local and prod, re-plan, restart.

Marked ``integration``: each run deploys the real modules with the real AWS provider to moto
(a few minutes). The order of the tests matters for the last one (it restarts prod's emulator).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tooling.emulator import lifecycle

if TYPE_CHECKING:
    from .conftest import Checkout, Pipelines

pytestmark = pytest.mark.integration

LOCAL_DEPLOY = "deploy --env=local"
PROD_DEPLOY = "deploy --env=prod --emulated --yes"


def _step(pipelines: Pipelines, name: str) -> Any:
    step = pipelines.steps.get(name)
    assert step is not None, f"`invoke {name}` did not run: an earlier step failed\n" + "\n".join(
        s.describe() for s in pipelines.steps.values() if s.returncode != 0
    )
    return step


def _changes(plan: dict[str, Any]) -> list[tuple[str, list[str]]]:
    """(address, actions) of every resource the plan would change."""
    return [
        (change["address"], change["change"]["actions"])
        for change in plan.get("resource_changes", [])
        if set(change["change"]["actions"]) - {"no-op", "read"}
    ]


def test_build_and_deploy_local_from_a_fresh_checkout(
    pipelines: Pipelines, checkout: Checkout
) -> None:
    # GIVEN a fresh checkout and an emulator on a free port
    # WHEN `invoke build` and `invoke deploy --env=local` run
    build = _step(pipelines, "build")
    deploy = _step(pipelines, LOCAL_DEPLOY)
    # THEN both succeed, the zip exists, and the outputs every env exports are printed
    assert build.returncode == 0, build.describe()
    assert deploy.returncode == 0, deploy.describe()
    assert (checkout.root / "dist" / "handler.zip").is_file()
    for output in ("uploads_bucket_name", "results_topic_arn", "api_url", "kms_key_arn"):
        assert f"\n{output} " in deploy.output, deploy.describe()
    # AND the state lives in the checkout's own work dir, tagged with the emulator instance
    work = checkout.root / ".work" / "local"
    assert (work / "terraform.tfstate").is_file()
    marker = (work / lifecycle.STATE_MARKER_NAME).read_text().strip()
    assert marker == lifecycle.instance_id(checkout.emulators["local"])


def test_local_replans_with_no_changes(pipelines: Pipelines, checkout: Checkout) -> None:
    # WHEN the local env is planned again after the deploy (and the canary's traffic)
    plan = _step(pipelines, "plan --env=local")
    # THEN Terraform sees no change at all
    assert plan.returncode == 0, plan.describe()
    assert _changes(checkout.plan_json("local")) == [], plan.describe()


def test_prod_applies_to_the_emulator_and_replans_clean(
    pipelines: Pipelines, checkout: Checkout
) -> None:
    # GIVEN the real prod root (S3 backend, prod values), through the generated override
    deploy = _step(pipelines, PROD_DEPLOY)
    assert deploy.returncode == 0, deploy.describe()
    # WHEN it is planned again
    plan = _step(pipelines, "plan --env=prod --emulated")
    assert plan.returncode == 0, plan.describe()
    # THEN there is nothing to change, and its state stayed apart from a real prod's
    assert _changes(checkout.plan_json("prod-emulated")) == [], plan.describe()
    assert (checkout.root / ".work" / "prod-emulated" / "terraform.tfstate").is_file()
    assert not (checkout.root / ".work" / "prod" / "terraform.tfstate").exists()


def test_local_invoke_runs_a_sample_event(pipelines: Pipelines, checkout: Checkout) -> None:
    # GIVEN the deployed local env
    assert _step(pipelines, LOCAL_DEPLOY).returncode == 0
    # WHEN the awkward-key sample event is run through the handler in-process (the debugger path;
    # through the Lambda API it is in test_operations.py, once the emulator runs functions)
    run = checkout.invoke(
        "local", "local", "--in-process", "--event", "handler/events/s3-put-awkward-key.json"
    )
    # THEN the handler processed it and exactly one result was published
    assert run.returncode == 0, run.describe()
    assert '"processed": 1' in run.output, run.describe()
    assert "published to the results topic: 1 message(s)" in run.output, run.describe()


def test_a_restarted_emulator_resets_the_state_of_the_envs_on_it(
    pipelines: Pipelines, checkout: Checkout
) -> None:
    # GIVEN prod deployed to its emulator (its state lists every resource). It is prod's emulator
    # that restarts: the local one keeps running for the tests that use the deployed local stack
    # (a restart there would make them deploy it again, a minute on this machine)
    assert _step(pipelines, PROD_DEPLOY).returncode == 0
    # WHEN the emulator restarts (its memory is empty) and the env is planned
    prod = checkout.emulators["prod"]
    lifecycle.stop(prod)
    checkout.start_emulator("prod")
    plan = checkout.invoke("prod", "plan", "--env=prod", "--emulated")
    # THEN the stale state was dropped, and said so: a clean plan to create everything, not
    # refresh errors
    assert plan.returncode == 0, plan.describe()
    assert "reset the Terraform state of prod" in plan.output, plan.describe()
    changes = _changes(checkout.plan_json("prod-emulated"))
    assert changes, plan.describe()
    assert {tuple(actions) for _, actions in changes} == {("create",)}, plan.describe()
