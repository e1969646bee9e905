variable "function_names" {
  description = "Names of the two functions built from the same zip: processor (S3 events, async) and api (API Gateway, sync)."
  type = object({
    processor = string
    api       = string
  })

  validation {
    condition = alltrue([
      for name in values(var.function_names) : can(regex("^[a-z0-9-]{1,64}$", name))
    ]) && var.function_names.processor != var.function_names.api
    error_message = "Function names must be distinct, 1-64 characters of lowercase letters, digits and hyphens (also used as IAM role names, limit 64)."
  }
}

variable "package_path" {
  description = "Path of the built deployment zip (built by the tooling; Terraform never builds or zips)."
  type        = string

  validation {
    condition     = endswith(var.package_path, ".zip")
    error_message = "package_path must point at a .zip file."
  }
}

variable "package_base64sha256" {
  description = "Base64-encoded SHA-256 of the zip at package_path (what Lambda reports as CodeSha256)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+/]{43}=$", var.package_base64sha256))
    error_message = "package_base64sha256 must be a base64-encoded SHA-256 digest (44 characters ending in '=')."
  }
}

variable "runtime" {
  description = "Lambda Python runtime."
  type        = string
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13"], var.runtime)
    error_message = "runtime must be python3.12 or python3.13."
  }
}

variable "architecture" {
  description = "Instruction set of both functions."
  type        = string
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.architecture)
    error_message = "architecture must be arm64 or x86_64."
  }
}

variable "processor" {
  description = "Sizing of the S3-triggered processor function. Its timeout is long: large objects are streamed and are not bound by API Gateway's 29 s."
  type = object({
    memory_size          = optional(number, 1024)
    timeout              = optional(number, 300)
    reserved_concurrency = optional(number, 10)
  })
  default = {}

  validation {
    condition     = var.processor.memory_size >= 128 && var.processor.memory_size <= 10240 && var.processor.timeout >= 30 && var.processor.timeout <= 900 && var.processor.reserved_concurrency >= 1
    error_message = "processor: memory_size 128-10240 MB, timeout 30-900 s, reserved_concurrency >= 1."
  }
}

variable "api" {
  description = "Sizing of the API function. Its timeout stays well under API Gateway's 29 s integration timeout, so a request never outlives its HTTP call."
  type = object({
    memory_size          = optional(number, 512)
    timeout              = optional(number, 20)
    reserved_concurrency = optional(number, 5)
  })
  default = {}

  validation {
    condition     = var.api.memory_size >= 128 && var.api.memory_size <= 10240 && var.api.timeout >= 1 && var.api.timeout <= 25 && var.api.reserved_concurrency >= 1
    error_message = "api: memory_size 128-10240 MB, timeout 1-25 s (under API Gateway's 29 s integration timeout), reserved_concurrency >= 1."
  }
}

variable "log_retention_in_days" {
  description = "Retention of the functions' log groups; one of CloudWatch Logs' allowed values. Defaults to one year; envs choose their own."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_in_days)
    error_message = "log_retention_in_days must be one of CloudWatch Logs' values: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653."
  }
}

