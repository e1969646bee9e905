"""``invoke status``: one screen to start an incident with.

* every alarm of the stack (``alarm_names``) and its state, those in ALARM first;
* invocations, errors and throttles of both functions over the last hour (CloudWatch
  ``AWS/Lambda`` sums; none recorded reads 0);
* the failed events waiting in the failures queue (and those being read right now);
* the deployed artifact of each function: Lambda's ``CodeSha256`` (base64 of the zip's
  sha256, as ``invoke build`` writes it to ``dist/handler.zip.base64sha256``) and whether it is
  the zip in ``dist/``.
"""

from __future__ import annotations

import base64
import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tooling.core import paths
from tooling.ops.durations import format_age, utc_now

if TYPE_CHECKING:
    from collections.abc import Mapping
    from pathlib import Path

    from tooling.run.target import DeployedEnv

METRICS = ("Invocations", "Errors", "Throttles")
STATE_ORDER = {"ALARM": 0, "INSUFFICIENT_DATA": 1, "OK": 2}
WINDOW = datetime.timedelta(hours=1)


@dataclass(frozen=True)
class AlarmState:
    key: str
    name: str
    state: str  # ALARM / OK / INSUFFICIENT_DATA, or MISSING when CloudWatch has no such alarm
    since: datetime.datetime | None = None
    reason: str = ""


@dataclass(frozen=True)
class Artifact:
    function: str
    name: str
    code_sha256: str  # base64, as Lambda reports it
    last_modified: str
    runtime: str

    @property
    def sha256_hex(self) -> str:
        try:
            return base64.b64decode(self.code_sha256).hex()
        except ValueError:
            return "?"


@dataclass
class Status:
    """What the screen shows."""

    label: str
    region: str
    taken_at: datetime.datetime
    alarms: list[AlarmState] = field(default_factory=list)
    traffic: dict[str, dict[str, float]] = field(default_factory=dict)
    waiting: int | None = None
    in_flight: int | None = None
    artifacts: list[Artifact] = field(default_factory=list)
    local_build: str | None = None  # base64 sha256 of dist/handler.zip, if built
    problems: list[str] = field(default_factory=list)

    def render(self) -> str:
        lines = [
            f"serverless-file-processor · {self.label} ({self.region}) · "
            f"{self.taken_at.strftime('%Y-%m-%d %H:%M:%S')} UTC",
            "",
            f"Alarms ({sum(a.state == 'ALARM' for a in self.alarms)} in ALARM):",
        ]
        width = max((len(alarm.key) for alarm in self.alarms), default=0)
        for alarm in self.alarms:
            since = f"for {format_age(self.taken_at - alarm.since)}" if alarm.since else ""
            lines.append(
                f"  {alarm.state:<17} {alarm.key:<{width}}  {since:<12} {alarm.name}".rstrip()
            )
        lines += ["", "Last hour:  invocations  errors  throttles  error rate"]
        for function, counts in self.traffic.items():
            invocations = counts.get("Invocations", 0.0)
            errors = counts.get("Errors", 0.0)
            rate = f"{100 * errors / invocations:.1f} %" if invocations else "-"
            lines.append(
                f"  {function:<9} {invocations:>11.0f}  {errors:>6.0f}  "
                f"{counts.get('Throttles', 0.0):>9.0f}  {rate:>10}"
            )
        lines.append("")
        if self.waiting is None:
            lines.append("Failed events: unknown (the queue could not be read)")
        else:
            flight = f" (+{self.in_flight} being read or redriven)" if self.in_flight else ""
            lines.append(f"Failed events waiting: {self.waiting}{flight}")
        lines += ["", "Deployed artifact (Lambda CodeSha256):"]
        for artifact in self.artifacts:
            lines.append(
                f"  {artifact.function:<9} sha256 {artifact.sha256_hex} "
                f"(base64 {artifact.code_sha256}) — {self._compare(artifact)}"
            )
            lines.append(
                f"  {'':<9} {artifact.name}, {artifact.runtime}, deployed {artifact.last_modified}"
            )
        if self.problems:
            lines += ["", "Could not read:"] + [f"  {problem}" for problem in self.problems]
        return "\n".join(lines)

    def _compare(self, artifact: Artifact) -> str:
        if self.local_build is None:
            return "no local build to compare (dist/handler.zip)"
        if artifact.code_sha256 == self.local_build:
            return "the zip in dist/"
        return "not the zip in dist/"


