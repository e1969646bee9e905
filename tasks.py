"""Invoke tasks: the project's one front door (`invoke --list`).

This file only assembles collections; the tasks live in `tooling/commands/`, one module per
concern, and each makes one call into the `tooling` package.
"""

from __future__ import annotations

from invoke import Collection

from tooling.commands import build, canary, checks, common, deploy, emulator, gitops, ops, run

namespace = Collection()
for commands in (build, checks, deploy, run, canary, ops, gitops):
    for command in commands.TASKS:
        namespace.add_task(command)
namespace.add_collection(Collection("emulator", *emulator.TASKS))
namespace.configure(common.CONFIG_DEFAULTS)
