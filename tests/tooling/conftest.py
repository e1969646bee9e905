"""Fixtures for the tooling tests: tiny handler trees, locally built wheels (offline, fast), and
an in-process moto holding the resources a deployed env has."""

from __future__ import annotations

import base64
import hashlib
import zipfile
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tooling.stack.deployment import Deployment


def build_wheel(wheelhouse: Path, name: str, version: str, files: dict[str, bytes]) -> Path:
    """Write a minimal pure-python wheel (py3-none-any) holding ``files`` into ``wheelhouse``."""
    wheelhouse.mkdir(parents=True, exist_ok=True)
    dist_info = f"{name}-{version}.dist-info"
    contents = dict(files)
    contents[f"{dist_info}/METADATA"] = (
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
    )
    contents[f"{dist_info}/WHEEL"] = (
        b"Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    )
    contents[f"{dist_info}/LICENSE"] = b"MIT License\n"
    contents[f"{dist_info}/top_level.txt"] = name.encode() + b"\n"
    record_lines = []
    for path, data in contents.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record_lines.append(f"{path},sha256={digest},{len(data)}")
    record_lines.append(f"{dist_info}/RECORD,,")
    contents[f"{dist_info}/RECORD"] = ("\n".join(record_lines) + "\n").encode()
    wheel = wheelhouse / f"{name}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in contents.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A local wheel index: a fake Powertools with the assets the build must drop, and a boto3."""
    house = tmp_path_factory.mktemp("wheelhouse")
    build_wheel(
        house,
        "aws_lambda_powertools",
        "3.0.0",
        {
            "aws_lambda_powertools/__init__.py": b"VERSION = '3.0.0'\n",
            "aws_lambda_powertools/logging.py": b"def get_logger():\n    return None\n",
            "aws_lambda_powertools/__pycache__/logging.cpython-311.pyc": b"\x00bytecode",
            "aws_lambda_powertools/py.typed": b"",
            "aws_lambda_powertools/stubs.pyi": b"x: int\n",
            "aws_lambda_powertools/event_handler/openapi/swagger_ui/swagger-ui.js": b"js" * 500,
            "aws_lambda_powertools/event_handler/openapi/__init__.py": b"",
        },
    )
    build_wheel(house, "boto3", "1.35.0", {"boto3/__init__.py": b"# shadowing the runtime\n"})
    return house


def write_handler_tree(root: Path, requirements: str) -> Path:
    """A handler dir like the real one, plus the local clutter a build must ignore."""
    handler = root / "handler"
    package = handler / "file_processor"
    (package / "__pycache__").mkdir(parents=True)
    (package / "tests").mkdir()
    (handler / "events").mkdir()
    (handler / "app.py").write_text("def lambda_handler(event, context):\n    return event\n")
    (package / "__init__.py").write_text('"""Domain."""\n')
    (package / "core.py").write_text("def size(data):\n    return len(data)\n")
    (package / "tool.sh").write_text("#!/bin/sh\necho hi\n")
    (package / "tool.sh").chmod(0o775)
    (package / "__pycache__" / "core.cpython-311.pyc").write_bytes(b"\x00stale")
    (package / "tests" / "test_core.py").write_text("def test_x():\n    pass\n")
    (handler / "events" / "s3.json").write_text("{}\n")
    (handler / "requirements.txt").write_text(requirements)
    return handler


@pytest.fixture
def make_handler() -> object:
    """Factory fixture: ``make_handler(root, requirements_text) -> handler dir``."""
    return write_handler_tree


@pytest.fixture(autouse=True)
def _no_github_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run as on a laptop unless a test sets the GitHub Actions variables itself."""
    for name in ("GITHUB_ACTIONS", "GITHUB_ACTOR", "GITHUB_RUN_ID", "GITHUB_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """moto in-process: the deployed stack's clients (tests/tooling/stack_fixtures.py)."""
    from stack_fixtures import moto_aws

    with moto_aws(monkeypatch) as clients:
        yield clients


@pytest.fixture
def stack(aws: dict[str, Any]) -> Deployment:
    """The resources every env root deploys, built in the in-process moto (``aws``)."""
    from stack_fixtures import build_stack

    return build_stack(aws)
