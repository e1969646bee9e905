"""The repo's custom checkov checks fail on a bad snippet and pass on a good one."""

from __future__ import annotations

BUCKET = """
resource "aws_s3_bucket" "data" {
  bucket = "example-data"
}
"""

TLS_ONLY_POLICY = """
resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid       = "DenyInsecureTransport"
      Effect    = "Deny"
      Principal = { AWS = "*" }
      Action    = "s3:*"
      Resource  = [aws_s3_bucket.data.arn, "${aws_s3_bucket.data.arn}/*"]
      Condition = { Bool = { "aws:SecureTransport" = "false" } }
    }]
  })
}
"""

ALLOW_ONLY_POLICY = """
resource "aws_s3_bucket_policy" "data" {
  bucket = aws_s3_bucket.data.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Principal = { AWS = "arn:aws:iam::123456789012:root" }
      Action    = "s3:GetObject"
      Resource  = "${aws_s3_bucket.data.arn}/*"
    }]
  })
}
"""


def test_tls_only_policy_check_fails_a_policy_without_the_tls_deny(run_custom_check):
    # GIVEN a bucket policy that only allows reads
    # WHEN CKV_SFP_1 scans it
    passed, failed = run_custom_check("CKV_SFP_1", BUCKET + ALLOW_ONLY_POLICY)
    # THEN the policy fails
    assert failed == {"aws_s3_bucket_policy.data"}
    assert passed == set()


def test_tls_only_policy_check_passes_a_policy_that_denies_insecure_transport(run_custom_check):
    # GIVEN a bucket policy denying s3:* to everyone when aws:SecureTransport is false
    # WHEN CKV_SFP_1 scans it
    passed, failed = run_custom_check("CKV_SFP_1", BUCKET + TLS_ONLY_POLICY)
    # THEN the policy passes
    assert passed == {"aws_s3_bucket_policy.data"}
    assert failed == set()


def test_every_bucket_check_fails_a_bucket_without_a_policy(run_custom_check):
    # GIVEN a bucket with no bucket policy at all
    # WHEN CKV2_SFP_1 scans it
    passed, failed = run_custom_check("CKV2_SFP_1", BUCKET)
    # THEN the bucket fails
    assert failed == {"aws_s3_bucket.data"}
    assert passed == set()


def test_every_bucket_check_passes_a_bucket_with_a_policy(run_custom_check):
    # GIVEN a bucket with its TLS-only policy
    # WHEN CKV2_SFP_1 scans it
    passed, failed = run_custom_check("CKV2_SFP_1", BUCKET + TLS_ONLY_POLICY)
    # THEN the bucket passes
    assert passed == {"aws_s3_bucket.data"}
    assert failed == set()


def test_prevent_destroy_check_fails_a_table_without_it(run_custom_check):
    # GIVEN a table whose lifecycle block does not prevent destruction
    hcl = """
resource "aws_dynamodb_table" "records" {
  name     = "records"
  hash_key = "id"
  lifecycle {
    create_before_destroy = true
  }
}
"""
    # WHEN CKV_SFP_2 scans it
    passed, failed = run_custom_check("CKV_SFP_2", hcl)
    # THEN the table fails
    assert failed == {"aws_dynamodb_table.records"}
    assert passed == set()


def test_prevent_destroy_check_passes_protected_resources(run_custom_check):
    # GIVEN a key and a topic that both set prevent_destroy = true
    hcl = """
resource "aws_kms_key" "data" {
  enable_key_rotation = true
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_sns_topic" "results" {
  name = "results"
  lifecycle {
    prevent_destroy = true
  }
}
"""
    # WHEN CKV_SFP_2 scans them
    passed, failed = run_custom_check("CKV_SFP_2", hcl)
    # THEN both pass
    assert passed == {"aws_kms_key.data", "aws_sns_topic.results"}
    assert failed == set()


def test_managed_policy_check_fails_an_aws_managed_attachment(run_custom_check):
    # GIVEN a function role with AWSLambdaBasicExecutionRole attached
    hcl = """
resource "aws_iam_role_policy_attachment" "basic" {
  role       = "processor"
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
}

resource "aws_iam_role" "legacy" {
  name                = "legacy"
  assume_role_policy  = "{}"
  managed_policy_arns = ["arn:aws-us-gov:iam::aws:policy/ReadOnlyAccess"]
}
"""
    # WHEN CKV_SFP_3 scans it
    passed, failed = run_custom_check("CKV_SFP_3", hcl)
    # THEN both ways of attaching an AWS-managed policy fail
    assert failed == {"aws_iam_role_policy_attachment.basic", "aws_iam_role.legacy"}
    assert passed == set()


