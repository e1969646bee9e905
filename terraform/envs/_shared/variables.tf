# Shared by every env root (symlinked). The defaults here are the values the envs share, stated
# once; each env's terraform.tfvars holds only what differs for it (tests/terraform/
# test_env_differences.py keeps it that way). An object attribute left unset (null) takes the
# module's own default (compute: processor timeout 300 s, api timeout 20 s, max_object_bytes 1 GiB,
# log_level INFO), so a value the module already defaults to is not restated here either.

variable "project" {
  description = "Short project name, the first part of every resource name."
  type        = string
  default     = "sfp"
}

variable "environment" {
  description = "Environment name: local, dev, staging or prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of local, dev, staging, prod."
  }
}

variable "region" {
  description = "AWS region of the environment (no default: every env names its own)."
  type        = string
}

variable "allowed_account_ids" {
  description = "The only AWS account ids this root may touch (guards against applying with the wrong credentials)."
  type        = list(string)
}

variable "repository" {
  description = "Source repository (host/owner/name), recorded in the default tags and used for the alarms' runbook links (https://<repository>/blob/main/docs/runbook.md)."
  type        = string
  default     = "github.com/example-org/serverless-file-processor"
}

variable "package_path" {
  description = "Path of the built Lambda zip (passed by the tooling with -var)."
  type        = string
}

variable "package_base64sha256" {
  description = "Base64 SHA-256 of the zip at package_path (passed by the tooling with -var)."
  type        = string
}

variable "bucket_name_overrides" {
  description = "Explicit bucket names instead of the account-id based defaults."
  type = object({
    uploads     = optional(string)
    access_logs = optional(string)
  })
  default = {}
}

variable "bucket_lifecycle_rules" {
  description = "Create the buckets' lifecycle rules (abort incomplete uploads, expire old versions). true in every real env; false only in the emulator-only local env (see docs/terraform.md)."
  type        = bool
  default     = true
}

variable "uploads_prefix" {
  description = "Key prefix of the uploads the processor's S3 notification reacts to; \"\" = every object of the uploads bucket."
  type        = string
  default     = ""

  validation {
    condition     = !startswith(var.uploads_prefix, "/")
    error_message = "uploads_prefix is an S3 key prefix such as \"incoming/\"; keys never start with '/'."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the function and API access log groups, in days (one year: CKV_AWS_338)."
  type        = number
  default     = 365
}

variable "processor" {
  description = "Sizing of the S3-triggered processor function; unset attributes take the compute module's defaults."
  type = object({
    memory_size          = optional(number, 512)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  })
  default = {}
}

variable "processor_async" {
  description = "Asynchronous invocation of the processor: retries after a failed attempt (Lambda allows 0-2) and how old an event may get, in seconds, before it goes to the failures topic unprocessed. Unset values take the compute module's defaults (2 retries, 3600 s), which it validates against the timeout."
  type = object({
    maximum_retry_attempts       = optional(number)
    maximum_event_age_in_seconds = optional(number)
  })
  default = {}
}

variable "api_function" {
  description = "Sizing of the API function (timeout well under API Gateway's 29 s); unset attributes take the compute module's defaults."
  type = object({
    memory_size          = optional(number, 256)
    timeout              = optional(number)
    reserved_concurrency = optional(number, 2)
  })
  default = {}
}

variable "handler_settings" {
  description = "Settings passed to the handler as environment variables; unset attributes take the compute module's defaults."
  type = object({
    max_object_bytes      = optional(number)
    max_sync_object_bytes = optional(number, 52428800)
    log_level             = optional(string)
  })
  default = {}
}

variable "api_throttling" {
  description = "Stage-wide API throttling (steady requests per second, burst)."
  type = object({
    rate_limit  = optional(number, 10)
    burst_limit = optional(number, 20)
  })
  default = {}
}

variable "api_logging_level" {
  description = "Execution logging level of the API stage (INFO or ERROR)."
  type        = string
  default     = "INFO"
}

variable "manage_apigateway_account" {
  description = "Whether this root manages the account-level API Gateway CloudWatch role (one per account and region)."
  type        = bool
  default     = true
}

variable "alert_email_addresses" {
  description = "Email addresses subscribed to the alerts topic."
  type        = list(string)
  default     = []
}

variable "api_invoke_access" {
  description = "Who may invoke POST /process (the API's resource policy): principals = account ids and/or IAM role/user ARNs, vpc_endpoint_ids = execute-api interface endpoints (makes the API private). Everyone else is denied; the default lets nobody in."
  type = object({
    principals       = optional(list(string), [])
    vpc_endpoint_ids = optional(list(string), [])
  })
  default = {}
}
