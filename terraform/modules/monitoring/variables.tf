variable "names" {
  description = "Names of the alarms and the dashboard (from the naming module). The saved Logs Insights queries are named <dashboard>/<query>, so they sit in one folder per env."
  type = object({
    error_rate_alarm                = string
    throttles_alarm                 = string
    processor_duration_alarm        = string
    api_duration_alarm              = string
    api_5xx_alarm                   = string
    destination_failures_alarm      = string
    failed_events_waiting_alarm     = string
    failed_events_aging_alarm       = string
    failed_events_undelivered_alarm = string
    dashboard                       = string
  })

  validation {
    condition = alltrue([
      for key, name in var.names : key == "dashboard" ? can(regex("^[A-Za-z0-9_-]{1,255}$", name)) : (length(name) >= 1 && length(name) <= 255)
    ])
    error_message = "Alarm names must be 1-255 characters; the dashboard name 1-255 characters of letters, digits, '_' and '-'."
  }
}

variable "functions" {
  description = "The monitored functions: names and timeouts in seconds."
  type = object({
    processor_name    = string
    processor_timeout = number
    api_name          = string
    api_timeout       = number
  })
}

variable "api" {
  description = "The monitored REST API: its name and stage (the dimensions of its metrics)."
  type = object({
    name  = string
    stage = string
  })
}

variable "alerts_topic_arn" {
  description = "ARN of the topic that receives alarm and OK notifications."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+$", var.alerts_topic_arn))
    error_message = "alerts_topic_arn must be an SNS topic ARN."
  }
}

variable "error_rate" {
  description = "The processor's error-rate alarm: percentage threshold, period in seconds and evaluation periods."
  type = object({
    threshold_percent  = optional(number, 5)
    period             = optional(number, 300)
    evaluation_periods = optional(number, 2)
  })
  default = {}

  validation {
    condition     = var.error_rate.threshold_percent > 0 && var.error_rate.threshold_percent < 100 && contains([60, 300, 900, 3600], var.error_rate.period) && var.error_rate.evaluation_periods >= 1 && var.error_rate.evaluation_periods <= 10
    error_message = "error_rate: threshold_percent in (0, 100), period one of 60, 300, 900, 3600, evaluation_periods 1-10."
  }
}

variable "duration_threshold_ratio" {
  description = "The duration alarms fire when p99 duration exceeds this fraction of the function's timeout."
  type        = number
  default     = 0.8

  validation {
    condition     = var.duration_threshold_ratio > 0 && var.duration_threshold_ratio < 1
    error_message = "duration_threshold_ratio must be between 0 and 1 (exclusive)."
  }
}

variable "api_5xx_threshold_percent" {
  description = "The API 5xx alarm fires above this percentage of requests answered with 5xx."
  type        = number
  default     = 1

  validation {
    condition     = var.api_5xx_threshold_percent > 0 && var.api_5xx_threshold_percent < 100
    error_message = "api_5xx_threshold_percent must be in (0, 100)."
  }
}

variable "runbook_url" {
  description = "URL of the alarm runbook (docs/runbook.md in the repository); each alarm description links to its section."
  type        = string

  validation {
    condition     = can(regex("^https://", var.runbook_url))
    error_message = "runbook_url must be an https URL."
  }
}

variable "failures_queue" {
  description = "The queue that keeps failed events and the topic that feeds it (names: the dimensions of their metrics), the queue's retention, and the age of the oldest waiting event, in seconds, above which the aging alarm fires (default one day; it must leave time before the retention drops the event)."
  type = object({
    queue_name            = string
    topic_name            = string
    retention_seconds     = number
    age_threshold_seconds = optional(number, 86400)
  })

  validation {
    condition     = var.failures_queue.age_threshold_seconds >= 300 && var.failures_queue.age_threshold_seconds < var.failures_queue.retention_seconds
    error_message = "failures_queue.age_threshold_seconds must be at least 300 and less than the queue's retention_seconds (or events are dropped before the alarm fires)."
  }
}

variable "log_groups" {
  description = "Log groups the saved Logs Insights queries read: the processor's and the API function's, and the API stage's access log group."
  type = object({
    processor  = string
    api        = string
    api_access = string
  })

  validation {
    condition     = alltrue([for name in values(var.log_groups) : can(regex("^[A-Za-z0-9_./#-]{1,512}$", name))])
    error_message = "Log group names must be 1-512 characters of letters, digits and '_', '-', '/', '.', '#'."
  }
}
