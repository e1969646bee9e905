"""Handler benchmark: processing-core throughput, peak RSS, cold import. One command:

    .venv/bin/python benchmarks/handler_bench.py [--quick]

Prints the figures, then one final line with them as a JSON object. Targets (issue 2):
- core throughput / bare hashlib loop doing sha256 + length + newline count  >= 0.9
- peak RSS processing a 1 GiB stream minus processing 16 MiB                 <= 64 MB
- cold import of app (fresh process, incl. its boto3 clients, Lambda mode)
  / bare `import boto3` building the same clients                            <= 1.4
  (wall time, as Lambda's init sees it; CPU time too, which a loaded machine does not skew)
Also reported (no target of its own): the api function's cold start up to its first request,
i.e. the import plus the routes built on that request (Powertools' event handler), which the
processor's cold start no longer pays.
Results and the machine are recorded in docs/benchmarks/handler.md.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HANDLER = ROOT / "handler"
sys.path.insert(0, str(HANDLER))

from file_processor.processing import analyze  # noqa: E402  # needs handler/ on sys.path

MIB = 1 << 20
CHUNK = MIB  # what the handler reads from S3 per iteration


def text_chunk() -> bytes:
    """1 MiB of ASCII text, one newline per 64 bytes (as in perf-baselines.md)."""
    line = b"abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\n"
    assert len(line) == 64
    return line * (CHUNK // 64)


def bare_loop(chunks: list[bytes]) -> tuple[str, int, int]:
    """The reference: sha256 + length + newline count in one pass."""
    digest = hashlib.sha256()
    size = lines = 0
    for chunk in chunks:
        digest.update(chunk)
        size += len(chunk)
        lines += chunk.count(b"\n")
    return digest.hexdigest(), size, lines


def throughput(total_mib: int, runs: int) -> dict[str, float]:
    """MB/s of analyze() and of the bare loop over the same in-memory chunks, interleaved."""
    base = text_chunk()
    # Distinct chunk objects (sharing one buffer would be kinder to caches than S3 reads are).
    chunks = [bytes(bytearray(base)) for _ in range(total_mib)]
    core_times, bare_times = [], []
    expected = bare_loop(chunks)
    analyze(chunks, key="bench.txt")  # warm-up: first-touch page faults, imports, caches
    for _ in range(runs):
        started = time.perf_counter()
        analysis = analyze(chunks, key="bench.txt")
        core_times.append(time.perf_counter() - started)
        started = time.perf_counter()
        bare = bare_loop(chunks)
        bare_times.append(time.perf_counter() - started)
        assert (analysis.sha256, analysis.size_bytes) == expected[:2] == bare[:2]
        assert analysis.facts["line_count"] == expected[2]
    megabytes = total_mib * MIB / 1e6
    core = megabytes / statistics.median(core_times)
    bare_mbps = megabytes / statistics.median(bare_times)
    return {"core_mb_s": core, "bare_mb_s": bare_mbps, "ratio": core / bare_mbps}


_RSS_CHILD = """
import sys
sys.path.insert(0, {handler!r})
from file_processor.processing import analyze
mib = {mib}
line = b"abcdefghijklmnopqrstuvwxyz0123456789 ABCDEFGHIJKLMNOPQRSTUVWXYZ\\n"
def stream():
    for i in range(mib):
        yield line * (1 << 14)  # a fresh 1 MiB chunk each time, as a socket read would be
result = analyze(stream(), key="big.txt")
assert result.size_bytes == mib << 20
# VmHWM, not ru_maxrss: Linux carries ru_maxrss over fork+exec from the (large) parent.
with open("/proc/self/status") as status:
    print(next(line.split()[1] for line in status if line.startswith("VmHWM:")))  # KiB
"""


def peak_rss_kib(mib: int) -> int:
    """Peak RSS of a fresh process streaming ``mib`` MiB through analyze()."""
    code = _RSS_CHILD.format(handler=str(HANDLER), mib=mib)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return int(out.stdout.strip().splitlines()[-1])


def rss(big_mib: int, small_mib: int, runs: int) -> dict[str, float]:
    big = statistics.median(peak_rss_kib(big_mib) for _ in range(runs))
    small = statistics.median(peak_rss_kib(small_mib) for _ in range(runs))
    return {
        "big_mib": big_mib,
        "small_mib": small_mib,
        "big_peak_mb": big * 1024 / 1e6,
        "small_peak_mb": small * 1024 / 1e6,
        "delta_mb": round((big - small) * 1024 / 1e6, 1) + 0.0,  # never "-0.0"
    }


# The environment the compute module gives the function, plus LAMBDA_TASK_ROOT so Powertools'
# Tracer runs in Lambda mode (outside it, Tracer() builds an extra X-Ray sampling client).
COLD_ENV = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_REGION": "eu-west-1",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "BUCKET_NAME": "sfp-uploads-bench",
    "TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:sfp-results-bench",
    "IDEMPOTENCY_TABLE": "sfp-idempotency-bench",
    "MAX_OBJECT_BYTES": str(2 * 1024**3),
    "MAX_SYNC_OBJECT_BYTES": str(64 * MIB),
    "POWERTOOLS_SERVICE_NAME": "file-processor",
    "POWERTOOLS_METRICS_NAMESPACE": "ServerlessFileProcessor",
    "LAMBDA_TASK_ROOT": str(HANDLER),
    "AWS_LAMBDA_FUNCTION_NAME": "sfp-processor-bench",
}
APP_IMPORT = f"import sys; sys.path.insert(0, {str(HANDLER)!r}); import app"
# What the api function does before answering its first request: the routes are built then.
API_FIRST_REQUEST = APP_IMPORT + "; app.APPLICATION.api.resolver"
# Mirrors file_processor.aws.CLIENT_CONFIG (not imported: the baseline must not load handler code).
BARE_BOTO3 = """
import boto3
from botocore.config import Config
config = Config(connect_timeout=3, read_timeout=10, retries={"mode": "standard", "max_attempts": 3},
                tcp_keepalive=True)
