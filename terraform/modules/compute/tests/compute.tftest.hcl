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

run "retries_twice_for_three_minutes_then_the_failures_topic" {
  command = plan

  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_retry_attempts == 2
    error_message = "maximum_retry_attempts must be 2."
  }
  assert {
    condition     = aws_lambda_function_event_invoke_config.processor.maximum_event_age_in_seconds == 180
    error_message = "maximum_event_age_in_seconds must be 180."
  }
  assert {
    condition     = one(one(aws_lambda_function_event_invoke_config.processor.destination_config).on_failure).destination == var.failures_topic_arn
    error_message = "Exhausted events must go to the failures topic."
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

  assert {
    condition = alltrue([
      for policy in aws_iam_role_policy.function : alltrue([
        for statement in jsondecode(policy.policy).Statement :
        !contains(statement.Resource, "*") || statement.Action == ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      ])
    ])
    error_message = "Only the X-Ray statement may use Resource \"*\"."
  }
  assert {
    condition = alltrue(flatten([
      for policy in aws_iam_role_policy.function : [
        for statement in jsondecode(policy.policy).Statement : !contains(statement.Action, "s3:PutObject")
      ]
    ]))
    error_message = "No role may write to the uploads bucket."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement : statement
      if statement.Sid == "ReadUploads"
    ]).Resource == ["arn:aws:s3:::sfp-uploads-euw1-dev-123456789012/*"]
    error_message = "GetObject/GetObjectVersion must be scoped to the bucket's objects."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement : statement
      if statement.Sid == "ListUploads"
    ]).Resource == ["arn:aws:s3:::sfp-uploads-euw1-dev-123456789012"]
    error_message = "ListBucket must be scoped to the bucket."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement : statement
      if statement.Sid == "PublishResults"
    ]).Resource == [var.results_topic_arn, var.failures_topic_arn]
    error_message = "The processor publishes to the results topic and (as destination) the failures topic."
  }
  assert {
    condition = length([
      for statement in jsondecode(aws_iam_role_policy.function["api"].policy).Statement : statement
      if contains(["PublishResults", "IdempotencyRecords"], statement.Sid)
    ]) == 0
    error_message = "The API function neither publishes nor keeps idempotency records: no sns:Publish, no table access."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement : statement
      if statement.Sid == "OwnLogGroup"
    ]).Resource == ["arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/mocked:*"]
    error_message = "Logs may be written only to the function's own log group."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement : statement
      if statement.Sid == "UseKey"
    ]).Resource == [var.kms_key_arn]
    error_message = "KMS use must be limited to the one key."
  }
  assert {
    condition = one([
      for statement in jsondecode(aws_iam_role_policy.function["processor"].policy).Statement : statement
      if statement.Sid == "IdempotencyRecords"
    ]).Resource == [var.idempotency_table.arn]
    error_message = "Item actions must be limited to the idempotency table."
  }
  assert {
    condition     = alltrue([for role in aws_iam_role.function : jsondecode(role.assume_role_policy).Statement[0].Principal.Service == "lambda.amazonaws.com"])
    error_message = "Only Lambda may assume the function roles."
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
