"""Deploy benchmark: `invoke build deploy --env=local` from scratch, then a no-op `plan`.

One command (results go to docs/benchmarks/deploy.md)::

    TERRAFORM_PROVIDER_MIRROR=/opt/tf-plugins .venv/bin/python benchmarks/deploy_bench.py

It copies the checkout to a temp dir (no ``dist/``, ``.work/`` or ``.emulator/``: a fresh
clone), picks a free port for the emulator, and times, in one run:

* ``invoke build deploy --env=local`` — build the zip, start the emulator, init, plan, apply,
  print outputs (target ≤ 60 s);
* ``invoke plan --env=local`` right after — must be a no-op plan (target ≤ 15 s).

It also lists every resource whose creation took ≥ 5 s (the provider's waits) and prints the
figures, then one JSON line with them. The emulator is stopped at the end, whatever happens.
"""

from __future__ import annotations

import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tooling.emulator import lifecycle, override  # noqa: E402 - after the sys.path line on purpose

DEPLOY_TARGET_SECONDS = 60.0
PLAN_TARGET_SECONDS = 15.0
SLOW_RESOURCE_SECONDS = 5
CREATED = re.compile(r"^(?P<address>\S+): Creation complete after (?P<time>(?:\d+m)?\d+s)", re.M)


# Lines the tooling and Terraform print at each phase boundary, in order.
PHASE_MARKERS: tuple[tuple[str, str], ...] = (
    ("build + emulator + invoke start", "» terraform init"),
    ("terraform init", "» terraform plan"),
    ("terraform plan + show -json + show -no-color", "plan for "),
    ("terraform apply", "Apply complete!"),
    ("terraform output", ""),
)


def run_invoke(
    checkout: Path, env: dict[str, str], *args: str
) -> tuple[float, str, list[tuple[float, str]]]:
    """Run ``python -m invoke ARGS`` in the checkout; return (seconds, output, timed lines).

    Output is read line by line as it is produced, so each line carries the time it appeared.
    """
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", *args],
        cwd=checkout,
        env={**env, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = [(time.monotonic() - started, line.rstrip("\n")) for line in process.stdout]
    returncode = process.wait()
    seconds = time.monotonic() - started
    output = "\n".join(line for _, line in lines)
    if returncode != 0:
        raise SystemExit(f"`invoke {' '.join(args)}` failed ({returncode}):\n{output}")
    return seconds, output, lines


def phases(lines: list[tuple[float, str]], total: float) -> list[tuple[str, float]]:
    """Seconds per phase, cut at the first line starting with each phase's end marker."""
    result: list[tuple[str, float]] = []
    start = 0.0
    for name, marker in PHASE_MARKERS:
        if not marker:
            result.append((name, total - start))
            break
        end = next((t for t, line in lines if t >= start and line.startswith(marker)), None)
        if end is None:
            continue  # e.g. a no-op plan has no apply
        result.append((name, end - start))
        start = end
    return result


def slow_resources(output: str) -> list[tuple[str, int]]:
    """(address, seconds) of every resource whose creation took ≥ SLOW_RESOURCE_SECONDS."""
    found = []
    for match in CREATED.finditer(output):
        minutes, _, seconds = match["time"].rstrip("s").rpartition("m")
        total = int(minutes or 0) * 60 + int(seconds)
        if total >= SLOW_RESOURCE_SECONDS:
            found.append((match["address"], total))
    return sorted(found, key=lambda item: -item[1])


def main() -> None:
    """Run the benchmark once and print the figures."""
    if not os.environ.get("TERRAFORM_PROVIDER_MIRROR"):
        print("note: TERRAFORM_PROVIDER_MIRROR is unset; terraform will use the registry")
    with tempfile.TemporaryDirectory(prefix="sfp-deploy-bench-") as temp:
        base = Path(temp)
        checkout = override.copy_work_tree(ROOT, base / "checkout")
        chosen = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=base / "emulator")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SFP_"))},
            lifecycle.PORT_ENV_VAR: str(chosen.port),
            lifecycle.DIR_ENV_VAR: str(chosen.state_dir),
        }
        try:
            deploy_seconds, deploy_output, deploy_lines = run_invoke(
                checkout, env, "build", "deploy", "--env=local"
            )
            plan_seconds, _, plan_lines = run_invoke(checkout, env, "plan", "--env=local")
        finally:
            lifecycle.stop(chosen)
        plan = json.loads((checkout / ".work" / "local" / "tfplan.json").read_text())
    changes = [
        change["address"]
        for change in plan.get("resource_changes", [])
        if set(change["change"]["actions"]) - {"no-op", "read"}
    ]
    slow = slow_resources(deploy_output)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    print(f"build deploy --env=local (from scratch): {deploy_seconds:6.1f} s  (target ≤ 60 s)")
    print(f"plan --env=local (no-op):                {plan_seconds:6.1f} s  (target ≤ 15 s)")
    print(f"re-plan changes: {len(changes)} {changes if changes else ''}")
    deploy_phases = phases(deploy_lines, deploy_seconds)
    plan_phases = phases(plan_lines, plan_seconds)
    for title, split in (("deploy", deploy_phases), ("no-op plan", plan_phases)):
        print(f"{title} phases: " + ", ".join(f"{name} {secs:.1f} s" for name, secs in split))
    for address, seconds in slow:
        print(f"  slow create: {address}  {seconds} s")
    print(
        json.dumps(
            {
                "deploy_seconds": round(deploy_seconds, 1),
                "plan_seconds": round(plan_seconds, 1),
                "deploy_target_met": deploy_seconds <= DEPLOY_TARGET_SECONDS,
                "plan_target_met": plan_seconds <= PLAN_TARGET_SECONDS,
                "replan_changes": len(changes),
                "slow_creates": dict(slow),
                "deploy_phases": {name: round(secs, 1) for name, secs in deploy_phases},
                "plan_phases": {name: round(secs, 1) for name, secs in plan_phases},
            }
        )
    )


if __name__ == "__main__":
    main()
