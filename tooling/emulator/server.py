"""The emulator process: moto server, with the project's fixes for moto quirks applied first.

Run as ``python -m tooling.emulator.server -H 127.0.0.1 -p PORT`` (what
:func:`tooling.emulator.lifecycle.moto_command` starts); the arguments are moto server's own.

Quirks fixed here, and why they are fixed in the emulator rather than in the Terraform config:

* **S3 bucket policies with conditions deny everything.** moto evaluates bucket policies on
  object calls, but cannot evaluate the ``Bool`` operator and treats a statement whose
  condition it does not understand as matching. The buckets' TLS-only statement
  (``Deny s3:* when aws:SecureTransport is false``, required on every bucket) therefore becomes
  an unconditional Deny, and every GetObject/PutObject answers 403 — even over TLS. Resource
  policies are not enforced by the emulator (identity policies of function sessions are: see
  :mod:`tooling.emulator.iam`), so bucket-policy evaluation is skipped altogether; the policies
  are still stored and returned, so Terraform plans stay exact, and proved statically instead.
* **Saved Logs Insights queries hang the apply**: see :mod:`tooling.emulator.logs_queries`.
* **REST API resource policies cannot be read back**: see :mod:`tooling.emulator.rest_api_policy`.
* **Changing a log group's KMS key hangs the apply.** moto implements ``kmsKeyId`` on
  CreateLogGroup but not ``AssociateKmsKey``/``DisassociateKmsKey``: it answers 500 and the
  provider retries until its timeout. Any in-place key change (a re-created key, a state left by
  an interrupted apply) then never finishes. The two actions are added here with AWS's
  semantics: set or clear the group's key, ResourceNotFoundException for an unknown group.
"""

from __future__ import annotations

import sys
from typing import Any

from tooling.emulator import iam, wsgi


def patch_moto() -> None:
    """Apply the fixes above to the moto modules of this process."""
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    from tooling.emulator import (  # they import moto: only this process loads them
        logs_queries,
        rest_api_policy,
    )

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        # NEUTRAL = "the bucket policy neither allows nor denies": moto then applies its usual
        # (permissive) defaults, as for a bucket without a policy.
        del self, action, resource
        return PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]
    _add_log_group_key_actions()
    logs_queries.install()
    rest_api_policy.install()
    iam.install()  # function sessions checked against their role's policies (docs/emulator.md)
    wsgi.install()  # loopback-only Host header; /_aws/execute-api/… served by apigateway.py


def _add_log_group_key_actions() -> None:
    """AssociateKmsKey / DisassociateKmsKey on CloudWatch Logs groups (missing in moto)."""
    from moto.logs.exceptions import ResourceNotFoundException
    from moto.logs.responses import LogsResponse

    def set_group_key(response: LogsResponse, key_id: str | None) -> str:
        groups = response.logs_backend.groups
        name = response._get_param("logGroupName")
        if name not in groups:
            raise ResourceNotFoundException()
        groups[name].kms_key_id = key_id
        return ""

    def associate_kms_key(self: LogsResponse) -> str:
        return set_group_key(self, self._get_param("kmsKeyId"))

    def disassociate_kms_key(self: LogsResponse) -> str:
        return set_group_key(self, None)

    LogsResponse.associate_kms_key = associate_kms_key  # type: ignore[attr-defined]
    LogsResponse.disassociate_kms_key = disassociate_kms_key  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    """Patch moto, then run its server with ``argv`` (moto server's own options)."""
    patch_moto()
    from moto.server import main as moto_main

    moto_main(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
