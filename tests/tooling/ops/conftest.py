"""Fixtures of the operator command tests (``aws``/``stack``: tests/tooling/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _short_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto answers at once: the long poll that asks every SQS server only slows the tests."""
    monkeypatch.setattr("tooling.ops.queue.WAIT_SECONDS", 0)
