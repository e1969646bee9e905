variable "project" {
  description = "Short project name, the first part of every resource name."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,19}[a-z0-9]$", var.project))
    error_message = "project must be 3-21 characters of lowercase letters, digits and hyphens, starting with a letter and not ending with a hyphen."
  }
}

variable "environment" {
  description = "Environment name: one of local, dev, staging, prod."
  type        = string

  validation {
    condition     = contains(["local", "dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of local, dev, staging, prod."
  }
}

variable "bucket_name_overrides" {
  description = "Explicit globally unique names for the buckets, used instead of the account-id based default (null keeps the default)."
  type = object({
    uploads     = optional(string)
    access_logs = optional(string)
  })
  default = {}

  validation {
    condition = alltrue([
      for name in [var.bucket_name_overrides.uploads, var.bucket_name_overrides.access_logs] :
      name == null ? true : can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", name))
    ])
    error_message = "Bucket name overrides must be 3-63 characters of lowercase letters, digits and hyphens."
  }
}
