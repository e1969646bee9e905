"""CKV_SFP_1: an S3 bucket policy must deny every request that does not use TLS.

checkov has no check for FSBP S3.5 (CKV_AWS_379 only looks at public ACLs). Together with the
graph check CKV2_SFP_1 (every bucket has a policy) this enforces a TLS-only policy on every bucket.

checkov hands a policy over as a dict when it could evaluate it, and as the unevaluated source
text (e.g. "jsonencode({...})" with resource references left in) when it could not, so the check
reads the statements from text in both cases. A policy taken from a data "aws_iam_policy_document"
(`data.aws_iam_policy_document.<name>.json`) is only a reference here: the check answers UNKNOWN
and the graph check CKV2_SFP_2 reads the document itself.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

if TYPE_CHECKING:
    from collections.abc import Iterator

_Q = "['\"]"
DENY = re.compile(rf"{_Q}Effect{_Q}\s*:\s*{_Q}Deny{_Q}")
NO_TLS = re.compile(rf"aws:SecureTransport{_Q}\s*:\s*\[?\s*{_Q}?false", re.IGNORECASE)
ALL_S3_ACTIONS = re.compile(rf"{_Q}Action{_Q}\s*:\s*\[?[^\]}}]*?{_Q}(s3:)?\*{_Q}")
POLICY_DOCUMENT_REFERENCE = re.compile(
    r"^\$?\{?data\.aws_iam_policy_document\.[\w-]+(\[[^\]]*\])?\.json\}?$"
)
EVERYONE = re.compile(
    rf"{_Q}Principal{_Q}\s*:\s*({_Q}\*{_Q}|\{{\s*{_Q}AWS{_Q}\s*:\s*\[?\s*{_Q}\*{_Q})"
)


def policy_text(conf: dict[str, Any]) -> str:
    """Return the bucket policy as text, whatever form checkov parsed it into."""
    policy = conf.get("policy", "")
    if isinstance(policy, list):
        policy = policy[0] if policy else ""
    return policy if isinstance(policy, str) else json.dumps(policy)


def statements(text: str) -> Iterator[str]:
    """Yield the text of each statement object of the policy's Statement list."""
    start = re.search(rf"{_Q}Statement{_Q}\s*:\s*\[?", text)
    if start is None:
        return
    depth, begin = 0, -1
    for index in range(start.end(), len(text)):
        char = text[index]
        if char == "{":
            if depth == 0:
                begin = index
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                yield text[begin : index + 1]
            if depth < 0:
                return
        elif char == "]" and depth == 0:
            return


def denies_insecure_transport(statement: str) -> bool:
    """True when the statement denies all S3 actions to everyone without TLS."""
    return all(pattern.search(statement) for pattern in (DENY, NO_TLS, ALL_S3_ACTIONS, EVERYONE))


class S3BucketPolicyDeniesInsecureTransport(BaseResourceCheck):
    """Fails a bucket policy without a Deny on aws:SecureTransport = false."""

    def __init__(self) -> None:
        """Register the check for aws_s3_bucket_policy."""
        super().__init__(
            name="Ensure the S3 bucket policy denies requests that do not use TLS",
            id="CKV_SFP_1",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_s3_bucket_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        """Pass when one statement denies s3:* to everyone without TLS."""
        if POLICY_DOCUMENT_REFERENCE.match(policy_text(conf).strip()):
            return CheckResult.UNKNOWN  # a policy document: CKV2_SFP_2 checks it
        if any(denies_insecure_transport(s) for s in statements(policy_text(conf))):
            return CheckResult.PASSED
        return CheckResult.FAILED


check = S3BucketPolicyDeniesInsecureTransport()
