output "processor_function_name" {
  description = "Name of the S3-triggered processor function."
  value       = aws_lambda_function.this["processor"].function_name
}

output "processor_function_arn" {
  description = "ARN of the processor function."
  value       = aws_lambda_function.this["processor"].arn
}

output "processor_timeout" {
  description = "Timeout of the processor function in seconds (the duration alarm compares against it)."
  value       = aws_lambda_function.this["processor"].timeout
}

output "api_function_name" {
  description = "Name of the API function."
  value       = aws_lambda_function.this["api"].function_name
}

output "api_function_invoke_arn" {
  description = "Invoke ARN of the API function, for the API Gateway integration."
  value       = aws_lambda_function.this["api"].invoke_arn
}

output "api_timeout" {
  description = "Timeout of the API function in seconds."
  value       = aws_lambda_function.this["api"].timeout
}

output "processor_log_group_name" {
  description = "Name of the processor's log group."
  value       = aws_cloudwatch_log_group.function["processor"].name
}

output "api_log_group_name" {
  description = "Name of the API function's log group."
  value       = aws_cloudwatch_log_group.function["api"].name
}

output "role_arns" {
  description = "Execution role ARN of each function (processor, api)."
  value       = { for key, role in aws_iam_role.function : key => role.arn }
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the handler's EMF metrics (POWERTOOLS_METRICS_NAMESPACE of both functions): exported for anything that reads the handler's custom metrics (the stack's own alarms and dashboard use AWS/* metrics)."
  value       = var.handler_settings.metrics_namespace
}

output "processor_async_config" {
  description = "The processor's asynchronous invocation settings as deployed: maximum_retry_attempts, maximum_event_age_in_seconds, on_failure_destination_arn."
  value = {
    maximum_retry_attempts       = aws_lambda_function_event_invoke_config.processor.maximum_retry_attempts
    maximum_event_age_in_seconds = aws_lambda_function_event_invoke_config.processor.maximum_event_age_in_seconds
    on_failure_destination_arn   = one(one(aws_lambda_function_event_invoke_config.processor.destination_config).on_failure).destination
  }
}
