"""The runtime's settings (environment variables) and which code it agrees to run."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

import pytest

from tooling.core import paths
from tooling.core.errors import ToolingError
from tooling.emulator import settings
from tooling.emulator.code_trust import CodeTrust, UntrustedCodeError
from tooling.emulator.settings import RuntimeSettings

if TYPE_CHECKING:
    from pathlib import Path


def test_defaults_run_only_built_code_and_compress_retry_delays() -> None:
    chosen = RuntimeSettings.from_environ({})
    assert chosen.code_policy == "dist"
    assert chosen.trusted_zips == (paths.ZIP_PATH,)
    # one AWS minute of retry delay lasts 0.2 s: 1 min -> 0.2 s, 2 min -> 0.4 s
    assert chosen.retry_delay(60) == pytest.approx(0.2)
    assert chosen.retry_delay(120) == pytest.approx(0.4)
    assert chosen.lambda_dir == (paths.EMULATOR_DIR / "lambda").resolve()


def test_every_setting_is_read_from_its_variable(tmp_path: Path) -> None:
    extra = tmp_path / "other.zip"
    chosen = RuntimeSettings.from_environ(
        {
            settings.CODE_POLICY_ENV_VAR: "ANY",
            settings.TRUSTED_CODE_ENV_VAR: f"{extra}{os.pathsep}",
            settings.RETRY_MINUTE_ENV_VAR: "60",
            settings.QUEUE_SIZE_ENV_VAR: "7",
            settings.ASYNC_WORKERS_ENV_VAR: "3",
            settings.CONCURRENCY_ENV_VAR: "2",
            settings.IDLE_ENV_VAR: "1.5",
            settings.INTERPRETERS_ENV_VAR: "python3.12=/opt/py/bin/python3.12",
            "SFP_EMULATOR_DIR": str(tmp_path / "emu"),
        }
    )
    assert chosen.code_policy == "any"
    assert chosen.trusted_zips == (paths.ZIP_PATH, extra)
    assert chosen.retry_delay(60) == 60
    assert (chosen.queue_size, chosen.async_workers, chosen.concurrency) == (7, 3, 2)
    assert chosen.idle_seconds == 1.5
    assert chosen.interpreters == {"python3.12": "/opt/py/bin/python3.12"}
    assert chosen.lambda_dir == (tmp_path / "emu" / "lambda").resolve()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        (settings.CODE_POLICY_ENV_VAR, "sometimes"),
        (settings.RETRY_MINUTE_ENV_VAR, "soon"),
        (settings.RETRY_MINUTE_ENV_VAR, "-1"),
        (settings.QUEUE_SIZE_ENV_VAR, "0"),
        (settings.INTERPRETERS_ENV_VAR, "python3.12"),
    ],
)
def test_a_bad_value_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(ToolingError, match=name):
        RuntimeSettings.from_environ({name: value})


def _zip(path: Path, content: bytes) -> str:
    path.write_bytes(content)
    return hashlib.sha256(content).hexdigest()


def test_dist_mode_runs_only_built_zips_and_remembers_earlier_builds(tmp_path: Path) -> None:
    # GIVEN the built zip
    built = tmp_path / "handler.zip"
    first = _zip(built, b"build one")
    trust = CodeTrust("dist", [built])
    trust.check(first, "processor")
    # WHEN another zip is deployed THEN it is refused with what to do about it
    with pytest.raises(UntrustedCodeError, match="SFP_EMULATOR_LAMBDA_CODE=any"):
        trust.check(hashlib.sha256(b"someone else's code").hexdigest(), "processor")
    # WHEN the developer rebuilds THEN the new build runs, and the deployed old one still does
    second = _zip(built, b"build two, longer")
    trust.check(second, "processor")
    trust.check(first, "processor")


def test_any_mode_runs_everything() -> None:
    CodeTrust("any", []).check("f" * 64, "anything")
