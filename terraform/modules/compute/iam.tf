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

  # Decrypt: SSE-KMS uploads, the encrypted table, the environment. GenerateDataKey: publishing
  # to the encrypted topics and writing to the encrypted table.
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

  statement {
    sid       = "IdempotencyRecords"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
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
