"""Emulator runtime benchmark: the deployed local stack running itself (results in
docs/benchmarks/emulator.md).

One command::

    TERRAFORM_PROVIDER_MIRROR=/opt/tf-plugins .venv/bin/python benchmarks/emulator_bench.py

It copies the checkout to a temp dir, starts an emulator on a free port with its own dirs,
runs ``invoke build deploy --env=local`` there (not timed: ``deploy_bench.py`` does that), then
measures against the deployed stack, as a client would:

* **upload → result, warm** — PutObject, then wait for the result on the results topic (an SQS
  queue subscribed to it), one upload at a time, the processor's sandbox warm; median of N
  (target ≤ 0.5 s);
* **upload → result, cold** — the same, with the processor's sandboxes stopped before each
  upload (``DELETE /moto-api/sfp/lambda``), so each one pays a new execution environment;
  median of N (target ≤ 5 s);
* **PutObject latency with a function that runs 3 s** — a second bucket notifying a function
  that sleeps 3 s; median of N PutObject calls (target ≤ 0.2 s);
* **burst** — 50 uploads sent at once by 10 threads; every result must arrive, none lost
  (target ≤ 20 s from the first PutObject to the last result);
* **signed POST /process, warm** — SigV4-signed requests to the stage's local URL for an object
  already uploaded, the api function warm; median of N after one warm-up (target ≤ 0.3 s);
* **RSS** — the emulator process plus its sandboxes with 4 warm sandboxes of the project's
  handler (2 processor, 2 api: their reserved concurrency), from ``/proc`` (target ≤ 600 MB).

It prints a table and one JSON line. The emulator is stopped at the end, whatever happens.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
import zipfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tooling.core.local_aws import FAKE_CREDENTIALS  # noqa: E402 - after the sys.path line
from tooling.emulator import lifecycle, override, runtime_control, settings  # noqa: E402
from tooling.run import api  # noqa: E402
from tooling.run.target import DeployedEnv  # noqa: E402
from tooling.stack.deployment import Deployment, aws_clients  # noqa: E402
from tooling.stack.results import ResultsQueue  # noqa: E402

SAMPLES = 20
BURST = 50
TARGETS = {
    "warm_s": 0.5,
    "cold_s": 5.0,
    "put_with_slow_function_s": 0.2,
    "burst_s": 20.0,
    "api_post_s": 0.3,
    "rss_mb": 600.0,
}
SLOW_FUNCTION = "import time\n\ndef handler(event, context):\n    time.sleep(3)\n    return {}\n"


def run_invoke(checkout: Path, env: dict[str, str], *args: str) -> str:
    completed = subprocess.run(
        [sys.executable, "-m", "invoke", *args],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = completed.stdout + completed.stderr
        raise SystemExit(f"`invoke {' '.join(args)}` failed:\n{detail}")
    return completed.stdout


def upload_to_result(clients: dict[str, Any], bucket: str, key: str, queue: ResultsQueue) -> float:
    started = time.monotonic()
    clients["s3"].put_object(Bucket=bucket, Key=key, Body=b"line one\nline two\n")
    envelopes = queue.receive(1, 60)
    if not envelopes or envelopes[0]["document"]["key"] != key:
        raise SystemExit(f"no result for {key}: {envelopes}")
    return time.monotonic() - started


def signed_post(deployed: DeployedEnv, key: str) -> float:
    """One SigV4-signed ``POST /process`` for ``key``, as a client sends it; its wall time."""
    started = time.monotonic()
    answer = api.post_process(deployed, {"key": key})
    elapsed = time.monotonic() - started
    if answer.status != 200:
        raise SystemExit(f"POST /process answered {answer.status}: {answer.body}")
    return elapsed


def retire(endpoint: str, function: str) -> None:
    """Stop every sandbox of ``function`` ("" = all), waiting for busy ones to finish: the
    result reaches SQS before the invocation ends and frees its sandbox."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        runtime_control.stop_sandboxes(endpoint, function)
        live = [
            sandbox
            for entry in runtime_control.status(endpoint)["functions"]
            if not function or entry["function"].split(":")[6] == function
            for sandbox in entry["sandboxes"]
        ]
        if not live:
            return
        time.sleep(0.05)
    raise SystemExit(f"the sandboxes of {function or 'all functions'} did not stop")


