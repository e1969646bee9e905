# One role per function, with one custom inline policy each: no AWS-managed policies, and every
# statement scoped to ARNs taken from resource references.

locals {
  common_statements = {
    # Read the uploads; ListBucket makes a missing key a 404 instead of a 403. No s3:PutObject:
    # the functions can never write to the bucket that triggers them (no recursion).
    ReadUploads = {
      Effect   = "Allow"
      Action   = ["s3:GetObject", "s3:GetObjectVersion"]
      Resource = ["${var.uploads_bucket.arn}/*"]
    }
    ListUploads = {
      Effect   = "Allow"
      Action   = ["s3:ListBucket"]
      Resource = [var.uploads_bucket.arn]
    }
    UseKey = {
      Effect   = "Allow"
      Action   = ["kms:Decrypt", "kms:GenerateDataKey"]
      Resource = [var.kms_key_arn]
    }
    # X-Ray's PutTraceSegments/PutTelemetryRecords support no resource-level permissions:
    # this is the only "*" in the policy.
    Tracing = {
      Effect   = "Allow"
      Action   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      Resource = ["*"]
    }
  }

  # Only the processor publishes and keeps idempotency records: POST /process answers its caller
  # and publishes nothing (docs/handler.md). It also publishes to the failures topic because
  # Lambda delivers on-failure records with the function's execution role.
  processor_statements = {
    PublishResults = {
      Effect   = "Allow"
      Action   = ["sns:Publish"]
      Resource = [var.results_topic_arn, var.failures_topic_arn]
    }
    IdempotencyRecords = {
      Effect   = "Allow"
      Action   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      Resource = [var.idempotency_table.arn]
    }
  }
  function_statements = {
    processor = merge(local.common_statements, local.processor_statements)
    api       = local.common_statements
  }

  function_policies = {
    for key in keys(local.functions) : key => {
      Version = "2012-10-17"
      Statement = concat(
        [
          {
            Sid      = "OwnLogGroup"
            Effect   = "Allow"
            Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
            Resource = ["${aws_cloudwatch_log_group.function[key].arn}:*"]
          },
        ],
        [for sid, statement in local.function_statements[key] : merge({ Sid = sid }, statement)],
      )
    }
  }
}

resource "aws_iam_role" "function" {
  for_each = local.functions

  name        = each.value.name
  description = "Execution role of the ${each.value.name} function"
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      {
        Effect    = "Allow"
        Principal = { Service = "lambda.amazonaws.com" }
        Action    = "sts:AssumeRole"
      },
    ]
  })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = "${each.value.name}-least-privilege"
  role   = aws_iam_role.function[each.key].id
  policy = jsonencode(local.function_policies[each.key])
}
