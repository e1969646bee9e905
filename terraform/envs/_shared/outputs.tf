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