def cold_starts(clients: dict[str, Any], group: str, since_ms: int) -> int:
    """REPORT lines with an Init Duration (= cold starts) in the function's log since then."""
    paginator = clients["logs"].get_paginator("filter_log_events")
    pages = paginator.paginate(logGroupName=group, startTime=since_ms)
    return sum(
        "Init Duration" in event["message"]
        for page in pages
        for event in page["events"]
        if event["message"].startswith("REPORT")
    )


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def slow_function(clients: dict[str, Any], endpoint: str, zip_path: Path) -> str:
    """A bucket notifying a function that runs 3 s; returns the bucket name."""
    import boto3

    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
    role = iam.create_role(RoleName="bench-slow", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_client = clients["lambda"]
    arn = lambda_client.create_function(
        FunctionName="bench-slow",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": zip_path.read_bytes()},
        Timeout=10,
    )["FunctionArn"]
    bucket = "bench-slow-uploads"
    clients["s3"].create_bucket(Bucket=bucket)
    lambda_client.add_permission(
        FunctionName="bench-slow",
        StatementId="s3",
        Action="lambda:InvokeFunction",
        Principal="s3.amazonaws.com",
        SourceArn=f"arn:aws:s3:::{bucket}",
    )
    clients["s3"].put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "LambdaFunctionConfigurations": [
                {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}
            ]
        },
    )
    return bucket


def measure(
    checkout: Path, emulator: lifecycle.Emulator, env: dict[str, str], slow_zip: Path
) -> dict[str, Any]:
    outputs = json.loads(run_invoke(checkout, env, "output", "--env=local", "--json"))
    deployment = Deployment.from_outputs(outputs)
    clients = aws_clients(deployment.region, endpoint=emulator.endpoint)
    bucket = deployment.uploads_bucket_name
    processor = deployment.processor_function_name
    figures: dict[str, Any] = {}
    with ResultsQueue(
        clients["sns"], clients["sqs"], deployment.results_topic_arn, "bench-results"
    ) as queue:
        upload_to_result(clients, bucket, "bench/warmup.txt", queue)  # first cold start
        warm = [
            upload_to_result(clients, bucket, f"bench/warm-{n}.txt", queue) for n in range(SAMPLES)
        ]
        cold = []
        cold_since = int(time.time() * 1000)
        for n in range(SAMPLES):
            retire(emulator.endpoint, processor)
            cold.append(upload_to_result(clients, bucket, f"bench/cold-{n}.txt", queue))
        retire(emulator.endpoint, processor)  # the last one's REPORT is written at its end
        figures["cold_starts_seen"] = cold_starts(
            clients, deployment.processor_log_group_name, cold_since
        )
        if figures["cold_starts_seen"] != SAMPLES:
            raise SystemExit(f"{figures['cold_starts_seen']} of {SAMPLES} were cold starts")
        figures["warm_s"] = statistics.median(warm)
        figures["warm_p90_s"] = sorted(warm)[int(0.9 * len(warm)) - 1]
        figures["cold_s"] = statistics.median(cold)
        figures["cold_max_s"] = max(cold)

        # signed POST /process through the stage's local URL, the api function warm
        deployed = DeployedEnv("local", deployment, clients, endpoint=emulator.endpoint)
        posts = [signed_post(deployed, "bench/warmup.txt") for _ in range(SAMPLES + 1)][1:]
        figures["api_post_s"] = statistics.median(posts)
        figures["api_post_max_s"] = max(posts)

        # burst: 50 uploads at once
        keys = [f"bench/burst/{uuid.uuid4().hex}.txt" for _ in range(BURST)]
        s3 = clients["s3"]
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda k: s3.put_object(Bucket=bucket, Key=k, Body=b"x\n"), keys))
        sent = time.monotonic() - started
        received: set[str] = set()
        deadline = started + 120
        while len(received) < BURST and time.monotonic() < deadline:
            received |= {e["document"]["key"] for e in queue.receive(BURST - len(received), 5)}
        figures["burst_s"] = time.monotonic() - started
        figures["burst_put_s"] = sent
        figures["burst_received"] = len(received & set(keys))
        figures["burst_lost"] = BURST - figures["burst_received"]

    # PutObject latency while the notified function runs 3 s
    slow_bucket = slow_function(clients, emulator.endpoint, slow_zip)
    latencies = []
    for n in range(SAMPLES):
        started = time.monotonic()
        clients["s3"].put_object(Bucket=slow_bucket, Key=f"slow-{n}.txt", Body=b"x")
        latencies.append(time.monotonic() - started)
    figures["put_with_slow_function_s"] = statistics.median(latencies)
    figures["put_with_slow_function_max_s"] = max(latencies)

    # RSS with 4 warm sandboxes of the project's handler (2 processor + 2 api)
    retire(emulator.endpoint, "")
    with ThreadPoolExecutor(max_workers=4) as pool:
        api_event = json.dumps({"httpMethod": "POST", "path": "/process", "body": "{}"}).encode()
        jobs = [
            pool.submit(clients["s3"].put_object, Bucket=bucket, Key=f"bench/rss-{n}", Body=b"x")
            for n in range(2)
        ] + [
            pool.submit(
                clients["lambda"].invoke,
                FunctionName=deployment.api_function_name,
                Payload=api_event,
            )
            for _ in range(2)
        ]
        for job in jobs:
            job.result()
    project = {processor, deployment.api_function_name}
    runtime_control.wait_until_idle(emulator.endpoint, 60)  # the processor runs asynchronously
    status = runtime_control.status(emulator.endpoint)
    sandboxes = [
        sandbox
        for entry in status["functions"]
        if entry["function"].split(":")[6] in project
        for sandbox in entry["sandboxes"]
    ]
    others = [
        sandbox
        for entry in status["functions"]
        if entry["function"].split(":")[6] not in project
        for sandbox in entry["sandboxes"]
    ]
    server_pid = json.loads(emulator.pid_file.read_text())["pid"]
    server_kb = rss_kb(server_pid)
    sandbox_kb = sum(rss_kb(sandbox["pid"]) for sandbox in sandboxes)
    figures["warm_sandboxes"] = len(sandboxes)
    figures["other_sandboxes_excluded"] = len(others)
    figures["server_rss_mb"] = server_kb / 1024
    figures["sandbox_rss_mb"] = [round(rss_kb(s["pid"]) / 1024, 1) for s in sandboxes]
    figures["rss_mb"] = (server_kb + sandbox_kb) / 1024
    figures["interpreter"] = sandboxes[0]["interpreter"] if sandboxes else None
    return figures