variable "kms_key_arn" {
  description = "ARN of the customer-managed key: log groups, environment variables, and the key the role may use for the encrypted bucket, table and topics."
  type        = string

  validation {
    condition     = can(regex("^arn:[a-z-]+:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN."
  }
}

variable "uploads_bucket" {
  description = "The uploads bucket (from the storage module's bucket resource): id and ARN."
  type = object({
    id  = string
    arn = string
  })
}

variable "notification_filter" {
  description = "Optional key prefix/suffix filter of the S3 notification."
  type = object({
    prefix = optional(string)
    suffix = optional(string)
  })
  default = {}
}

variable "results_topic_arn" {
  description = "ARN of the results topic the processor publishes to (both functions get it as TOPIC_ARN)."
  type        = string
}

variable "failures_topic_arn" {
  description = "ARN of the on-failure destination topic of the processor."
  type        = string
}

variable "idempotency_table" {
  description = "The idempotency table: name and ARN."
  type = object({
    name = string
    arn  = string
  })
}

variable "async_retries" {
  description = "Asynchronous invocation settings of the processor. Lambda waits about 60 s before the first retry and about 120 s before the second, and an attempt can last up to the function's timeout, so the last retry starts up to retries x timeout + 60 (+ 120) s after the event arrived; maximum_event_age_in_seconds must cover that or the retry never runs (the event goes to the on-failure destination instead). The default, 2 retries and 3600 s, fits every allowed timeout (2 x 900 + 180 = 1980 s) and keeps throttled events queued for up to an hour."
  type = object({
    maximum_retry_attempts       = optional(number, 2)
    maximum_event_age_in_seconds = optional(number, 3600)
  })
  default = {}

  validation {
    condition     = var.async_retries.maximum_retry_attempts >= 0 && var.async_retries.maximum_retry_attempts <= 2 && var.async_retries.maximum_event_age_in_seconds >= 60 && var.async_retries.maximum_event_age_in_seconds <= 21600
    error_message = "async_retries: maximum_retry_attempts 0-2, maximum_event_age_in_seconds 60-21600."
  }

  # Every retry must still be inside the maximum event age when it starts: the k-th retry starts
  # after k attempts of up to processor.timeout each and Lambda's waits of ~60 s and ~120 s.
  validation {
    condition = var.async_retries.maximum_event_age_in_seconds >= (
      var.async_retries.maximum_retry_attempts * var.processor.timeout + [0, 60, 180][min(max(floor(var.async_retries.maximum_retry_attempts), 0), 2)]
    )
    error_message = "async_retries: ${var.async_retries.maximum_retry_attempts} retries with a processor timeout of ${var.processor.timeout} s need maximum_event_age_in_seconds >= ${var.async_retries.maximum_retry_attempts} x ${var.processor.timeout} s (attempts that time out) + ${[0, 60, 180][min(max(floor(var.async_retries.maximum_retry_attempts), 0), 2)]} s (Lambda waits ~60 s before the first retry and ~120 s before the second) = ${var.async_retries.maximum_retry_attempts * var.processor.timeout + [0, 60, 180][min(max(floor(var.async_retries.maximum_retry_attempts), 0), 2)]} s; it is ${var.async_retries.maximum_event_age_in_seconds} s, so the last retry would never run. Raise the age (up to 21600), or lower the retries or the timeout."
  }
}

variable "handler_settings" {
  description = "Settings passed to the handler as environment variables. metrics_namespace (default ServerlessFileProcessor) is the one source of the handler's EMF namespace: the handler requires POWERTOOLS_METRICS_NAMESPACE and the module exports it (output metrics_namespace) for anything that reads those custom metrics."
  type = object({
    max_object_bytes      = optional(number, 1073741824)
    max_sync_object_bytes = optional(number, 104857600)
    service_name          = optional(string, "file-processor")
    metrics_namespace     = optional(string, "ServerlessFileProcessor")
    log_level             = optional(string, "INFO")
  })
  default = {}

  validation {
    condition     = can(regex("^[A-Za-z0-9._/#:-]{1,255}$", var.handler_settings.metrics_namespace)) && !startswith(var.handler_settings.metrics_namespace, "AWS/")
    error_message = "handler_settings.metrics_namespace must be a CloudWatch namespace: 1-255 letters, digits and . _ / # : -, not starting with AWS/ (reserved)."
  }

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.handler_settings.log_level)
    error_message = "handler_settings.log_level must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL."
  }

  validation {
    condition     = var.handler_settings.max_sync_object_bytes >= 1 && var.handler_settings.max_sync_object_bytes <= var.handler_settings.max_object_bytes
    error_message = "handler_settings.max_sync_object_bytes must be positive and at most max_object_bytes."
  }
}
