"""Suite benchmark: the README's test command on a fresh clone, venv set-up included.

One command (results go to docs/benchmarks/suite.md)::

    .venv/bin/python benchmarks/suite_bench.py [--source DIR] [--jobs N]

It clones the committed HEAD of ``--source`` (default: this checkout) into a temp dir and runs
``.ci/invoke test`` there exactly as CI does (``.ci/run``): the bootstrap creates ``.venv``
(pip's cache is whatever this machine has: warm here), then ``check`` and pytest run. It prints
the time of each part (cut at the bootstrap's and the suite's own progress lines), the CPU time
of the whole run (everything it waited for; the emulators run detached and are not counted),
the machine and the load average before and after, then one JSON line. Target: ≤ 6 minutes.

Nothing of the caller's emulator, AWS or mirror settings reaches the run: the clone finds the
provider mirror the way a fresh clone does.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_SECONDS = 6 * 60
# (part, the line that ends it): the bootstrap's and tooling/checks/suite.py's own lines.
PARTS: tuple[tuple[str, str], ...] = (
    ("venv set-up (.ci/invoke bootstrap)", "» .venv is ready"),
    ("invoke start", "» check:"),
    ("pytest, the checks beside it", "» check (ran beside pytest)"),
    ("checks still running after pytest", "» test:"),
)


def machine() -> str:
    """CPU model, cores, memory and Python: what the figures were measured on."""
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        total_kb = int(meminfo.read_text().split()[1])
        memory = f", {total_kb / 1024 / 1024:.0f} GB"
    return f"{model}, {os.cpu_count()} cores{memory}, Python {platform.python_version()}"


def main() -> None:
    """Clone, run the suite once, print the parts."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=ROOT, help="repository to clone")
    parser.add_argument("--jobs", default="", help="SFP_TEST_JOBS for the run (default: CPUs)")
    options = parser.parse_args()
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "SFP_", "VIRTUAL_ENV"))
        and name not in {"TERRAFORM_PROVIDER_MIRROR", "TF_CLI_CONFIG_FILE", "PYTHONPATH"}
    }
    if options.jobs:
        environment["SFP_TEST_JOBS"] = options.jobs
    environment["PYTHONUNBUFFERED"] = "1"
    with tempfile.TemporaryDirectory(prefix="sfp-suite-bench-") as temp:
        clone = Path(temp) / "clone"
        subprocess.run(
            ["git", "clone", "--quiet", str(options.source.resolve()), str(clone)], check=True
        )
        commit = subprocess.run(
            ["git", "-C", str(clone), "log", "-1", "--format=%h %s"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        load_before = os.getloadavg()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        process = subprocess.Popen(
            ["bash", ".ci/invoke", "test"],
            cwd=clone,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        assert process.stdout is not None
        lines: list[tuple[float, str]] = []
        for line in process.stdout:
            lines.append((time.monotonic() - started, line.rstrip("\n")))
            sys.stdout.write(line)
        returncode = process.wait()
        total = time.monotonic() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    parts: dict[str, float] = {}
    start = 0.0
    for name, marker in PARTS:
        end = next((t for t, line in lines if t >= start and line.startswith(marker)), None)
        if end is not None:
            parts[name] = round(end - start, 1)
            start = end
    print("\n" + "=" * 78)
    print(f"machine: {machine()}")
    print(f"commit:  {commit}")
    print(f"load average before: {load_before[0]:.1f} (5 min {load_before[1]:.1f})")
    print(f"load average after:  {load_after[0]:.1f} (5 min {load_after[1]:.1f})")
    for name, seconds in parts.items():
        print(f"  {name:<36} {seconds:6.1f} s")
    verdict = "met" if total <= TARGET_SECONDS else "NOT met"
    outcome = "passed" if returncode == 0 else f"FAILED (exit {returncode}: see the output above)"
    print(
        f"`.ci/invoke test` on a fresh clone: {total:.1f} s ({total / 60:.1f} min), CPU "
        f"{cpu:.0f} s; target ≤ {TARGET_SECONDS} s: {verdict}; the suite {outcome}"
    )
    print(
        json.dumps(
            {
                "machine": machine(),
                "commit": commit,
                "seconds": round(total, 1),
                "cpu_seconds": round(cpu, 1),
                "exit_code": returncode,
                "parts": parts,
                "load_average": [round(load_before[0], 1), round(load_after[0], 1)],
                "target_met": verdict == "met",
                "suite_passed": returncode == 0,
            }
        )
    )
    raise SystemExit(returncode)


if __name__ == "__main__":
    main()
