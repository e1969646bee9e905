# Shared by every env root (symlinked). The tooling, the canary and local invoke read these names.

output "region" {
  description = "Region of the environment."
  value       = module.naming.region
}

output "uploads_bucket_name" {
  description = "Name of the uploads bucket."
  value       = module.storage.uploads_bucket_name
}

output "results_topic_arn" {
  description = "ARN of the results topic."
  value       = module.notifications.results_topic_arn
}

output "failure_topic_arn" {
  description = "ARN of the processor's on-failure destination topic."
  value       = module.notifications.failures_topic_arn
}

output "alerts_topic_arn" {
  description = "ARN of the alerts topic."
  value       = module.notifications.alerts_topic_arn
}

output "idempotency_table_name" {
  description = "Name of the idempotency table."
  value       = module.storage.idempotency_table_name
}

output "processor_function_name" {
  description = "Name of the S3-triggered processor function."
  value       = module.compute.processor_function_name
}

output "api_function_name" {
  description = "Name of the API function."
  value       = module.compute.api_function_name
}

output "api_url" {
  description = "Full invoke URL of POST /process."
  value       = module.api.api_url
}

output "processor_log_group_name" {
  description = "Log group of the processor function."
  value       = module.compute.processor_log_group_name
}

output "kms_key_arn" {
  description = "ARN of the customer-managed KMS key."
  value       = module.storage.kms_key_arn
}

output "error_rate_alarm_name" {
  description = "Name of the processor's error-rate alarm."
  value       = module.monitoring.error_rate_alarm_name
}

output "api_log_group_name" {
  description = "Log group of the API function."
  value       = module.compute.api_log_group_name
}

output "failures_queue_url" {
  description = "URL of the queue that keeps the processor's failed events (raw on-failure destination records), for `invoke failures` and `invoke redrive`."
  value       = module.notifications.failures_queue_url
}

output "failures_queue_arn" {
  description = "ARN of the queue that keeps the processor's failed events."
  value       = module.notifications.failures_queue_arn
}

output "alarm_names" {
  description = "Every alarm of the stack, by purpose (docs/runbook.md has a section per key, its anchor the key with '-' for '_')."
  value       = module.monitoring.alarm_names
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard (also the folder of the saved Logs Insights queries)."
  value       = module.monitoring.dashboard_name
}

output "processor_async_config" {
  description = "Asynchronous invocation settings of the processor: retries, maximum event age (seconds) and the on-failure destination."
  value       = module.compute.processor_async_config
}

output "log_retention_in_days" {
  description = "Retention of the functions' and the API access log groups, in days."
  value       = var.log_retention_in_days
}

output "error_rate_alarm" {
  description = "The processor's error-rate alarm: name, threshold (percent of invocations), period (seconds), evaluation periods."
  value       = module.monitoring.error_rate_alarm
}

output "uploads_prefix" {
  description = "Key prefix the processor's S3 notification listens on (\"\" = every key of the uploads bucket)."
  value       = var.uploads_prefix
}

output "uploader_policy_arn" {
  description = "ARN of the managed policy an uploader role needs (s3:PutObject under the upload prefix, the stack's key through S3); attach it to uploader roles."
  value       = module.storage.uploader_policy_arn
}

output "uploader_policy_json" {
  description = "The uploader policy as JSON, for uploaders in other accounts or stacks that manage their own policies."
  value       = module.storage.uploader_policy_json
}

output "metrics_namespace" {
  description = "CloudWatch namespace of the handler's EMF metrics (one source: the compute module's handler settings)."
  value       = module.compute.metrics_namespace
}