def read_status(
    deployed: DeployedEnv, *, now: datetime.datetime | None = None, local_sha: Path | None = None
) -> Status:
    """Collect the screen; a part that cannot be read is named, the rest still shown."""
    moment = now or utc_now()
    deployment = deployed.deployment
    status = Status(deployed.label, deployment.region, moment)
    parts = {
        "alarms": lambda: _alarms(deployed.clients["cloudwatch"], deployment.alarm_names),
        "metrics": lambda: _traffic(deployed, moment),
        "failures queue": lambda: _queue(deployed),
        "functions": lambda: _artifacts(deployed),
    }
    found: dict[str, Any] = {}
    for name, read in parts.items():
        try:
            found[name] = read()
        except Exception as error:  # one unreadable part must not hide the others
            status.problems.append(f"{name}: {type(error).__name__}: {error}")
    status.alarms = found.get("alarms", [])
    status.traffic = found.get("metrics", {})
    status.waiting, status.in_flight = found.get("failures queue", (None, None))
    status.artifacts = found.get("functions", [])
    sha_file = local_sha or paths.ZIP_SHA_PATH
    if sha_file.is_file():
        status.local_build = sha_file.read_text().strip()
    return status


def _alarms(cloudwatch: Any, names: Mapping[str, str]) -> list[AlarmState]:
    by_name: dict[str, Any] = {}
    wanted = sorted(set(names.values()))
    for start in range(0, len(wanted), 100):  # DescribeAlarms takes at most 100 names
        response = cloudwatch.describe_alarms(AlarmNames=wanted[start : start + 100])
        for alarm in response.get("MetricAlarms", []) + response.get("CompositeAlarms", []):
            by_name[alarm["AlarmName"]] = alarm
    states = []
    for key, name in names.items():
        alarm = by_name.get(name)
        if alarm is None:
            states.append(AlarmState(key, name, "MISSING"))
            continue
        states.append(
            AlarmState(
                key,
                name,
                alarm.get("StateValue", "?"),
                alarm.get("StateUpdatedTimestamp"),
                alarm.get("StateReason", ""),
            )
        )
    return sorted(states, key=lambda a: (STATE_ORDER.get(a.state, -1), a.key))


def _traffic(deployed: DeployedEnv, now: datetime.datetime) -> dict[str, dict[str, float]]:
    """Sum of each metric of each function over the last hour (one GetMetricData call)."""
    deployment = deployed.deployment
    functions = {
        "processor": deployment.processor_function_name,
        "api": deployment.api_function_name,
    }
    queries = []
    for function, name in functions.items():
        for metric in METRICS:
            queries.append(
                {
                    "Id": f"{function}_{metric.lower()}",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "AWS/Lambda",
                            "MetricName": metric,
                            "Dimensions": [{"Name": "FunctionName", "Value": name}],
                        },
                        "Period": int(WINDOW.total_seconds()),
                        "Stat": "Sum",
                    },
                    "ReturnData": True,
                }
            )
    totals = {function: dict.fromkeys(METRICS, 0.0) for function in functions}
    request: dict[str, Any] = {
        "MetricDataQueries": queries,
        "StartTime": now - WINDOW,
        "EndTime": now,
    }
    while True:
        response = deployed.clients["cloudwatch"].get_metric_data(**request)
        for result in response.get("MetricDataResults", []):
            function, metric = result["Id"].split("_", 1)
            name = next(m for m in METRICS if m.lower() == metric)
            totals[function][name] += float(sum(result.get("Values", [])))
        if not response.get("NextToken"):
            break
        request["NextToken"] = response["NextToken"]
    return totals


def _queue(deployed: DeployedEnv) -> tuple[int, int]:
    attributes = deployed.clients["sqs"].get_queue_attributes(
        QueueUrl=deployed.deployment.failures_queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes.get("ApproximateNumberOfMessages", 0)),
        int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)),
    )


def _artifacts(deployed: DeployedEnv) -> list[Artifact]:
    found = []
    for function in ("processor", "api"):
        name = deployed.deployment.function_name_of(function)
        configuration = deployed.clients["lambda"].get_function_configuration(FunctionName=name)
        found.append(
            Artifact(
                function,
                name,
                str(configuration.get("CodeSha256", "")),
                str(configuration.get("LastModified", "")),
                str(configuration.get("Runtime", "")),
            )
        )
    return found
