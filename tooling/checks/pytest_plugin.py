"""A pytest plugin (loaded from pyproject.toml's addopts) that keeps integration tests sharing an
expensive fixture on one pytest-xdist worker.

The integration tests build fixtures that copy the checkout, start emulators and deploy the
stack, once per session or module; on two workers, each would build them again. With
``--dist loadgroup`` (what ``invoke test`` passes) the integration tests that share such a
fixture of the project's own (session, package or module scoped; directly or through a chain of
tests: connected components) join one group, so one worker builds it once and runs them, while
integration tests with fixtures of their own form groups of their own and run beside them on
other workers. Integration tests sharing nothing, and the rest of the suite, are shared test by
test. Without xdist (``-p no:xdist``) nothing is marked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Sequence

INTEGRATION_MARK = "integration"
GROUP_PREFIX = "integration"


@pytest.hookimpl(tryfirst=True)  # before xdist reads the groups in its own hook
def pytest_collection_modifyitems(config: pytest.Config, items: Sequence[pytest.Item]) -> None:
    """Give every ``integration`` test the group of the session fixtures it shares."""
    if not config.pluginmanager.hasplugin("xdist"):
        # ``-p no:xdist``: no groups to keep, and no ``xdist_group`` marker registered for
        # ``--strict-markers`` to accept.
        return
    tests = [
        (item, shared_session_fixtures(item))
        for item in items
        if item.get_closest_marker(INTEGRATION_MARK) and not item.get_closest_marker("xdist_group")
    ]
    parent: dict[str, str] = {}

    def root(name: str) -> str:
        while parent.setdefault(name, name) != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for _, fixtures in tests:
        for other in fixtures[1:]:
            parent[root(other)] = root(fixtures[0])
    for item, fixtures in tests:
        if fixtures:
            item.add_marker(pytest.mark.xdist_group(f"{GROUP_PREFIX}:{root(fixtures[0])}"))


SHARED_SCOPES = ("session", "package", "module")


def shared_session_fixtures(item: pytest.Item) -> list[str]:
    """Keys of the fixtures ``item`` uses that outlive one test and are the project's own
    (conftest or test modules, not plugins such as ``tmp_path_factory``), sorted. A module
    fixture is one per module, so its key names the module."""
    info = getattr(item, "_fixtureinfo", None)
    if info is None:
        return []
    module = item.nodeid.split("::", 1)[0]
    keys = []
    for name, definitions in info.name2fixturedefs.items():
        definition = definitions[-1] if definitions else None
        if definition is None or not definition.baseid or definition.scope not in SHARED_SCOPES:
            continue
        where = module if definition.scope == "module" else definition.baseid
        keys.append(f"{definition.scope}:{where}:{name}")
    return sorted(keys)
