"""What ``invoke deploy`` says at the end: the outputs once, where the env runs, what to run next.

Terraform's own "Outputs:" listing is not shown during the apply (the runner hides it), so the
outputs appear exactly once, here. On the emulator the report adds the endpoint, the moto
account the env lives in, the local URL of the API, and the commands that exercise the stack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tooling.core import envs
from tooling.core.errors import ToolingError
from tooling.core.local_aws import FAKE_CREDENTIALS
from tooling.emulator.apigateway import local_invoke_url

if TYPE_CHECKING:
    from collections.abc import Mapping

    from tooling.deploy.target import Target
    from tooling.plan.summary import PlanSummary

# The front door the README's commands use; it works on a fresh clone (it sets up .venv).
FRONT_DOOR = ".ci/invoke"
SAMPLE_EVENT = "handler/events/s3-put-awkward-key.json"


@dataclass(frozen=True)
class DeployReport:
    """The result of one ``deploy``: the target, its outputs, and whether anything was applied."""

    target: Target
    outputs: dict[str, Any]
    applied: bool
    summary: PlanSummary | None = None

    def render(self) -> str:
        """The lines ``invoke deploy`` prints last."""
        target = self.target
        what = (
            f"deployed {target.label}: {self.summary.one_line()}"
            if self.applied and self.summary is not None
            else f"{target.label} was already up to date"
        )
        # Outputs at the start of their lines, as `invoke output` prints them (scripts grep them).
        lines = [what, "", f"outputs of {target.label}:", format_outputs(self.outputs)]
        endpoint = target.environment.get("AWS_ENDPOINT_URL", "") if target.emulated else ""
        if endpoint:
            lines += ["", *_emulator_lines(target, endpoint, self.outputs)]
        lines += ["", "next:", *(f"  {line}" for line in next_commands(target, self.outputs))]
        return "\n".join(lines)


def format_outputs(outputs: Mapping[str, Any], *, as_json: bool = False) -> str:
    """Outputs as ``name = value`` lines, or as one JSON object for scripts."""
    if as_json:
        return json.dumps(dict(outputs), indent=2, sort_keys=True)
    if not outputs:
        return "(no outputs: has the env been deployed?)"
    width = max(len(name) for name in outputs)
    return "\n".join(
        f"{name:<{width}} = {value if isinstance(value, str) else json.dumps(value)}"
        for name, value in sorted(outputs.items())
    )


def local_api_url(api_url: str, endpoint: str) -> str | None:
    """The URL at which the deployed API answers through the emulator (curl, SigV4 clients);
    None when ``api_url`` is not an API Gateway invoke URL (nothing to translate)."""
    try:
        return local_invoke_url(api_url, endpoint)
    except ToolingError:
        return None


def next_commands(target: Target, outputs: Mapping[str, Any]) -> list[str]:
    """What to run after a deploy of ``target``, each with what it does."""
    flags = f"--env={target.env}" + (
        " --emulated" if target.emulated and not _is_local(target) else ""
    )
    commands = [(f"{FRONT_DOOR} smoke {flags}", "canary: probe objects end to end + wiring checks")]
    if target.emulated:
        bucket = outputs.get("uploads_bucket_name")
        if isinstance(bucket, str) and _is_local(target):
            commands.append(
                (f"{FRONT_DOOR} local --event {SAMPLE_EVENT}", "run the handler on a sample event")
            )
        commands.append((f"{FRONT_DOOR} plan {flags}", "a re-plan shows no changes"))
        commands.append(
            (f"{FRONT_DOOR} emulator.stop", "stop the emulator (its resources live in memory only)")
        )
    else:
        commands.append((f"{FRONT_DOOR} output {flags} --json", "the outputs, for scripts"))
    width = max(len(command) for command, _ in commands)
    return [f"{command:<{width}}  # {why}" for command, why in commands]


def _emulator_lines(target: Target, endpoint: str, outputs: Mapping[str, Any]) -> list[str]:
    account = envs.emulated_account_id(target.env)
    lines = [f"emulator: {endpoint} (moto account {account}; `{FRONT_DOOR} emulator.status`)"]
    api_url = outputs.get("api_url")
    local_url = local_api_url(api_url, endpoint) if isinstance(api_url, str) else None
    if local_url:
        lines.append(f"API on the emulator: POST {local_url}")
    bucket = outputs.get("uploads_bucket_name")
    if isinstance(bucket, str) and _is_local(target):
        fake = f"AWS_ACCESS_KEY_ID={FAKE_CREDENTIALS['AWS_ACCESS_KEY_ID']} " + (
            f"AWS_SECRET_ACCESS_KEY={FAKE_CREDENTIALS['AWS_SECRET_ACCESS_KEY']}"
        )
        lines.append(
            f"upload with any AWS client: {fake} aws --endpoint-url {endpoint} "
            f"s3 cp FILE s3://{bucket}/"
        )
    return lines


def _is_local(target: Target) -> bool:
    return target.env == envs.LOCAL_ENV