def main() -> None:
    # No options: the figures are comparable only when every run measures the same thing.
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="sfp-emulator-bench-") as temp:
        base = Path(temp)
        checkout = override.copy_work_tree(ROOT, base / "checkout")
        slow_zip = base / "slow.zip"
        with zipfile.ZipFile(slow_zip, "w") as archive:
            archive.writestr("app.py", SLOW_FUNCTION)
        emulator = lifecycle.Emulator(port=lifecycle.free_port(), state_dir=base / "emulator")
        trusted = os.pathsep.join([str(checkout / "dist" / "handler.zip"), str(slow_zip)])
        emulator_env = {
            settings.TRUSTED_CODE_ENV_VAR: trusted,
            settings.LAMBDA_DIR_ENV_VAR: str(base / "lambda"),
        }
        os.environ.update(emulator_env)  # lifecycle.start passes its environment on
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SFP_"))},
            lifecycle.PORT_ENV_VAR: str(emulator.port),
            lifecycle.DIR_ENV_VAR: str(emulator.state_dir),
            "PYTHONUNBUFFERED": "1",
        }
        try:
            lifecycle.start(emulator)
            print("» deploying the local stack (not timed) …", file=sys.stderr)
            run_invoke(checkout, env, "build")
            run_invoke(checkout, env, "deploy", "--env=local")
            print("» measuring …", file=sys.stderr)
            figures = measure(checkout, emulator, env, slow_zip)
        finally:
            lifecycle.stop(emulator)
    figures["load_before"] = [round(x, 2) for x in load_before]
    figures["load_after"] = [round(x, 2) for x in os.getloadavg()]
    figures["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    rows = [
        ("upload → result, warm (median)", "warm_s", "s"),
        ("upload → result, cold (median)", "cold_s", "s"),
        ("PutObject, function runs 3 s (median)", "put_with_slow_function_s", "s"),
        (f"burst of {BURST}: first PutObject → last result", "burst_s", "s"),
        ("signed POST /process, warm (median)", "api_post_s", "s"),
        ("RSS: emulator + 4 warm sandboxes", "rss_mb", "MB"),
    ]
    print(f"{'measure':<48} {'value':>10} {'target':>8}  ok")
    for label, key, unit in rows:
        value, target = figures[key], TARGETS[key]
        verdict = "✓" if value <= target else "✗"
        print(f"{label:<48} {value:>8.3f}{unit:>2} {target:>6}{unit:>2}  {verdict}")
    print(f"burst: {figures['burst_received']}/{BURST} results, {figures['burst_lost']} lost")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