session = boto3.session.Session()
session.client("s3", config=config)
session.client("sns", config=config)
session.client("dynamodb", config=config)
"""


def run_child(code: str, env: dict[str, str]) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system) of a fresh ``python -c code``.

    CPU time is what the import itself costs; wall time adds waiting for a core, which on a
    shared 2-core machine under load swamps the difference being measured.
    """
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code], env=env)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        raise subprocess.CalledProcessError(child.returncode, code)
    return wall, usage.ru_utime + usage.ru_stime


def cold_import(runs: int) -> dict[str, float]:
    """Median wall and CPU times of fresh processes (1 warm-up each, then interleaved runs)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"), **COLD_ENV}  # noqa: S108
    programs = {"app": APP_IMPORT, "api": API_FIRST_REQUEST, "boto3": BARE_BOTO3}
    for code in programs.values():
        run_child(code, env)
    wall: dict[str, list[float]] = {name: [] for name in programs}
    cpu: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs):
        for name, code in programs.items():
            wall_s, cpu_s = run_child(code, env)
            wall[name].append(wall_s)
            cpu[name].append(cpu_s)
    figures: dict[str, float] = {}
    for kind, samples in (("wall", wall), ("cpu", cpu)):
        median_ms = {name: statistics.median(values) * 1000 for name, values in samples.items()}
        figures |= {f"{kind}_{name}_ms": value for name, value in median_ms.items()}
        figures[f"{kind}_ratio"] = median_ms["app"] / median_ms["boto3"]
        figures[f"{kind}_api_ratio"] = median_ms["api"] / median_ms["boto3"]
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller data, fewer runs")
    args = parser.parse_args()
    quick = args.quick

    tp = throughput(total_mib=64 if quick else 256, runs=3 if quick else 7)
    print(
        f"throughput: core {tp['core_mb_s']:.0f} MB/s, "
        f"bare hashlib loop {tp['bare_mb_s']:.0f} MB/s, ratio {tp['ratio']:.3f} (target >= 0.9)"
    )
    memory = rss(big_mib=256 if quick else 1024, small_mib=16, runs=1 if quick else 3)
    print(
        f"peak RSS: {memory['big_mib']} MiB stream {memory['big_peak_mb']:.1f} MB, "
        f"{memory['small_mib']} MiB stream {memory['small_peak_mb']:.1f} MB, "
        f"delta {memory['delta_mb']:.1f} MB (target <= 64)"
    )
    cold = cold_import(runs=5 if quick else 15)
    for kind in ("wall", "cpu"):
        print(
            f"cold import ({kind} time): app {cold[f'{kind}_app_ms']:.0f} ms, bare boto3 + same "
            f"clients {cold[f'{kind}_boto3_ms']:.0f} ms, ratio {cold[f'{kind}_ratio']:.3f} "
            f"(target <= 1.4); api function up to its first request "
            f"{cold[f'{kind}_api_ms']:.0f} ms, ratio {cold[f'{kind}_api_ratio']:.3f}"
        )
    summary = {
        "throughput_ratio": round(tp["ratio"], 3),
        "core_mb_s": round(tp["core_mb_s"], 1),
        "bare_mb_s": round(tp["bare_mb_s"], 1),
        "rss_delta_mb": memory["delta_mb"],
        "rss_big_stream_mib": memory["big_mib"],
        "rss_big_peak_mb": round(memory["big_peak_mb"], 1),
        "cold_import_ratio": round(cold["wall_ratio"], 3),
        "cold_import_app_ms": round(cold["wall_app_ms"], 1),
        "cold_import_boto3_ms": round(cold["wall_boto3_ms"], 1),
        "cold_import_cpu_ratio": round(cold["cpu_ratio"], 3),
        "cold_import_app_cpu_ms": round(cold["cpu_app_ms"], 1),
        "cold_import_boto3_cpu_ms": round(cold["cpu_boto3_ms"], 1),
        "api_first_request_ratio": round(cold["wall_api_ratio"], 3),
        "api_first_request_cpu_ratio": round(cold["cpu_api_ratio"], 3),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "quick": quick,
    }
    print(json.dumps(summary, sort_keys=True))


if __name__ == "__main__":
    main()
