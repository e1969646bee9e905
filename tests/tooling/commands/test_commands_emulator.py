"""`invoke emulator.fault`: flags to the fault client, and what it prints."""

from __future__ import annotations

from typing import Any

import pytest
from invoke import Context, Exit

from tooling.commands import emulator as commands
from tooling.emulator import faults

FAULT = faults.Fault("abc", "sns", "Publish", 2, 2, "throttling", match="arn:topic")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, Any]]:
    seen: list[tuple[str, Any]] = []

    def inject(service: str, operation: str, **options: Any) -> faults.Fault:
        seen.append(("inject", (service, operation, options)))
        return FAULT

    monkeypatch.setattr(faults, "inject", inject)
    monkeypatch.setattr(faults, "active", lambda: seen.append(("active", None)) or [FAULT])
    monkeypatch.setattr(faults, "clear", lambda fid: seen.append(("clear", fid)) or 1)
    monkeypatch.setenv("SFP_EMULATOR_PORT", "4999")
    return seen


def _context() -> Context:
    context = Context()
    context.config.emulator = {"port": 4566}
    return context


def test_fault_passes_the_flags_and_zero_times_means_until_cleared(calls, capsys) -> None:
    commands.fault(_context(), service="s3", operation="GetObject", times=0, error="internal")
    assert calls == [
        (
            "inject",
            (
                "s3",
                "GetObject",
                {
                    "times": None,
                    "error": "internal",
                    "status": None,
                    "message": None,
                    "match": None,
                },
            ),
        )
    ]
    assert "fault abc: sns Publish matching 'arn:topic' → throttling, 2 more request(s)" in (
        capsys.readouterr().out
    )


def test_list_and_clear(calls, capsys) -> None:
    commands.fault(_context(), list=True)
    commands.fault(_context(), clear=True, id="abc")
    assert calls == [("active", None), ("clear", "abc")]
    assert "cleared 1 fault(s)" in capsys.readouterr().out


def test_a_fault_without_an_operation_is_a_clear_error(calls) -> None:
    with pytest.raises(Exit, match="which operation should fail"):
        commands.fault(_context(), service="sns")
    assert calls == []
