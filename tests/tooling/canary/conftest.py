"""moto in-process for this directory's tests (``aws``: the stack's clients; ``stack``: built)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from stack_fixtures import build_stack, moto_aws

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tooling.stack.deployment import Deployment


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    with moto_aws(monkeypatch) as clients:
        yield clients


@pytest.fixture
def stack(aws: dict[str, Any]) -> Deployment:
    return build_stack(aws)
