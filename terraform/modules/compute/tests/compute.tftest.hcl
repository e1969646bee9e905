# Plan-only tests with a mocked AWS provider. Computed ARNs get realistic mocked values so that
# the IAM policies render into JSON the assertions can read.

mock_provider "aws" {
  override_during = plan

  mock_data "aws_caller_identity" {
    defaults = { account_id = "123456789012" }
  }
  mock_resource "aws_cloudwatch_log_group" {
    defaults = { arn = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked" }
  }
  mock_resource "aws_iam_role" {
    defaults = { arn = "arn:aws:iam::123456789012:role/mocked" }
  }
  # The mock cannot render policy documents; the assertions read the documents' statements.
  mock_data "aws_iam_policy_document" {
    defaults = { json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}" }
  }
  mock_resource "aws_lambda_function" {
    defaults = {
      arn        = "arn:aws:lambda:eu-west-1:123456789012:function:mocked"
      invoke_arn = "arn:aws:apigateway:eu-west-1:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-1:123456789012:function:mocked/invocations"
    }
  }
}

variables {
  function_names = {
    processor = "sfp-processor-euw1-dev"
    api       = "sfp-api-euw1-dev"
  }
  package_path         = "dist/handler.zip"
  package_base64sha256 = "9Klwqhvu/RDSjjHJ8TDZjSE6oaiglKVjjXE0pKOGJ+M="
  kms_key_arn          = "arn:aws:kms:eu-west-1:123456789012:key/11111111-2222-3333-4444-555555555555"
  uploads_bucket = {
    id  = "sfp-uploads-euw1-dev-123456789012"
    arn = "arn:aws:s3:::sfp-uploads-euw1-dev-123456789012"
  }
  results_topic_arn  = "arn:aws:sns:eu-west-1:123456789012:sfp-results-euw1-dev"
  failures_topic_arn = "arn:aws:sns:eu-west-1:123456789012:sfp-failures-euw1-dev"
  idempotency_table = {
    name = "sfp-idempotency-euw1-dev"
    arn  = "arn:aws:dynamodb:eu-west-1:123456789012:table/sfp-idempotency-euw1-dev"
  }
}

run "two_functions_from_one_zip_with_different_timeouts" {
  command = plan

  assert {
    condition = alltrue([
      for fn in aws_lambda_function.this :
      fn.filename == "dist/handler.zip" && fn.source_code_hash == var.package_base64sha256 && fn.handler == "app.lambda_handler" && fn.runtime == "python3.12" && fn.architectures == tolist(["arm64"])
    ])
    error_message = "Both functions run app.lambda_handler from the same zip on python3.12/arm64."
  }
  assert {
    condition     = aws_lambda_function.this["processor"].timeout == 300 && aws_lambda_function.this["api"].timeout == 20
    error_message = "The processor has a long timeout; the API function stays under API Gateway's 29 s."
  }
  assert {
    condition = alltrue([
      for fn in aws_lambda_function.this :
      one(fn.tracing_config).mode == "Active" && fn.reserved_concurrent_executions >= 1 && fn.kms_key_arn == var.kms_key_arn
    ])
    error_message = "X-Ray active, reserved concurrency and KMS-encrypted environment on both functions."
  }
  assert {
    condition = keys(one(aws_lambda_function.this["processor"].environment).variables) == tolist([
      "BUCKET_NAME", "IDEMPOTENCY_TABLE", "MAX_OBJECT_BYTES", "MAX_SYNC_OBJECT_BYTES",
      "POWERTOOLS_LOG_LEVEL", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_SERVICE_NAME", "TOPIC_ARN",
    ])
    error_message = "The handler's environment contract must be set exactly."
  }
  assert {
    condition     = one(aws_lambda_function.this["api"].environment).variables.TOPIC_ARN == var.results_topic_arn
    error_message = "TOPIC_ARN is the results topic."
  }
  assert {
    condition     = alltrue([for fn in aws_lambda_function.this : one(fn.environment).variables.POWERTOOLS_METRICS_NAMESPACE == "ServerlessFileProcessor"]) && output.metrics_namespace == "ServerlessFileProcessor"
    error_message = "The EMF namespace defaults to ServerlessFileProcessor, is set on both functions and exported (one source)."
  }
}

run "log_groups_are_explicit_encrypted_and_retained" {
  command = plan

  variables {
    log_retention_in_days = 14
  }

  assert {
    condition     = aws_cloudwatch_log_group.function["processor"].name == "/aws/lambda/sfp-processor-euw1-dev"
    error_message = "The log group must be the function's /aws/lambda/<name>."
  }
  assert {
    condition     = alltrue([for group in aws_cloudwatch_log_group.function : group.retention_in_days == 14 && group.kms_key_id == var.kms_key_arn])
    error_message = "Log groups must use the configured retention and the key."
  }
}

run "retries_twice_then_the_failures_topic" {
  command = plan

  # Finding 2: with the default 300 s timeout the second retry starts up to 2 x 300 + 60 + 120 =
  # 780 s after the event arrived; the default maximum event age (3600 s) leaves room for it.
  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_retry_attempts == 2
    error_message = "maximum_retry_attempts must be 2."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_event_age_in_seconds == 3600
    error_message = "maximum_event_age_in_seconds must default to 3600 s, enough for two retries at any timeout up to 900 s (2 x 900 + 180 = 1980 s)."
  }
  assert {
    condition     = one(one(aws_lambda_function_event_invoke_config.processor.destination_config).on_failure).destination == var.failures_topic_arn
    error_message = "Exhausted events must go to the failures topic."
  }
  assert {
    condition     = output.processor_async_config == { maximum_retry_attempts = 2, maximum_event_age_in_seconds = 3600, on_failure_destination_arn = var.failures_topic_arn }
    error_message = "processor_async_config exports what was deployed."
  }
}

