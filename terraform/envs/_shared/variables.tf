# Shared by every env root (symlinked): envs differ in terraform.tfvars values, not in structure.

variable "project" {
  description = "Short project name, the first part of every resource name."
  type        = string
}

variable "environment" {
  description = "Environment name: local, dev, staging or prod."
  type        = string
}

variable "region" {
  description = "AWS region of the environment."
  type        = string
}

variable "allowed_account_ids" {
  description = "The only AWS account ids this root may touch (guards against applying with the wrong credentials)."
  type        = list(string)
}

variable "repository" {
  description = "Source repository, recorded in the default tags and used for runbook links."
  type        = string
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

variable "log_retention_in_days" {
  description = "Retention of the function and API access log groups."
  type        = number
}

variable "processor" {
  description = "Sizing of the S3-triggered processor function."
  type = object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  })
}

variable "api_function" {
  description = "Sizing of the API function (timeout well under API Gateway's 29 s)."
  type = object({
    memory_size          = optional(number)
    timeout              = optional(number)
    reserved_concurrency = optional(number)
  })
}

variable "handler_settings" {
  description = "Settings passed to the handler as environment variables."
  type = object({
    max_object_bytes      = optional(number)
    max_sync_object_bytes = optional(number)
    log_level             = optional(string)
  })
}

variable "api_throttling" {
  description = "Stage-wide API throttling."
  type = object({
    rate_limit  = number
    burst_limit = number
  })
}

variable "api_logging_level" {
  description = "Execution logging level of the API stage (INFO or ERROR)."
  type        = string
}

variable "manage_apigateway_account" {
  description = "Whether this root manages the account-level API Gateway CloudWatch role (one per account and region)."
  type        = bool
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
