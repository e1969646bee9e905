"""The post-deploy canary (`invoke smoke`): black box, the same on the emulator and on AWS.

* behaviour (:mod:`~tooling.canary.behaviour`): probe objects with awkward keys uploaded with plain
  S3 calls, their results read from a temporary subscription to the results topic; the event S3
  delivered sent again with S3's own sequencer (nothing new may be published); ``POST /process``
  through the API URL, SigV4-signed (and refused unsigned);
* least privilege (:mod:`~tooling.canary.least`): each function's role is refused what it must
  not do (an STS session of the role on the emulator, IAM's policy simulator on AWS);
* wiring (:mod:`~tooling.canary.wiring`): encryption, TLS-only policy, notification, async config,
  failures queue, log groups, alarms — compared with the env's outputs, never with numbers copied
  from Terraform.

Each check is a :class:`~tooling.canary.report.Check`; the task prints a table and exits 1 when
any failed.
"""
