"""CKV_SFP_3: no AWS-managed policy is attached to a role (the function roles in particular).

AWS-managed policies (arn:<partition>:iam::aws:policy/...) are broad and change under you; every
role here uses custom policies scoped to resource ARNs.
"""

from __future__ import annotations

import re
from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

AWS_MANAGED_POLICY = re.compile(r"^arn:[a-z-]+:iam::aws:policy/")


def _values(value: Any) -> list[Any]:
    """Flatten checkov's list-wrapped attribute values."""
    if isinstance(value, list):
        return [item for element in value for item in _values(element)]
    return [value]


def attaches_aws_managed_policy(conf: dict[str, Any]) -> bool:
    """True when any policy ARN of the resource is an AWS-managed policy."""
    arns = [
        *_values(conf.get("policy_arn", [])),
        *_values(conf.get("managed_policy_arns", [])),
        *_values(conf.get("policy_arns", [])),
    ]
    return any(isinstance(arn, str) and AWS_MANAGED_POLICY.match(arn) for arn in arns)


class NoAwsManagedPolicyOnRoles(BaseResourceCheck):
    """Fails role attachments of AWS-managed policies."""

    def __init__(self) -> None:
        """Register the check for every way of attaching a managed policy to a role."""
        super().__init__(
            name="Ensure no AWS-managed policy is attached to the function roles",
            id="CKV_SFP_3",
            categories=[CheckCategories.IAM],
            supported_resources=[
                "aws_iam_role",
                "aws_iam_role_policy_attachment",
                "aws_iam_policy_attachment",
                "aws_iam_role_policy_attachments_exclusive",
            ],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Fail on any arn:<partition>:iam::aws:policy/... reference."""
        return CheckResult.FAILED if attaches_aws_managed_policy(conf) else CheckResult.PASSED


check = NoAwsManagedPolicyOnRoles()
