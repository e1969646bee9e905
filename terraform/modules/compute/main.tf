# Two functions from the same zip and the same handler (app.lambda_handler):
#   processor - invoked asynchronously by S3, long timeout (large objects are streamed),
#               retries + on-failure destination;
#   api       - invoked synchronously by API Gateway, timeout well under the 29 s integration
#               timeout so that a request never outlives its HTTP call.

locals {
  functions = {
    processor = merge(var.processor, { name = var.function_names.processor })
    api       = merge(var.api, { name = var.function_names.api })
  }

  environment = {
    BUCKET_NAME                  = var.uploads_bucket.id
    TOPIC_ARN                    = var.results_topic_arn
    IDEMPOTENCY_TABLE            = var.idempotency_table.name
    MAX_OBJECT_BYTES             = tostring(var.handler_settings.max_object_bytes)
    MAX_SYNC_OBJECT_BYTES        = tostring(var.handler_settings.max_sync_object_bytes)
    POWERTOOLS_SERVICE_NAME      = var.handler_settings.service_name
    POWERTOOLS_METRICS_NAMESPACE = var.handler_settings.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.handler_settings.log_level
  }
}

data "aws_caller_identity" "current" {}

# Created before the functions (the functions depend on them), so Lambda never auto-creates an
# unencrypted group with infinite retention.
resource "aws_cloudwatch_log_group" "function" {
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_in_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_lambda_function" "this" {
  for_each = local.functions

  #checkov:skip=CKV_AWS_117:No VPC resources are used; a VPC would add NAT/endpoint cost and cold-start latency for no isolation gain (Serverless Lens: attach a VPC only when needed).
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile and signing step in the build; the zip is built byte-reproducibly and its sha256 pinned instead.
  #checkov:skip=CKV_AWS_116:Failed async events go to an SNS on-failure destination (richer record than a DLQ); checkov only reads dead_letter_config (bridgecrewio/checkov#1795). The api function is synchronous: no DLQ applies.
  function_name                  = each.value.name
  description                    = "serverless-file-processor ${each.key} function"
  role                           = aws_iam_role.function[each.key].arn
  filename                       = var.package_path
  source_code_hash               = var.package_base64sha256
  handler                        = "app.lambda_handler"
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  memory_size                    = each.value.memory_size
  timeout                        = each.value.timeout
  reserved_concurrent_executions = each.value.reserved_concurrency
  kms_key_arn                    = var.kms_key_arn

  environment {
    variables = local.environment
  }

  tracing_config {
    mode = "Active"
  }

  depends_on = [
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
  ]

  lifecycle {
    prevent_destroy = true
  }
}

# Retries of the asynchronous S3 invocations, and where events go once they are exhausted.
resource "aws_lambda_function_event_invoke_config" "processor" {
  function_name                = aws_lambda_function.this["processor"].function_name
  maximum_retry_attempts       = var.async_retries.maximum_retry_attempts
  maximum_event_age_in_seconds = var.async_retries.maximum_event_age_in_seconds

  destination_config {
    on_failure {
      destination = var.failures_topic_arn
    }
  }
}

# S3 may invoke the processor only for the uploads bucket of this account (Lambda.1).
resource "aws_lambda_permission" "s3_invoke" {
  statement_id   = "AllowUploadsBucketInvoke"
  action         = "lambda:InvokeFunction"
  function_name  = aws_lambda_function.this["processor"].function_name
  principal      = "s3.amazonaws.com"
  source_arn     = var.uploads_bucket.arn
  source_account = data.aws_caller_identity.current.account_id
}

# The one and only notification configuration of the uploads bucket (S3 keeps a single one per
# bucket; a second resource would silently overwrite this one).
resource "aws_s3_bucket_notification" "uploads" {
  bucket = var.uploads_bucket.id

  lambda_function {
    id                  = "process-new-objects"
    lambda_function_arn = aws_lambda_function.this["processor"].arn
    events              = ["s3:ObjectCreated:*"]
    filter_prefix       = var.notification_filter.prefix
    filter_suffix       = var.notification_filter.suffix
  }

  # S3 validates the destination when the configuration is written: the permission must exist.
  depends_on = [aws_lambda_permission.s3_invoke]
}
