"""The tooling imports ``tooling.emulator.*`` without moto: only the emulator process loads it."""

from __future__ import annotations

import subprocess
import sys

from tooling.core import paths

EMULATOR_DIR = paths.REPO_ROOT / "tooling" / "emulator"
# Loaded only inside the emulator process (server.py imports moto's server at run time, the
# bootstrap runs inside sandboxes).
PROCESS_ONLY = {"server", "lambda_bootstrap"}


def test_no_emulator_module_imports_moto_or_flask_at_import_time() -> None:
    modules = sorted(
        f"tooling.emulator.{path.stem}"
        for path in EMULATOR_DIR.glob("*.py")
        if path.stem not in PROCESS_ONLY and path.stem != "__init__"
    )
    assert "tooling.emulator.lambda_runtime" in modules
    probe = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('moto', 'flask'))\n"
        "print(loaded[:5])\n"
        "sys.exit(1 if loaded else 0)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=paths.REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