run "rejects_an_event_age_that_cuts_off_the_second_retry" {
  command = plan

  # The seed's 180 s: the first attempt may run 300 s, so no retry would ever run.
  variables {
    async_retries = { maximum_retry_attempts = 2, maximum_event_age_in_seconds = 180 }
  }
  expect_failures = [var.async_retries]
}

run "rejects_an_event_age_one_second_short_of_the_last_retry" {
  command = plan

  # 2 x 600 + 60 + 120 = 1380 s are needed with a 600 s timeout (prod).
  variables {
    processor     = { timeout = 600 }
    async_retries = { maximum_retry_attempts = 2, maximum_event_age_in_seconds = 1379 }
  }
  expect_failures = [var.async_retries]
}

run "accepts_an_event_age_that_just_fits_the_last_retry" {
  command = plan

  variables {
    processor     = { timeout = 600 }
    async_retries = { maximum_retry_attempts = 2, maximum_event_age_in_seconds = 1380 }
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_event_age_in_seconds == 1380
    error_message = "1380 s fits two retries with a 600 s timeout."
  }
}

run "rejects_one_retry_that_cannot_start_in_time" {
  command = plan

  # One retry after a 300 s attempt and Lambda's ~60 s wait needs 360 s.
  variables {
    async_retries = { maximum_retry_attempts = 1, maximum_event_age_in_seconds = 359 }
  }
  expect_failures = [var.async_retries]
}

run "accepts_no_retry_with_the_minimum_age" {
  command = plan

  variables {
    async_retries = { maximum_retry_attempts = 0, maximum_event_age_in_seconds = 60 }
  }

  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_retry_attempts == 0
    error_message = "Without retries any allowed age fits."
  }
}

run "one_notification_after_a_scoped_permission" {
  command = plan

  assert {
    condition     = aws_lambda_permission.s3_invoke.source_arn == var.uploads_bucket.arn && aws_lambda_permission.s3_invoke.source_account == "123456789012" && aws_lambda_permission.s3_invoke.principal == "s3.amazonaws.com"
    error_message = "The S3 permission must set both source_arn and source_account."
  }
  assert {
    condition     = aws_s3_bucket_notification.uploads.bucket == var.uploads_bucket.id && length(aws_s3_bucket_notification.uploads.lambda_function) == 1
    error_message = "Exactly one notification configuration, with one function target, on the uploads bucket."
  }
  assert {
    condition     = aws_s3_bucket_notification.uploads.lambda_function[0].events == toset(["s3:ObjectCreated:*"]) && aws_s3_bucket_notification.uploads.lambda_function[0].lambda_function_arn == aws_lambda_function.this["processor"].arn
    error_message = "s3:ObjectCreated:* must go to the processor."
  }
}

