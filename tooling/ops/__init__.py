"""Operating a deployed env: what the runbook (docs/runbook.md) tells on-call to run.

* :mod:`~tooling.ops.failures` — ``invoke failures``: the failed events waiting in the queue;
* :mod:`~tooling.ops.redrive` — ``invoke redrive``: process them again, losing none;
* :mod:`~tooling.ops.logs` — ``invoke logs``: a function's log lines, structured, ``--follow``;
* :mod:`~tooling.ops.status` — ``invoke status``: alarms, last hour's traffic, failures, artifact.

Every command works on every env, the emulator included (:mod:`tooling.run.target`).
"""
