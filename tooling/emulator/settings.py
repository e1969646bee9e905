"""Settings of the emulator's Lambda runtime, async queue and code trust: one source for the
environment variables the emulator process reads (documented in docs/emulator.md).

The emulator process reads them once, at start; change one and restart the emulator
(``invoke emulator.stop`` then any task that starts it). Nothing here imports moto: the tooling
and the tests read the same names.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.core.local_aws import DIR_ENV_VAR

if TYPE_CHECKING:
    from collections.abc import Mapping

# Which function code the emulator runs: "dist" (default) = only zips whose sha256 is the one
# `invoke build` wrote to dist/handler.zip (or a zip named in TRUSTED_CODE_ENV_VAR); "any" = any
# code uploaded to the emulator (it runs as the developer: see docs/emulator.md, Security).
CODE_POLICY_ENV_VAR = "SFP_EMULATOR_LAMBDA_CODE"
CODE_POLICIES: tuple[str, ...] = ("dist", "any")
# More zips whose code may run in "dist" mode (paths, separated by os.pathsep).
TRUSTED_CODE_ENV_VAR = "SFP_EMULATOR_TRUSTED_CODE"
# How many seconds one minute of AWS's async retry delay lasts here (AWS: 1 min, then 2 min).
RETRY_MINUTE_ENV_VAR = "SFP_EMULATOR_RETRY_MINUTE"
# Bound of the async event queue (events waiting to run or to be retried).
QUEUE_SIZE_ENV_VAR = "SFP_EMULATOR_ASYNC_QUEUE_SIZE"
# Threads running async invocations (all functions together).
ASYNC_WORKERS_ENV_VAR = "SFP_EMULATOR_ASYNC_WORKERS"
# Sandboxes per function when the function sets no reserved concurrency.
CONCURRENCY_ENV_VAR = "SFP_EMULATOR_LAMBDA_CONCURRENCY"
# Seconds an idle sandbox stays warm before it is stopped.
IDLE_ENV_VAR = "SFP_EMULATOR_SANDBOX_IDLE_SECONDS"
# Interpreters per runtime, e.g. "python3.12=/opt/py312/bin/python3.12" (comma-separated).
INTERPRETERS_ENV_VAR = "SFP_EMULATOR_INTERPRETERS"
# Where unzipped code and the sandboxes' bytecode cache live (default: <emulator dir>/lambda).
LAMBDA_DIR_ENV_VAR = "SFP_EMULATOR_LAMBDA_DIR"

DEFAULT_RETRY_MINUTE_SECONDS = 0.2
DEFAULT_QUEUE_SIZE = 1000
DEFAULT_ASYNC_WORKERS = 8
DEFAULT_CONCURRENCY = 4
DEFAULT_IDLE_SECONDS = 300.0


@dataclass(frozen=True)
class RuntimeSettings:
    """What the emulator's Lambda runtime is allowed and told to do."""

    code_policy: str = "dist"
    trusted_zips: tuple[Path, ...] = ()
    retry_minute_seconds: float = DEFAULT_RETRY_MINUTE_SECONDS
    queue_size: int = DEFAULT_QUEUE_SIZE
    async_workers: int = DEFAULT_ASYNC_WORKERS
    concurrency: int = DEFAULT_CONCURRENCY
    idle_seconds: float = DEFAULT_IDLE_SECONDS
    interpreters: Mapping[str, str] = field(default_factory=dict)
    lambda_dir: Path = paths.EMULATOR_DIR / "lambda"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> RuntimeSettings:
        """Read every setting from ``environ`` (default ``os.environ``); a bad value is an error
        naming the variable."""
        env = os.environ if environ is None else environ
        policy = env.get(CODE_POLICY_ENV_VAR, "").strip().lower() or "dist"
        if policy not in CODE_POLICIES:
            raise ToolingError(
                f"{CODE_POLICY_ENV_VAR}={policy!r} is not one of {', '.join(CODE_POLICIES)}",
                hint=f"unset it (only the built dist/ zip runs), or set {CODE_POLICY_ENV_VAR}=any",
            )
        trusted = tuple(
            Path(part).expanduser()
            for part in env.get(TRUSTED_CODE_ENV_VAR, "").split(os.pathsep)
            if part.strip()
        )
        emulator_dir = env.get(DIR_ENV_VAR, "").strip()
        default_dir = (Path(emulator_dir) if emulator_dir else paths.EMULATOR_DIR) / "lambda"
        lambda_dir = env.get(LAMBDA_DIR_ENV_VAR, "").strip()
        return cls(
            code_policy=policy,
            trusted_zips=(paths.ZIP_PATH, *trusted),
            retry_minute_seconds=_number(env, RETRY_MINUTE_ENV_VAR, DEFAULT_RETRY_MINUTE_SECONDS),
            queue_size=int(_number(env, QUEUE_SIZE_ENV_VAR, DEFAULT_QUEUE_SIZE, minimum=1)),
            async_workers=int(_number(env, ASYNC_WORKERS_ENV_VAR, DEFAULT_ASYNC_WORKERS, 1)),
            concurrency=int(_number(env, CONCURRENCY_ENV_VAR, DEFAULT_CONCURRENCY, minimum=1)),
            idle_seconds=_number(env, IDLE_ENV_VAR, DEFAULT_IDLE_SECONDS),
            interpreters=_interpreters(env.get(INTERPRETERS_ENV_VAR, "")),
            lambda_dir=(Path(lambda_dir).expanduser() if lambda_dir else default_dir).resolve(),
        )

    def retry_delay(self, aws_seconds: float) -> float:
        """How long an AWS delay of ``aws_seconds`` lasts here (compressed by default)."""
        return aws_seconds * self.retry_minute_seconds / 60.0


def _number(env: Mapping[str, str], name: str, default: float, minimum: float = 0.0) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= minimum:  # also catches NaN
        raise ToolingError(
            f"{name}={raw!r} is not a number >= {minimum:g}",
            hint=f"unset it to use the default ({default:g}), or give a number",
        )
    return value


def _interpreters(raw: str) -> dict[str, str]:
    mapping: dict[str, str] = {}
    for item in raw.split(","):
        if not item.strip():
            continue
        runtime, separator, path = item.partition("=")
        if not separator or not runtime.strip() or not path.strip():
            raise ToolingError(
                f"{INTERPRETERS_ENV_VAR}: {item.strip()!r} is not RUNTIME=PATH",
                hint=f"e.g. {INTERPRETERS_ENV_VAR}=python3.12=/usr/local/bin/python3.12",
            )
        mapping[runtime.strip()] = path.strip()
    return mapping
