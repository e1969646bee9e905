"""Shared pytest fixtures for the GitOps tests."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Render as on a laptop unless a test sets the GitHub variables itself."""
    for name in ("GITHUB_ACTIONS", "GITHUB_ACTOR", "GITHUB_RUN_ID", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)
