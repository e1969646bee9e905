"""A pytest plugin (loaded from pyproject.toml's addopts) that keeps the integration tests on one
pytest-xdist worker.

The integration tests share session fixtures that copy the checkout, start emulators and
deploy the stack; on two workers each would do all of that again. With ``--dist loadgroup``
(what ``invoke test`` passes) every test marked ``integration`` joins one group, so one worker
runs them, one after the other, while the others share the rest of the suite test by test.
Without xdist the mark does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

INTEGRATION_MARK = "integration"
INTEGRATION_GROUP = "integration"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups in its own hook
def pytest_collection_modifyitems(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """Put every ``integration`` test into the one xdist group."""
    del config
    for item in items:
        if item.get_closest_marker(INTEGRATION_MARK) and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group(INTEGRATION_GROUP))
