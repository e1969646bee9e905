"""Deploy benchmark: `invoke build deploy --env=local` from scratch, then a no-op `plan`.

One command (results go to docs/benchmarks/deploy.md)::

    .venv/bin/python benchmarks/deploy_bench.py [--runs 3] [--source DIR]

It copies the checkout (or ``--source``, e.g. a clone of an older commit to compare with) to a
temp dir (no ``dist/``, ``.work/`` or ``.emulator/``: a fresh clone), picks a free port for the
emulator, and times, per run:

* ``invoke build deploy --env=local`` — build the zip, start the emulator, init, plan, apply,
  print outputs (target ≤ 60 s);
* ``invoke plan --env=local`` right after — must be a no-op plan (target ≤ 15 s).

Each is measured as wall time and as CPU time (user + system of invoke, Terraform and the
provider plugins; the emulator runs detached and is not counted): on a shared machine the wall
time follows the load, the CPU time much less, so compare CPU times across versions and read
wall times with the load average printed next to them. It also lists every resource whose
creation took ≥ 5 s (the provider's waits), the phases of each command (cut at the tooling's own
progress lines), and ends with one JSON line. The emulator is stopped at the end, whatever
happens. The provider mirror is found the way the tooling finds it (TERRAFORM_PROVIDER_MIRROR or
the usual places).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import statistics
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
    ("invoke start, build ‖ emulator start, stale-state check", "» terraform init"),
    ("terraform init", "» terraform plan"),
    ("terraform plan + show -json", "plan for "),
    ("terraform apply", "Apply complete!"),
    ("terraform output + report", ""),
)


def run_invoke(
    checkout: Path, env: dict[str, str], *args: str
) -> tuple[float, float, str, list[tuple[float, str]]]:
    """Run ``python -m invoke ARGS`` in the checkout; return (wall s, CPU s, output, timed lines).

    Output is read line by line as it is produced, so each line carries the time it appeared.
    CPU is that of the invoke process and everything it waited for (Terraform, providers).
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
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
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    output = "\n".join(line for _, line in lines)
    if returncode != 0:
        raise SystemExit(f"`invoke {' '.join(args)}` failed ({returncode}):\n{output}")
    return seconds, cpu, output, lines


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


def one_run(source: Path) -> dict[str, object]:
    """A deploy from scratch and a no-op plan in a fresh copy of ``source``."""
    with tempfile.TemporaryDirectory(prefix="sfp-deploy-bench-") as temp:
        base = Path(temp)
        checkout = override.copy_work_tree(source, base / "checkout")
        chosen = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=base / "emulator")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SFP_"))},
            lifecycle.PORT_ENV_VAR: str(chosen.port),
            lifecycle.DIR_ENV_VAR: str(chosen.state_dir),
        }
        load_before = os.getloadavg()[0]
        try:
            deploy_wall, deploy_cpu, deploy_output, deploy_lines = run_invoke(
                checkout, env, "build", "deploy", "--env=local"
            )
            plan_wall, plan_cpu, _, plan_lines = run_invoke(checkout, env, "plan", "--env=local")
        finally:
            lifecycle.stop(chosen)
        plan = json.loads((checkout / ".work" / "local" / "tfplan.json").read_text())
    changes = [
        change["address"]
        for change in plan.get("resource_changes", [])
        if set(change["change"]["actions"]) - {"no-op", "read"}
    ]
    return {
        "deploy_seconds": round(deploy_wall, 1),
        "deploy_cpu_seconds": round(deploy_cpu, 1),
        "plan_seconds": round(plan_wall, 1),
        "plan_cpu_seconds": round(plan_cpu, 1),
        "load_average": [round(load_before, 1), round(os.getloadavg()[0], 1)],
        "replan_changes": changes,
        "slow_creates": dict(slow_resources(deploy_output)),
        "deploy_phases": {name: round(secs, 1) for name, secs in phases(deploy_lines, deploy_wall)},
        "plan_phases": {name: round(secs, 1) for name, secs in phases(plan_lines, plan_wall)},
    }


def main() -> None:
    """Run the benchmark ``--runs`` times and print each run and the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs (medians are reported)")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="git checkout to benchmark (default: this one)"
    )
    options = parser.parse_args()
    machine = (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"source {options.source}"
    )
    print(f"machine: {machine}")
    runs = []
    for number in range(1, options.runs + 1):
        result = one_run(options.source.resolve())
        runs.append(result)
        print(
            f"run {number}: deploy {result['deploy_seconds']:5.1f} s "
            f"(CPU {result['deploy_cpu_seconds']:5.1f} s), no-op plan "
            f"{result['plan_seconds']:5.1f} s (CPU {result['plan_cpu_seconds']:5.1f} s), "
            f"load {result['load_average'][0]}→{result['load_average'][1]}, "
            f"re-plan changes {len(result['replan_changes'])}",
            flush=True,
        )
        for title in ("deploy_phases", "plan_phases"):
            split = result[title]
            assert isinstance(split, dict)
            print(f"  {title}: " + ", ".join(f"{name} {secs} s" for name, secs in split.items()))
        slow = result["slow_creates"]
        assert isinstance(slow, dict)
        for address, seconds in slow.items():
            print(f"  slow create: {address}  {seconds} s")
    medians = {
        key: statistics.median(float(run[key]) for run in runs)  # type: ignore[arg-type]
        for key in ("deploy_seconds", "deploy_cpu_seconds", "plan_seconds", "plan_cpu_seconds")
    }
    print(
        f"median of {len(runs)}: build deploy --env=local {medians['deploy_seconds']:.1f} s "
        f"(target ≤ {DEPLOY_TARGET_SECONDS:.0f} s; CPU {medians['deploy_cpu_seconds']:.1f} s), "
        f"no-op plan {medians['plan_seconds']:.1f} s (target ≤ {PLAN_TARGET_SECONDS:.0f} s; "
        f"CPU {medians['plan_cpu_seconds']:.1f} s)"
    )
    print(
        json.dumps(
            {
                "machine": machine,
                "medians": medians,
                "deploy_target_met": medians["deploy_seconds"] <= DEPLOY_TARGET_SECONDS,
                "plan_target_met": medians["plan_seconds"] <= PLAN_TARGET_SECONDS,
                "runs": runs,
            }
        )
    )


if __name__ == "__main__":
    main()
