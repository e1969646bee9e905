# One role per function, with one custom inline policy each: no AWS-managed policies, and every
# statement scoped to ARNs taken from resource references. The policies are
# data "aws_iam_policy_document" blocks, so checkov's IAM checks evaluate them.

data "aws_iam_policy_document" "assume_role" {
  statement {
    sid     = "LambdaAssumesTheRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

# The processor: reads uploads, keeps idempotency records, publishes results, and - as Lambda's
# on-failure destination, delivered with this role - failure records.
data "aws_iam_policy_document" "processor" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["processor"].arn}:*"]
  }

  # Read the uploads; ListBucket makes a missing key a 404 instead of a 403. No s3:PutObject: the
  # functions can never write to the bucket that triggers them (no recursion).
  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.uploads_bucket.arn}/*"]
  }

  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [var.uploads_bucket.arn]
  }

  # Decrypt: reading SSE-KMS uploads, the encrypted table (DynamoDB decrypts its table key for
  # the caller) and publishing to the encrypted topics; GenerateDataKey: publishing to them (the
  # results topic, and Lambda's failure records to the failures topic, sent with this role).
  # The environment needs neither: Lambda decrypts it through a grant (docs/terraform.md).
  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "PublishResults"
    actions   = ["sns:Publish"]
    resources = [var.results_topic_arn, var.failures_topic_arn]
  }

  # Powertools idempotency: a conditional PutItem (ReturnValuesOnConditionCheckFailure=ALL_OLD,
  # so a duplicate's record comes back with the failure), UpdateItem when done, DeleteItem when
  # the work failed. No GetItem: Powertools reads the record with it only when the failed
  # PutItem carries no item, which needs a boto3 older than 1.26.164 (Lambda's Python 3.12
  # runtime ships a newer one; the zip vendors none). tests/handler/test_handler_grants.py.
  statement {
    sid       = "IdempotencyRecords"
    actions   = ["dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
    resources = [var.idempotency_table.arn]
  }

  # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions: the only
  # "*" of the policy.
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

# The api function answers its caller and publishes nothing (docs/handler.md): it reads uploads
# and never encrypts anything, so it gets kms:Decrypt only and no topic or table access.
data "aws_iam_policy_document" "api" {
  statement {
    sid       = "OwnLogGroup"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function["api"].arn}:*"]
  }

  statement {
    sid       = "ReadUploads"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${var.uploads_bucket.arn}/*"]
  }

  statement {
    sid       = "ListUploads"
    actions   = ["s3:ListBucket"]
    resources = [var.uploads_bucket.arn]
  }

  statement {
    sid       = "UseKey"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]
  }

  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

locals {
  function_policies = {
    processor = data.aws_iam_policy_document.processor.json
    api       = data.aws_iam_policy_document.api.json
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name               = each.value.name
  description        = "Execution role of the ${each.value.name} function"
  assume_role_policy = data.aws_iam_policy_document.assume_role.json

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${each.value.name}-least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = local.function_policies[each.key]
}
