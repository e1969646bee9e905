variable "uploads_bucket_name" {
  description = "Globally unique name of the uploads bucket (from the naming module)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.uploads_bucket_name))
    error_message = "uploads_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits and hyphens."
  }
}

variable "access_logs_bucket_name" {
  description = "Globally unique name of the server access logs bucket (from the naming module)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.access_logs_bucket_name))
    error_message = "access_logs_bucket_name must be a valid S3 bucket name: 3-63 lowercase letters, digits and hyphens."
  }
}

variable "idempotency_table_name" {
  description = "Name of the DynamoDB idempotency table."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.idempotency_table_name))
    error_message = "idempotency_table_name must be 3-255 characters of letters, digits, '_', '-' and '.'."
  }
}

variable "kms_alias_name" {
  description = "Alias of the customer-managed KMS key, without the alias/ prefix."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9/_-]{1,250}$", var.kms_alias_name)) && !startswith(var.kms_alias_name, "aws")
    error_message = "kms_alias_name must be 1-250 characters of letters, digits, '/', '_' and '-' and must not start with 'aws'."
  }
}

variable "kms_deletion_window_in_days" {
  description = "Waiting period before a scheduled key deletion completes (7-30 days)."
  type        = number
  default     = 30

  validation {
    condition     = var.kms_deletion_window_in_days >= 7 && var.kms_deletion_window_in_days <= 30
    error_message = "kms_deletion_window_in_days must be between 7 and 30."
  }
}

variable "key_user_service_principals" {
  description = "Extra AWS service principals (besides CloudWatch Logs, which is always allowed) that may use the key through resources of this account, e.g. sns.amazonaws.com (encrypted topics), cloudwatch.amazonaws.com (alarms to the encrypted alerts topic), logging.s3.amazonaws.com (server access logs into the encrypted logs bucket)."
  type        = list(string)
  default     = ["sns.amazonaws.com", "cloudwatch.amazonaws.com", "logging.s3.amazonaws.com"]

  validation {
    condition     = alltrue([for principal in var.key_user_service_principals : endswith(principal, ".amazonaws.com")])
    error_message = "key_user_service_principals must be AWS service principals ending in .amazonaws.com."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle settings of the buckets, in days."
  type = object({
    abort_incomplete_multipart_upload_days = optional(number, 7)
    noncurrent_version_expiration_days     = optional(number, 30)
    access_logs_expiration_days            = optional(number, 90)
  })
  default = {}

  validation {
    condition = alltrue([
      for days in values(var.lifecycle_rules) : days >= 1 && days <= 3650 && floor(days) == days
    ])
    error_message = "Every lifecycle_rules value must be a whole number of days between 1 and 3650."
  }
}

variable "lifecycle_rules_enabled" {
  description = "Whether to create the buckets' lifecycle configuration. Keep true for every real account; the local emulator env turns it off because the provider's read-back consistency wait costs 55 s per apply and expiry means nothing in an in-memory emulator."
  type        = bool
  default     = true
}

variable "idempotency_ttl_attribute" {
  description = "Name of the DynamoDB TTL attribute (Powertools idempotency writes 'expiration')."
  type        = string
  default     = "expiration"
}
