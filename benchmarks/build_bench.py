"""Build benchmark: reproducibility, skip-when-unchanged speed, zip size — one command, one run.

    .venv/bin/python benchmarks/build_bench.py [--runs 5] [--write docs/benchmarks/build.md]

1. Two clean builds of the real handler/ (+ handler/requirements.txt) copied into two different
   temp folders → identical sha256? (yes/no)
2. No-change rebuild time ÷ cold build time (target ≤ 0.05). "Cold" = no zip and no fingerprint
   yet, so pip vendors everything (pip's own download cache stays warm, as on any dev machine);
   "no-change" = the same build again, answered from the content hash.
3. Zip size (target ≤ 1.5 MB) for arm64, plus x86_64 for comparison.
"""

from __future__ import annotations

import argparse
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# Run as a script from anywhere: the repo root (for `tooling`) goes on sys.path first.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tooling.build import package
from tooling.core import paths

SIZE_TARGET = 1_500_000
RATIO_TARGET = 0.05


def copy_handler(destination: Path) -> package.BuildPaths:
    """A copy of handler/ in ``destination``, and build paths that write under it."""
    handler = destination / "handler"
    shutil.copytree(
        paths.HANDLER_DIR, handler, ignore=shutil.ignore_patterns("__pycache__", "*.pyc")
    )
    return package.BuildPaths(
        handler_dir=handler,
        requirements=handler / "requirements.txt",
        zip_path=destination / "dist" / "handler.zip",
    )


def timed_build(
    settings: package.BuildSettings, paths: package.BuildPaths
) -> tuple[float, package.BuildResult]:
    """One build and its wall time in seconds."""
    started = time.perf_counter()
    result = package.build(settings, paths)
    return time.perf_counter() - started, result


def run(runs: int) -> dict[str, object]:
    """All measurements, as a dict the report renders."""
    arm = package.BuildSettings(architecture="arm64")
    x86 = package.BuildSettings(architecture="x86_64")
    with tempfile.TemporaryDirectory(prefix="sfp-bench-") as tmp:
        first = copy_handler(Path(tmp) / "first")
        second = copy_handler(Path(tmp) / "second" / "elsewhere")
        cold_seconds, cold = timed_build(arm, first)
        _, other = timed_build(arm, second)
        warm = [timed_build(arm, first)[0] for _ in range(runs)]
        skipped = all(timed_build(arm, first)[1].skipped for _ in range(2))
        colds = [cold_seconds]
        for index in range(runs - 1):
            fresh = copy_handler(Path(tmp) / f"cold-{index}")
            colds.append(timed_build(arm, fresh)[0])
        x86_result = package.build(x86, copy_handler(Path(tmp) / "x86"))
    cold_median = statistics.median(colds)
    warm_median = statistics.median(warm)
    return {
        "identical": cold.sha256 == other.sha256,
        "sha256": cold.sha256,
        "other_sha256": other.sha256,
        "cold": colds,
        "warm": warm,
        "skipped": skipped,
        "ratio": warm_median / cold_median,
        "size": cold.size,
        "files": cold.files,
        "x86_size": x86_result.size,
        "x86_sha256": x86_result.sha256,
    }


def render(results: dict[str, object], runs: int) -> str:
    """The markdown report (docs/benchmarks/build.md)."""
    colds: list[float] = results["cold"]  # type: ignore[assignment]
    warm: list[float] = results["warm"]  # type: ignore[assignment]
    ratio: float = results["ratio"]  # type: ignore[assignment]
    size: int = results["size"]  # type: ignore[assignment]
    requirements = [
        line.split("#")[0].strip()
        for line in (paths.HANDLER_DIR / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    pip_version = subprocess.run(
        [sys.executable, "-m", "pip", "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" from ")[0]

    def ms(values: list[float]) -> str:
        return " / ".join(
            f"{v * 1000:.0f}" for v in (min(values), statistics.median(values), max(values))
        )

    verdict = {True: "yes", False: "**no**"}
    sha = str(results["sha256"])[:16]
    rows = [
        ("two clean builds in different folders → identical sha256",
         f"{verdict[bool(results['identical'])]} (`{sha}…`)", "yes"),
        ("cold build (pip vendors everything), ms", ms(colds), "n/a"),
        ("no-change rebuild (content hash, skipped), ms", ms(warm), "n/a"),
        ("no-change ÷ cold (medians)", f"**{ratio:.3f}**", f"≤ {RATIO_TARGET}"),
        ("zip size, arm64",
         f"**{size:,} bytes** ({size / 1_000_000:.2f} MB, {results['files']} files)", "≤ 1.5 MB"),
        ("zip size, x86_64 (for comparison)", f"{results['x86_size']:,} bytes", "n/a"),
    ]  # fmt: skip
    table = "\n".join(f"| {measure} | {value} | {target} |" for measure, value, target in rows)
    return f"""# Build benchmark (`benchmarks/build_bench.py`)

Command: `.venv/bin/python benchmarks/build_bench.py --runs {runs} --write docs/benchmarks/build.md`

Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()},
{pip_version}; {runs} runs per timing (min / median / max). Inputs: the repo's `handler/` and
`handler/requirements.txt` ({", ".join(requirements) or "no requirements"}),
arm64, Python 3.12.

| measure | result | target |
|---|---|---|
{table}

Every repeated build was answered from the fingerprint: {verdict[bool(results["skipped"])]}.
"Cold" means no zip or fingerprint yet, so pip resolves and unpacks every wheel; pip's download
cache is warm (as on a dev machine or a CI runner with a pip cache). Without it, the cold build
also pays the downloads and the ratio only gets smaller.
"""


def main() -> int:
    """Run the benchmark, print the report, optionally write it, exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", type=Path, help="also write the markdown report here")
    args = parser.parse_args()
    results = run(args.runs)
    report = render(results, args.runs)
    print(report)
    if args.write:
        args.write.parent.mkdir(parents=True, exist_ok=True)
        args.write.write_text(report)
    met = (
        results["identical"]
        and results["ratio"] <= RATIO_TARGET  # type: ignore[operator]
        and results["size"] <= SIZE_TARGET  # type: ignore[operator]
    )
    return 0 if met else 1


if __name__ == "__main__":
    raise SystemExit(main())