run "roles_are_least_privilege" {
  command = plan

  # Statement signatures "<sid> <actions> <resources>" of each function's policy document.
  assert {
    condition = toset([
      for statement in data.aws_iam_policy_document.processor.statement :
      "${statement.sid} ${join(",", sort(statement.actions))} ${join(",", sort(statement.resources))}"
      ]) == toset([
      "OwnLogGroup logs:CreateLogStream,logs:PutLogEvents arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked:*",
      "ReadUploads s3:GetObject,s3:GetObjectVersion arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*",
      "ListUploads s3:ListBucket arn:aws:s3:::sfp-uploads-euw1-dev-123456789012",
      "UseKey kms:Decrypt,kms:GenerateDataKey ${var.kms_key_arn}",
      "PublishResults sns:Publish ${join(",", sort([var.failures_topic_arn, var.results_topic_arn]))}",
      "IdempotencyRecords dynamodb:DeleteItem,dynamodb:PutItem,dynamodb:UpdateItem ${var.idempotency_table.arn}",
      "Tracing xray:PutTelemetryRecords,xray:PutTraceSegments *",
    ])
    error_message = "The processor's role grants exactly: its own log group, reading uploads, the key, publishing results/failures, the idempotency table, X-Ray."
  }
  assert {
    condition = toset([
      for statement in data.aws_iam_policy_document.api.statement :
      "${statement.sid} ${join(",", sort(statement.actions))} ${join(",", sort(statement.resources))}"
      ]) == toset([
      "OwnLogGroup logs:CreateLogStream,logs:PutLogEvents arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked:*",
      "ReadUploads s3:GetObject,s3:GetObjectVersion arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*",
      "ListUploads s3:ListBucket arn:aws:s3:::sfp-uploads-euw1-dev-123456789012",
      "UseKey kms:Decrypt ${var.kms_key_arn}",
      "Tracing xray:PutTelemetryRecords,xray:PutTraceSegments *",
    ])
    error_message = "The api function's role grants exactly: its own log group, reading uploads, kms:Decrypt on the key, X-Ray - no publishing, no table."
  }
  assert {
    condition = alltrue([
      for statement in concat(data.aws_iam_policy_document.processor.statement, data.aws_iam_policy_document.api.statement) :
      statement.effect != "Deny" && length(statement.principals) == 0 && length(statement.condition) == 0
    ])
    error_message = "Identity policies: plain Allow statements, no principals."
  }
  assert {
    condition = one([
      for statement in data.aws_iam_policy_document.assume_role.statement : [for principal in statement.principals : "${principal.type} ${join(",", principal.identifiers)}"]
    ]) == ["Service lambda.amazonaws.com"]
    error_message = "Only Lambda may assume the function roles."
  }
}

run "api_role_never_encrypts" {
  command = plan

  # Finding 6: the api function reads SSE-KMS objects (kms:Decrypt) and writes nothing encrypted.
  assert {
    condition     = !contains(flatten([for statement in data.aws_iam_policy_document.api.statement : tolist(statement.actions)]), "kms:GenerateDataKey")
    error_message = "The api role must not get kms:GenerateDataKey: it never encrypts."
  }
}

run "rejects_duplicate_function_names" {
  command = plan
  variables {
    function_names = { processor = "same", api = "same" }
  }
  expect_failures = [var.function_names]
}

run "rejects_a_package_that_is_not_a_zip" {
  command = plan
  variables {
    package_path = "dist/handler.tar.gz"
  }
  expect_failures = [var.package_path]
}

run "rejects_a_hex_digest" {
  command = plan
  variables {
    package_base64sha256 = "f4a965c21beefd1d528e31c9f0d930d84a3a1a8a08254a58e5c4d29438627e3"
  }
  expect_failures = [var.package_base64sha256]
}

run "rejects_an_old_runtime" {
  command = plan
  variables {
    runtime = "python3.9"
  }
  expect_failures = [var.runtime]
}

run "rejects_an_unknown_architecture" {
  command = plan
  variables {
    architecture = "arm32"
  }
  expect_failures = [var.architecture]
}

run "rejects_a_processor_timeout_over_15_minutes" {
  command = plan
  variables {
    processor = { timeout = 1000 }
  }
  expect_failures = [var.processor]
}

run "rejects_an_api_timeout_at_the_gateway_limit" {
  command = plan
  variables {
    api = { timeout = 29 }
  }
  expect_failures = [var.api]
}

run "rejects_a_retention_cloudwatch_does_not_offer" {
  command = plan
  variables {
    log_retention_in_days = 8
  }
  expect_failures = [var.log_retention_in_days]
}

run "rejects_a_key_alias_instead_of_an_arn" {
  command = plan
  variables {
    kms_key_arn = "alias/sfp-key"
  }
  expect_failures = [var.kms_key_arn]
}

run "rejects_three_retries" {
  command = plan
  variables {
    async_retries = { maximum_retry_attempts = 3 }
  }
  expect_failures = [var.async_retries]
}

run "rejects_an_unknown_log_level" {
  command = plan
  variables {
    handler_settings = { log_level = "TRACE" }
  }
  expect_failures = [var.handler_settings]
}

run "rejects_a_sync_limit_above_the_object_limit" {
  command = plan
  variables {
    handler_settings = { max_object_bytes = 10, max_sync_object_bytes = 20 }
  }
  expect_failures = [var.handler_settings]
}

run "rejects_a_reserved_metrics_namespace" {
  command = plan
  variables {
    handler_settings = { metrics_namespace = "AWS/Lambda" }
  }
  expect_failures = [var.handler_settings]
}
