variable "topic_names" {
  description = "Names of the three topics: results (processing results), failures (the processor's on-failure destination) and alerts (CloudWatch alarm and OK actions)."
  type = object({
    results  = string
    failures = string
    alerts   = string
  })

  validation {
    condition = alltrue([
      for name in values(var.topic_names) : can(regex("^[A-Za-z0-9_-]{1,256}$", name))
    ])
    error_message = "SNS topic names must be 1-256 characters of letters, digits, '_' and '-'."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed KMS key that encrypts the topics."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:<partition>:kms:<region>:<account>:key/<id>)."
  }
}

variable "alert_email_addresses" {
  description = "Email addresses subscribed to the alerts topic (each must confirm the subscription)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alert_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alert_email_addresses must contain valid email addresses."
  }
}

variable "failures_queue" {
  description = "The queue subscribed to the failures topic that keeps failed events: its name (default: the failures topic's name) and how long it keeps a message, in seconds (default and maximum: 14 days)."
  type = object({
    name                      = optional(string)
    message_retention_seconds = optional(number, 1209600)
  })
  default = {}

  validation {
    condition     = var.failures_queue.name == null || can(regex("^[A-Za-z0-9_-]{1,80}$", var.failures_queue.name))
    error_message = "failures_queue.name must be 1-80 characters of letters, digits, '_' and '-' (a standard queue)."
  }

  validation {
    condition     = var.failures_queue.message_retention_seconds >= 60 && var.failures_queue.message_retention_seconds <= 1209600
    error_message = "failures_queue.message_retention_seconds must be 60-1209600 (1 minute to 14 days)."
  }
}

variable "publisher_role_arn" {
  description = "ARN of the processor's execution role: the only principal allowed to publish to the results topic and (as Lambda's on-failure destination) to the failures topic; everyone else is denied sns:Publish there."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:iam::[0-9]{12}:role/.+$", var.publisher_role_arn))
    error_message = "publisher_role_arn must be an IAM role ARN (arn:<partition>:iam::<account>:role/<name>)."
  }
}

variable "alarm_arn_patterns" {
  description = "ARNs (or ArnLike patterns) of the CloudWatch alarms that notify the alerts topic; cloudwatch.amazonaws.com may publish only for them (aws:SourceArn) and only from this account (aws:SourceAccount)."
  type        = list(string)

  validation {
    condition     = length(var.alarm_arn_patterns) > 0 && alltrue([for pattern in var.alarm_arn_patterns : can(regex("^arn:[a-z-]+:cloudwatch:[a-z0-9-]+:[0-9]{12}:alarm:.+$", pattern))])
    error_message = "alarm_arn_patterns must list at least one CloudWatch alarm ARN or pattern (arn:<partition>:cloudwatch:<region>:<account>:alarm:<name or pattern>)."
  }
}
