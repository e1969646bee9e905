"""Tooling for serverless-file-processor: build, check, plan, apply, emulate, canary and report.

One subpackage per concern; each imports only the ones listed after its arrow (enforced by
``tests/tooling/test_layers.py``)::

    core      errors, paths, envs, tools, emulator facts  -> (nothing)
    build     the reproducible Lambda zip                 -> core
    tf        the python-terraform runner                 -> core
    plan      a saved plan: summary, destroy guard        -> core
    emulator  the embedded AWS emulator, --emulated roots -> core
    deploy    one env through a saved, reviewed plan      -> core, tf, plan, build, emulator
    stack     a deployed env seen from outside            -> core
    run       invoking a deployed function                -> core, stack, deploy, emulator
    canary    the post-deploy canary                      -> core, stack, run, deploy, emulator
    ops       failures, redrive, logs, status (runbook)   -> core, stack, run, deploy, emulator
    gitops    PR plan comment, workflow linters           -> core, plan
    checks    the `check` steps and the `test` suite      -> core, tf, gitops
    commands  the invoke tasks (``tasks.py`` assembles)   -> anything
"""