def test_managed_policy_check_passes_a_customer_managed_attachment(run_custom_check):
    # GIVEN a role with a customer-managed policy of the account attached
    hcl = """
resource "aws_iam_role_policy_attachment" "custom" {
  role       = "processor"
  policy_arn = "arn:aws:iam::123456789012:policy/processor-least-privilege"
}
"""
    # WHEN CKV_SFP_3 scans it
    passed, failed = run_custom_check("CKV_SFP_3", hcl)
    # THEN it passes
    assert passed == {"aws_iam_role_policy_attachment.custom"}
    assert failed == set()


def tls_document(
    effect: str = "Deny", secure_transport: str = "false", identifier: str = "*"
) -> str:
    """A bucket policy built from a policy document with one TLS statement (parameterised)."""
    return f"""
data "aws_iam_policy_document" "data" {{
  statement {{
    sid       = "DenyInsecureTransport"
    effect    = "{effect}"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.data.arn, "${{aws_s3_bucket.data.arn}}/*"]
    principals {{
      type        = "AWS"
      identifiers = ["{identifier}"]
    }}
    condition {{
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["{secure_transport}"]
    }}
  }}
  statement {{
    sid       = "DenyOtherKeys"
    effect    = "Deny"
    actions   = ["s3:PutObject"]
    resources = ["${{aws_s3_bucket.data.arn}}/*"]
    principals {{
      type        = "AWS"
      identifiers = ["*"]
    }}
    condition {{
      test     = "StringNotEqualsIfExists"
      variable = "s3:x-amz-server-side-encryption"
      values   = ["aws:kms"]
    }}
  }}
}}

resource "aws_s3_bucket_policy" "data" {{
  bucket = aws_s3_bucket.data.id
  policy = data.aws_iam_policy_document.data.json
}}
"""


def test_document_tls_check_passes_a_policy_document_that_denies_insecure_transport(
    run_custom_check,
):
    # GIVEN a bucket policy from a policy document with the TLS deny among other statements
    # WHEN CKV2_SFP_2 scans it
    passed, failed = run_custom_check("CKV2_SFP_2", BUCKET + tls_document())
    # THEN the policy passes
    assert passed == {"aws_s3_bucket_policy.data"}
    assert failed == set()


def test_document_tls_check_fails_a_document_whose_tls_statement_allows_or_misses(
    run_custom_check,
):
    # GIVEN documents whose TLS statement allows, denies TLS requests, or names one principal
    for hcl in (
        tls_document(effect="Allow"),
        tls_document(secure_transport="true"),
        tls_document(identifier="arn:aws:iam::123456789012:root"),
    ):
        # WHEN CKV2_SFP_2 scans it
        passed, failed = run_custom_check("CKV2_SFP_2", BUCKET + hcl)
        # THEN the policy fails
        assert failed == {"aws_s3_bucket_policy.data"}, hcl
        assert passed == set(), hcl


def test_inline_tls_check_leaves_policy_documents_to_the_graph_check(run_custom_check):
    # GIVEN a bucket policy from a policy document (a reference CKV_SFP_1 cannot follow)
    # WHEN CKV_SFP_1 scans it
    passed, failed = run_custom_check("CKV_SFP_1", BUCKET + tls_document())
    # THEN it neither passes nor fails it (CKV2_SFP_2 does the work)
    assert (passed, failed) == (set(), set())


def test_document_tls_check_leaves_inline_policies_to_the_resource_check(run_custom_check):
    # GIVEN an inline (jsonencode) bucket policy without the TLS deny
    # WHEN CKV2_SFP_2 scans it
    passed, failed = run_custom_check("CKV2_SFP_2", BUCKET + ALLOW_ONLY_POLICY)
    # THEN it passes here (CKV_SFP_1 fails it, see above)
    assert passed == {"aws_s3_bucket_policy.data"}
    assert failed == set()
