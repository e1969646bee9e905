"""tasks.py assembles every command module into the one `invoke` front door."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys

from invoke import Collection, Task

import tooling.commands
from tooling.core import paths


def test_tasks_py_loads_and_exposes_every_task_of_every_command_module():
    # GIVEN the command modules, each listing its tasks in TASKS
    modules = [
        importlib.import_module(f"tooling.commands.{info.name}")
        for info in pkgutil.iter_modules(tooling.commands.__path__)
    ]
    # (invoke names a task after its function, with '-' for '_')
    listed = {
        task.name.replace("_", "-") for module in modules for task in getattr(module, "TASKS", ())
    }
    # WHEN tasks.py is loaded the way invoke loads it
    namespace = importlib.import_module("tasks").namespace
    assert isinstance(namespace, Collection)
    exposed = set(namespace.task_names)
    # THEN every listed task is reachable (emulator tasks under `emulator.`)
    emulator = importlib.import_module("tooling.commands.emulator")
    in_emulator = {task.name.replace("_", "-") for task in emulator.TASKS}
    expected = (listed - in_emulator) | {f"emulator.{name}" for name in in_emulator}
    assert expected <= exposed
    # AND every module that defines invoke tasks lists all of them
    for module in modules:
        defined = {value for value in vars(module).values() if isinstance(value, Task)}
        assert defined <= set(getattr(module, "TASKS", ())), module.__name__


def test_invoke_list_runs_without_a_traceback():
    # GIVEN the repo WHEN `invoke --list` runs in a fresh interpreter THEN it lists the tasks
    listed = subprocess.run(
        [sys.executable, "-m", "invoke", "--list"],
        cwd=paths.REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert listed.returncode == 0, listed.stderr
    assert "deploy" in listed.stdout
    assert "Traceback" not in listed.stderr
