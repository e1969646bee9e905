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

variable "alarm_arn_patterns" {
  description = "ARNs (or ArnLike patterns) of the CloudWatch alarms that notify the encrypted alerts topic: the key lets cloudwatch.amazonaws.com use it only for them (aws:SourceArn) and only in this account (aws:SourceAccount). Empty: no CloudWatch statement."
  type        = list(string)

  validation {
    condition     = alltrue([for pattern in var.alarm_arn_patterns : can(regex("^arn:[a-z-]+:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:.+$", pattern))])
    error_message = "alarm_arn_patterns must be CloudWatch alarm ARNs or patterns (arn:<partition>:cloudwatch:<region>:<account>:alarm:<name or pattern>)."
  }
}

variable "uploads_prefix" {
  description = "Key prefix uploaders write under (\"\" = the whole bucket); the uploader policy allows s3:PutObject on <bucket>/<prefix>* only. Use the prefix the processor's notification listens on."
  type        = string
  default     = ""

  validation {
    condition     = length(var.uploads_prefix) <= 1024 && !startswith(var.uploads_prefix, "/") && !can(regex("[*?$]", var.uploads_prefix))
    error_message = "uploads_prefix must be at most 1024 characters, must not start with '/', and must not contain the IAM wildcards/variables '*', '?' or '$'."
  }
}

variable "uploader_policy_name" {
  description = "Name of the customer-managed IAM policy to create for uploaders (attach it to their roles). null: create none; the policy JSON is still an output."
  type        = string
  default     = null

  validation {
    condition     = var.uploader_policy_name == null ? true : can(regex("^[A-Za-z0-9+=,.@_-]{1,128}$", var.uploader_policy_name))
    error_message = "uploader_policy_name must be a valid IAM policy name (1-128 characters of letters, digits and +=,.@_-)."
  }
}

variable "lifecycle_rules" {
  description = "Lifecycle settings of the buckets, in days: uploads expire (become noncurrent) 30 days after upload by default - they are inputs, processed within minutes, and their results are on the results topic - and noncurrent versions of both buckets are deleted 30 days later, so an upload is kept at most 60 days by default; access logs expire after 90 days; incomplete multipart uploads are aborted after 7."
  type = object({
    abort_incomplete_multipart_upload_days = optional(number, 7)
    uploads_expiration_days                = optional(number, 30)
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
