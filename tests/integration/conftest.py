"""Fixtures for the emulator integration tests: a fresh checkout, emulators, invoke runs.

The tests never touch the developer's own ``.work/``, ``.emulator/`` or ``dist/``: they copy the
checkout (what git tracks plus untracked, non-ignored files, i.e. what a fresh clone of the
current work would hold) into a temp dir and run ``python -m invoke …`` there, each env against
its own moto server on a free port with its own pid/log dir. Every emulator is stopped at the
end of the session, also when a test fails.
"""

from __future__ import annotations

import concurrent.futures
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tooling.emulator import lifecycle, override, settings

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_SECONDS = 600
MIRROR_ENV_VAR = "TERRAFORM_PROVIDER_MIRROR"


@dataclass
class Step:
    """One ``invoke`` run and what it did."""

    args: tuple[str, ...]
    returncode: int
    output: str
    seconds: float

    def describe(self) -> str:
        """Command, exit code, time and the end of the output: the assertion message."""
        tail = "\n".join(self.output.splitlines()[-60:])
        return (
            f"`invoke {' '.join(self.args)}` exited {self.returncode} after {self.seconds:.0f} s"
            f"\n{tail}"
        )


@dataclass
class Checkout:
    """A copy of the working tree, and the environment invoke runs with in it."""

    root: Path
    base_env: dict[str, str]
    emulators: dict[str, lifecycle.Emulator] = field(default_factory=dict)
    lambda_dir: Path | None = None

    def start_emulator(self, name: str) -> None:
        """Start (or restart) emulator ``name`` for this checkout.

        The emulators run this checkout's tooling but deploy the copy's build: they trust the
        copy's dist/ zip (the default trusts only the running checkout's) and keep their code
        cache out of this checkout's .emulator/. A restart must keep both, or the functions the
        copy deploys afterwards are refused as untrusted code.
        """
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv(settings.TRUSTED_CODE_ENV_VAR, str(self.root / "dist" / "handler.zip"))
            if self.lambda_dir is not None:
                patch.setenv(settings.LAMBDA_DIR_ENV_VAR, str(self.lambda_dir))
            lifecycle.start(self.emulators[name])

    def env_for(self, name: str) -> dict[str, str]:
        """The process environment of a run against emulator ``name``."""
        chosen = self.emulators[name]
        return {
            **self.base_env,
            lifecycle.PORT_ENV_VAR: str(chosen.port),
            lifecycle.DIR_ENV_VAR: str(chosen.state_dir),
        }

    def invoke(self, emulator_name: str, *args: str) -> Step:
        """Run ``python -m invoke ARGS`` in the checkout against emulator ``emulator_name``."""
        started = time.monotonic()
        try:
            completed = subprocess.run(
                [sys.executable, "-m", "invoke", *args],
                cwd=self.root,
                env=self.env_for(emulator_name),
                capture_output=True,
                text=True,
                timeout=STEP_TIMEOUT_SECONDS,
                check=False,
            )
            code, output = completed.returncode, completed.stdout + completed.stderr
        except subprocess.TimeoutExpired as expired:
            code = -1
            output = f"timed out after {STEP_TIMEOUT_SECONDS} s\n{expired.stdout or ''}"
        return Step(tuple(args), code, output, time.monotonic() - started)

    def plan_json(self, work_name: str) -> dict[str, Any]:
        """The ``tfplan.json`` the last ``plan`` wrote under ``.work/<work_name>/``."""
        return json.loads((self.root / ".work" / work_name / "tfplan.json").read_text())


def require_terraform() -> dict[str, str]:
    """Terraform is required; the provider comes from a mirror when one is named, else the registry.

    Offline machines (this kind, CI here) get their mirror from `.ci/invoke`; GitHub runners reach
    the registry. A mirror that is named but missing is a clear failure, not a silent fallback.
    """
    if not shutil.which(os.environ.get("TERRAFORM_BIN", "") or "terraform"):
        pytest.fail(
            "terraform is not on PATH: the integration tests deploy with it. Install Terraform "
            ">= 1.11 (https://developer.hashicorp.com/terraform/install) or set TERRAFORM_BIN.",
            pytrace=False,
        )
    mirror = os.environ.get(MIRROR_ENV_VAR, "").strip()
    if not mirror:
        return {}
    if not Path(mirror).is_dir():
        pytest.fail(
            f"{MIRROR_ENV_VAR}={mirror!r} is not a directory: point it at a dir holding "
            "registry.terraform.io/hashicorp/aws/…, or unset it to install from the registry.",
            pytrace=False,
        )
    return {MIRROR_ENV_VAR: mirror}


@pytest.fixture(scope="session")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Checkout]:
    """A fresh checkout with two emulators (``local``, ``prod``) on free ports."""
    tools = require_terraform()
    base = tmp_path_factory.mktemp("emulated")
    root = override.copy_work_tree(REPO_ROOT, base / "checkout")
    environment = {
        name: value
        for name, value in os.environ.items()
        # Nothing of the caller's AWS setup or emulator choice may leak into the runs.
        if not name.startswith(("AWS_", "SFP_")) and name != "TF_CLI_CONFIG_FILE"
    }
    made = Checkout(
        root, {**environment, **tools, "PYTHONUNBUFFERED": "1"}, lambda_dir=base / "lambda"
    )
    try:
        for name in ("local", "prod"):
            made.emulators[name] = lifecycle.Emulator(
                port=lifecycle.free_port(), state_dir=base / f"emulator-{name}"
            )
            made.start_emulator(name)
        yield made
    finally:
        for chosen in made.emulators.values():
            lifecycle.stop(chosen)


@dataclass
class Pipelines:
    """The results of the two deploy pipelines, keyed by step name."""

    steps: dict[str, Step]


def _run_chain(checkout: Checkout, emulator_name: str, chain: Sequence[tuple[str, ...]]) -> dict:
    """Run the steps in order; stop at the first failure (later steps would only mislead)."""
    results: dict[str, Step] = {}
    for args in chain:
        step = checkout.invoke(emulator_name, *args)
        results[" ".join(args)] = step
        if step.returncode != 0:
            break
    return results


@pytest.fixture(scope="session")
def pipelines(checkout: Checkout) -> Pipelines:
    """Build once, then deploy local (+ re-plan) and prod (+ re-plan) side by side.

    Each env has its own emulator, so the two pipelines cannot see each other's resources, and
    running them at once overlaps the provider's fixed waits (see docs/benchmarks/deploy.md).
    """
    build = checkout.invoke("local", "build")
    steps = {"build": build}
    if build.returncode != 0:
        return Pipelines(steps)
    # The black-box canary needs the emulator to run functions: tests/integration/
    # test_operations.py runs it (skipped until the emulator's Lambda runtime is merged).
    chains = {
        "local": [("deploy", "--env=local"), ("plan", "--env=local")],
        "prod": [
            ("deploy", "--env=prod", "--emulated", "--yes"),
            ("plan", "--env=prod", "--emulated"),
        ],
    }
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(chains)) as pool:
        futures = [pool.submit(_run_chain, checkout, name, chain) for name, chain in chains.items()]
        for future in futures:
            steps.update(future.result())
    return Pipelines(steps)
