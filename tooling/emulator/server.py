"""The emulator process: moto server, with the project's patches installed first.

Run as ``python -m tooling.emulator.server -H 127.0.0.1 -p PORT`` (what
:func:`tooling.emulator.lifecycle.moto_command` starts); the arguments are moto server's own.

Each patched concern lives in its own module with an ``install()``; this module only lists them.
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

import argparse
import logging
import sys
from typing import Any

from tooling.emulator import (
    faults,
    iam,
    lambda_async,
    lambda_runtime,
    logs_queries,
    rest_api_policy,
    s3_notifications,
    wsgi,
)
from tooling.emulator.settings import RuntimeSettings


def patch_moto(endpoint: str) -> None:
    """Apply every patch to the moto modules of this process (``endpoint``: where it listens)."""
    _skip_bucket_policies()
    _add_log_group_key_actions()
    logs_queries.install()
    rest_api_policy.install()
    settings = RuntimeSettings.from_environ()
    faults.install()
    runtime = lambda_runtime.install(settings, endpoint)
    lambda_async.install(settings, runtime)
    s3_notifications.install()
    iam.install()  # function sessions checked against their role's policies (docs/emulator.md)
    wsgi.install()  # loopback-only Host header; /_aws/execute-api/… served by apigateway.py


def _skip_bucket_policies() -> None:
    from moto.iam.access_control import PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        # NEUTRAL = "the bucket policy neither allows nor denies": moto then applies its usual
        # (permissive) defaults, as for a bucket without a policy.
        del self, action, resource
        return PermissionResult.NEUTRAL

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


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


def endpoint_from(argv: list[str]) -> str:
    """The URL functions use to reach this server, from moto server's -H/-p options."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5000)
    known, _ = parser.parse_known_args(argv)
    host = "127.0.0.1" if known.host in ("0.0.0.0", "", "::") else known.host  # noqa: S104
    return f"http://{host}:{known.port}"


def main(argv: list[str] | None = None) -> None:
    """Patch moto, then run its server with ``argv`` (moto server's own options)."""
    arguments = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    patch_moto(endpoint_from(arguments))
    from moto.server import main as moto_main

    moto_main(arguments)


if __name__ == "__main__":
    main()
