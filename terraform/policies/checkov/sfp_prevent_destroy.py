"""CKV_SFP_2: stateful and identity resources carry lifecycle { prevent_destroy = true }.

checkov has no check for it; plan-file scans ignore lifecycle blocks, so this runs on HCL.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

PROTECTED_RESOURCE_TYPES = [
    "aws_s3_bucket",
    "aws_lambda_function",
    "aws_sns_topic",
    "aws_iam_role",
    "aws_kms_key",
    "aws_dynamodb_table",
]


def has_prevent_destroy(conf: dict[str, Any]) -> bool:
    """True when the resource's lifecycle block sets prevent_destroy = true literally."""
    for lifecycle in conf.get("lifecycle", []):
        if not isinstance(lifecycle, dict):
            continue
        value = lifecycle.get("prevent_destroy")
        if isinstance(value, list):
            value = value[0] if value else None
        if value is True or (isinstance(value, str) and value.lower() == "true"):
            return True
    return False


class PreventDestroyOnProtectedResources(BaseResourceCheck):
    """Fails protected resource types without prevent_destroy = true."""

    def __init__(self) -> None:
        """Register the check for the protected resource types."""
        super().__init__(
            name="Ensure buckets, functions, topics, roles, keys and tables set prevent_destroy",
            id="CKV_SFP_2",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=PROTECTED_RESOURCE_TYPES,
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Pass only with a literal prevent_destroy = true."""
        return CheckResult.PASSED if has_prevent_destroy(conf) else CheckResult.FAILED


check = PreventDestroyOnProtectedResources()
