# The env roots link to these files: module calls only. Values are the shared defaults of
# variables.tf, overridden by what differs in each env's terraform.tfvars.

module "naming" {
  source = "../../modules/naming"

  project               = var.project
  environment           = var.environment
  bucket_name_overrides = var.bucket_name_overrides
}

module "storage" {
  source = "../../modules/storage"

  uploads_bucket_name     = module.naming.bucket_names.uploads
  access_logs_bucket_name = module.naming.bucket_names.access_logs
  idempotency_table_name  = module.naming.names["idempotency"]
  kms_alias_name          = module.naming.names["key"]
  lifecycle_rules_enabled = var.bucket_lifecycle_rules
  alarm_arn_patterns      = [module.naming.alarm_arn_pattern]
  uploader_policy_name    = module.naming.names["uploader"]
  uploads_prefix          = var.uploads_prefix
}

module "notifications" {
  source = "../../modules/notifications"

  topic_names = {
    results  = module.naming.names["results"]
    failures = module.naming.names["failures"]
    alerts   = module.naming.names["alerts"]
  }
  kms_key_arn           = module.storage.kms_key_arn
  alert_email_addresses = var.alert_email_addresses
  publisher_role_arn    = module.compute.role_arns["processor"]
  alarm_arn_patterns    = [module.naming.alarm_arn_pattern]
}

module "compute" {
  source = "../../modules/compute"

  function_names = {
    processor = module.naming.names["processor"]
    api       = module.naming.names["api"]
  }
  package_path          = var.package_path
  package_base64sha256  = var.package_base64sha256
  processor             = { for key, value in var.processor : key => value if value != null }
  api                   = { for key, value in var.api_function : key => value if value != null }
  log_retention_in_days = var.log_retention_in_days
  kms_key_arn           = module.storage.kms_key_arn
  uploads_bucket = {
    id  = module.storage.uploads_bucket_name
    arn = module.storage.uploads_bucket_arn
  }
  notification_filter = { prefix = var.uploads_prefix == "" ? null : var.uploads_prefix }
  async_retries       = { for key, value in var.processor_async : key => value if value != null }
  results_topic_arn   = module.notifications.results_topic_arn
  failures_topic_arn  = module.notifications.failures_topic_arn
  idempotency_table = {
    name = module.storage.idempotency_table_name
    arn  = module.storage.idempotency_table_arn
  }
  handler_settings = { for key, value in var.handler_settings : key => value if value != null }
}

module "api" {
  source = "../../modules/api"

  api_name = module.naming.names["api"]
  function = {
    name       = module.compute.api_function_name
    invoke_arn = module.compute.api_function_invoke_arn
  }
  throttling            = var.api_throttling
  logging_level         = var.api_logging_level
  log_retention_in_days = var.log_retention_in_days
  kms_key_arn           = module.storage.kms_key_arn
  cloudwatch_role_name  = var.manage_apigateway_account ? module.naming.names["apigw-cloudwatch"] : null
  invoke_access         = var.api_invoke_access
}

module "monitoring" {
  source = "../../modules/monitoring"

  names = {
    error_rate_alarm                = module.naming.names["error-rate"]
    throttles_alarm                 = module.naming.names["throttles"]
    processor_duration_alarm        = module.naming.names["processor-duration"]
    api_duration_alarm              = module.naming.names["api-duration"]
    api_5xx_alarm                   = module.naming.names["api-5xx"]
    destination_failures_alarm      = module.naming.names["destination-failures"]
    failed_events_waiting_alarm     = module.naming.names["failed-events-waiting"]
    failed_events_aging_alarm       = module.naming.names["failed-events-aging"]
    failed_events_undelivered_alarm = module.naming.names["failed-events-undelivered"]
    dashboard                       = module.naming.names["dashboard"]
  }
  functions = {
    processor_name    = module.compute.processor_function_name
    processor_timeout = module.compute.processor_timeout
    api_name          = module.compute.api_function_name
    api_timeout       = module.compute.api_timeout
  }
  api = {
    name  = module.api.api_name
    stage = module.api.stage_name
  }
  failures_queue = {
    queue_name        = module.notifications.failures_queue_name
    topic_name        = module.notifications.failures_topic_name
    retention_seconds = module.notifications.failures_queue_retention_seconds
  }
  log_groups = {
    processor  = module.compute.processor_log_group_name
    api        = module.compute.api_log_group_name
    api_access = module.api.access_log_group_name
  }
  alerts_topic_arn = module.notifications.alerts_topic_arn
  runbook_url      = "https://${var.repository}/blob/main/docs/runbook.md"
}
